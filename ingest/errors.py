"""Why a file could not be taken in.

Extraction runs in worker processes, so a failure travels back as this one picklable
exception carrying a `Reason`; the API maps the reason to 413, 415 or 422.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    unsupported = "unsupported"  # not a type Baton reads: 415
    corrupt = "corrupt"  # claims a type but cannot be read as it: 422
    encrypted = "encrypted"  # password-protected: 422
    too_large = "too_large"  # bigger than the upload limit: 413
    too_complex = "too_complex"  # expands or runs past a safety limit (zip bomb, pages): 422
    timeout = "timeout"  # extraction took longer than allowed: 422


class ExtractionFailed(Exception):
    """The file cannot be turned into an asset; `detail` says why in words a user acts on."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = Reason(reason)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail
