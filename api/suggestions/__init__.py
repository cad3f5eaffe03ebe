"""Suggestions for the open deal: the few live assets that fit it, each with its reasons."""
