"""A sidecar or manifest nested without end is refused with a reason, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.imports.manifests import ManifestError, read_yaml


def test_a_sidecar_nested_100000_levels_deep_is_refused_with_a_reason(tmp_path: Path) -> None:
    sidecar = tmp_path / "deck.pdf.yaml"
    sidecar.write_text("fields: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="too deeply"):
        read_yaml(sidecar)
