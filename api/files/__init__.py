"""Asset files: uploads, downloads, and keeping the blob store in step with the catalogue."""
