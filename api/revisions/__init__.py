"""Revisions of live assets and their approved versions."""
