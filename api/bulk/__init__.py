"""Bulk edits: one change applied to many assets through the assets' own functions."""
