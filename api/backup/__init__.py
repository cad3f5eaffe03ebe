"""Backups, restores and the blob store's garbage collection (`baton backup`,
`baton restore`, `baton blobs gc`)."""
