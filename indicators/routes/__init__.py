"""The living framework's pages and JSON API: thin handlers over the use cases and queries."""
