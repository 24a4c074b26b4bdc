"""The programmes' pages and JSON API: thin handlers over the use cases."""
