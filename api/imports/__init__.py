"""The import workflow: folders of files, their manifests and sidecars, into assets."""
