"""Near-duplicate and duplicate assets: MinHash signatures of their text (`service.py`)."""
