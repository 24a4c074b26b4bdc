"""The living framework: themes, indicators, their revisions, and immutable releases."""
