"""Typed links between assets: proves / proven_by, follow_up, replaces."""
