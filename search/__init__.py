"""Search backends behind one interface: SQLite FTS5 (embedded default) and Meilisearch.

See `search.base` for the protocol and its value types. This package knows no HTTP and
nothing of the catalogue's tables: `api.discovery` maps assets to documents and feeds it.
"""
