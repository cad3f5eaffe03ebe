"""The metadata that comes with a file, and how it becomes an asset.

Metadata arrives in layers, the most specific first: what the uploader or the import's
manifest or sidecar says (`given`), what the document says about itself (Markdown front
matter), the import's command-line defaults, and last what extraction found (the
document's title, an email's subject). The first layer that sets a field wins; `fields`
are merged with the same precedence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from api.assets.kinds import Kind
from api.assets.schemas import AssetCreate, Title
from api.errors import invalid_from
from api.taxonomy.facets import FACETS
from ingest.extract.document import Extracted
from ingest.filenames import title_from_filename

LIST_FIELDS = (*(spec.facet.value for spec in FACETS), "tags", "question_ids", "audiences")
# Singular spellings people write in front matter and manifests.
ALIASES = {
    **{spec.param: spec.facet.value for spec in FACETS},
    "tag": "tags",
    "audience": "audiences",
}


class AssetMetadata(AssetCreate):
    """The asset fields a file's metadata may set: all optional, unknown names refused."""

    title: Title | None = None  # type: ignore[assignment]
    kind: Kind | None = None  # type: ignore[assignment]


def parse_metadata(
    raw: Mapping[str, Any] | None, *, loc: Sequence[str | int], lenient: bool = False
) -> AssetMetadata:
    """Validate one layer. `lenient` (front matter) puts unknown scalar keys into `fields`
    instead of refusing them, since documents carry keys of their own (author, date...)."""
    values: dict[str, Any] = {}
    extra_fields: dict[str, Any] = {}
    for key, item in (raw or {}).items():
        name = ALIASES.get(str(key), str(key))
        value = item
        if name in LIST_FIELDS and isinstance(value, str):
            value = [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
        if isinstance(value, datetime | date) and name != "expires_at":
            value = value.isoformat()
        if name in AssetMetadata.model_fields:
            values[name] = value
        elif lenient:
            if isinstance(value, str | int | float | bool):
                extra_fields[name] = value
        else:
            values[name] = value  # refused below as an unknown field
    if extra_fields:
        given = values.get("fields")
        values["fields"] = {**extra_fields, **(given if isinstance(given, dict) else {})}
    try:
        return AssetMetadata.model_validate(values)
    except ValidationError as exc:
        raise invalid_from(exc, loc) from exc


def asset_data(
    extracted: Extracted,
    *,
    filename: str,
    given: AssetMetadata | None = None,
    defaults: AssetMetadata | None = None,
) -> AssetCreate:
    """The asset to create for an extracted file, its metadata layers applied."""
    front = parse_metadata(extracted.front_matter, loc=["file", "front_matter"], lenient=True)
    layers = [layer for layer in (given, front, defaults) if layer is not None]
    values: dict[str, Any] = {}
    for name in AssetMetadata.model_fields:
        for layer in layers:
            if name in layer.model_fields_set and getattr(layer, name) is not None:
                values[name] = getattr(layer, name)
                break
    fields: dict[str, Any] = dict(extracted.fields)
    for layer in reversed(layers):
        fields.update(layer.fields)
    values["fields"] = fields
    values.setdefault("title", extracted.title or title_from_filename(filename))
    values.setdefault("kind", extracted.kind or Kind.other.value)
    values.setdefault("body", extracted.body)
    try:
        return AssetCreate.model_validate(values)
    except ValidationError as exc:
        raise invalid_from(exc, ["metadata"]) from exc
