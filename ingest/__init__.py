"""Turning files into text and metadata: sniffing, extraction, the blob store, bulk import."""
