"""Per-file metadata for a bulk import: a manifest (CSV or YAML) and sidecar YAML files.

A manifest names files relative to its own folder:

- CSV: a `path` column, then any asset field as a column (`title`, `kind`, `stages`, ...);
  list fields take several values separated by `;` or `,`; `fields.NAME` columns fill
  `fields`. Empty cells are ignored.
- YAML: a list of mappings each with a `path`, or one mapping from path to metadata.

A sidecar is `NAME.yaml` (or `.yml`) beside the file, where NAME is the file's full name
(`deck.pptx.yaml`) or its name without extension (`deck.yaml`). A sidecar's fields win
over the manifest's.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

SIDECAR_SUFFIXES = (".yaml", ".yml")


class ManifestError(Exception):
    """The manifest or a sidecar cannot be read; the message says where and why."""


def load_manifest(path: Path) -> dict[Path, dict[str, Any]]:
    """Metadata by resolved file path."""
    if not path.is_file():
        raise ManifestError(f"manifest {path} does not exist")
    base = path.parent.resolve()
    if path.suffix.lower() == ".csv":
        entries = _csv_entries(path)
    elif path.suffix.lower() in SIDECAR_SUFFIXES:
        entries = _yaml_entries(path)
    else:
        raise ManifestError(f"manifest {path} must be a .csv, .yaml or .yml file")
    metadata: dict[Path, dict[str, Any]] = {}
    for where, entry in entries:
        name = entry.pop("path", None) or entry.pop("file", None)
        if not isinstance(name, str) or not name.strip():
            raise ManifestError(f"{path}, {where}: a 'path' naming the file is required")
        metadata[(base / name.strip()).resolve()] = entry
    return metadata


def _csv_entries(path: Path) -> list[tuple[str, dict[str, Any]]]:
    entries = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            entry: dict[str, Any] = {}
            for header, cell in row.items():
                if header is None or cell is None or not str(cell).strip():
                    continue
                column = header.strip()
                if column.startswith("fields."):
                    entry.setdefault("fields", {})[column.removeprefix("fields.")] = cell.strip()
                else:
                    entry[column] = cell.strip()
            entries.append((f"line {number}", entry))
    return entries


def _yaml_entries(path: Path) -> list[tuple[str, dict[str, Any]]]:
    document = read_yaml(path)
    if isinstance(document, list):
        items = list(enumerate(document, start=1))
        if not all(isinstance(item, dict) for _, item in items):
            raise ManifestError(f"{path}: every entry must be a mapping with a 'path'")
        return [(f"entry {n}", dict(item)) for n, item in items]
    if isinstance(document, dict):
        entries = []
        for name, item in document.items():
            if not isinstance(item, dict):
                raise ManifestError(f"{path}: the metadata of {name!r} must be a mapping")
            entries.append((f"entry {name!r}", {"path": str(name), **item}))
        return entries
    raise ManifestError(f"{path}: expected a list of entries or a mapping of paths")


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path} is not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise ManifestError(f"{path} nests its entries too deeply to read") from exc


def sidecar_for(path: Path) -> Path | None:
    """The sidecar of a file, if it has one."""
    for stem in (path.name, path.stem):
        for suffix in SIDECAR_SUFFIXES:
            candidate = path.with_name(stem + suffix)
            if candidate != path and candidate.is_file():
                return candidate
    return None


def read_sidecar(path: Path) -> dict[str, Any]:
    document = read_yaml(path)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ManifestError(f"sidecar {path} must be a mapping of asset fields")
    return document


def is_sidecar(path: Path, siblings: set[str]) -> bool:
    """Whether a YAML file is some sibling file's sidecar (and so not a document itself)."""
    if path.suffix.lower() not in SIDECAR_SUFFIXES:
        return False
    stem = path.name[: -len(path.suffix)]
    return any(
        name == stem or name.rsplit(".", 1)[0] == stem for name in siblings if name != path.name
    )
