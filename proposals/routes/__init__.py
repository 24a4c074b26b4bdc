"""The co-design loop's pages and JSON API, and who is asking (sessions and tokens)."""
