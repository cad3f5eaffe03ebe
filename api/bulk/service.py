"""A bulk edit: the same change for many assets, each through the assets' own functions
(`update_asset` for tags and facets, `set_owner`, the review workflow's `submit` and
`archive`), so every rule, check and audit entry is the single asset's; each asset in its
own savepoint.

- `per_item`: an asset that fails is rolled back to its savepoint and reported; the
  others are kept.
- `all_or_nothing`: any failure refuses the whole edit (`BulkRefused`): the request's
  transaction rolls back, nothing changed, the results say which failed and why.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from api.assets import service as assets
from api.assets.models import Asset, AssetTag, AssetTerm
from api.assets.schemas import AssetUpdate
from api.audiences.service import resolve, slugs_of_assets
from api.bulk.schemas import BulkChange, BulkEdit, BulkResult, ItemError, ItemResult
from api.errors import BatonError, Conflict
from api.reviews import service as reviews
from api.settings import DEFAULT_TALKING_POINT_TTL
from api.taxonomy.models import Facet, Term
from api.taxonomy.service import slugify

FACETS = tuple(f.value for f in Facet)


class BulkRefused(Conflict):
    """An all-or-nothing bulk edit in which some asset failed: nothing was changed."""

    slug, title = "bulk-refused", "Bulk edit refused"


def _merged(
    current: list[str], add: list[str], remove: list[str], key: Callable[[str], str]
) -> list[str]:
    """`current` without `remove`, then `add` (names compared by `key`: terms by slug)."""
    dropped = {key(value) for value in remove}
    kept = [value for value in current if key(value) not in dropped]
    known = {key(value) for value in kept}
    return kept + [value for value in add if key(value) not in known]


def _same(value: str) -> str:
    return value


def _current(session: Session, asset_id: str) -> dict[str, list[str]]:
    """The asset's tags and term slugs by facet, as a patch sets them."""
    current: dict[str, list[str]] = {name: [] for name in (*FACETS, "tags")}
    terms = session.exec(
        select(Term.facet, Term.slug)
        .join(AssetTerm, col(AssetTerm.term_id) == col(Term.id))
        .where(col(AssetTerm.asset_id) == asset_id)
        .order_by(col(Term.facet), col(Term.slug))
    ).all()
    for facet, slug in terms:
        current[facet].append(slug)
    tags = select(AssetTag.tag).where(col(AssetTag.asset_id) == asset_id)
    current["tags"] = sorted(session.exec(tags).all())
    return current


def _patch(session: Session, asset_id: str, change: BulkChange) -> AssetUpdate | None:
    """The metadata patch this change makes of the asset's current lists; None if none."""
    touched = [name for name in FACETS if getattr(change.add, name) or getattr(change.remove, name)]
    tags = bool(change.add_tags or change.remove_tags)
    audiences = bool(change.add_audiences or change.remove_audiences)
    if not touched and not tags and not audiences:
        return None
    current = _current(session, asset_id)
    values: dict[str, list[str]] = {}
    for name in touched:
        values[name] = _merged(
            current[name], getattr(change.add, name), getattr(change.remove, name), slugify
        )
    if tags:
        values["tags"] = _merged(current["tags"], change.add_tags, change.remove_tags, _same)
    if audiences:
        named = [*change.add_audiences, *change.remove_audiences]
        resolve(session, named, loc=["body", "change", "audiences"])  # unknown slugs: 422
        had = slugs_of_assets(session, [asset_id]).get(asset_id, [])
        merged = _merged(had, change.add_audiences, change.remove_audiences, _same)
        if sorted(merged) != had:
            values["audiences"] = merged
    if (
        "audiences" not in values
        and all(
            sorted(map(slugify, values[name])) == sorted(map(slugify, current[name]))
            for name in touched
        )
        and (not tags or sorted(values["tags"]) == current["tags"])
    ):
        return None
    return AssetUpdate(**values)


def _apply(
    session: Session,
    asset_id: str,
    change: BulkChange,
    *,
    now: datetime,
    ttl: timedelta,
    if_match: Collection[int] | None,
) -> tuple[Asset, bool]:
    """Apply the change to one asset; the asset, and whether anything changed."""
    asset = assets.get_asset(session, asset_id)
    assets.check_revision(asset, if_match)
    start = asset.revision
    patch = _patch(session, asset_id, change)
    if patch is not None:
        asset = assets.update_asset(session, asset_id, patch, now=now, talking_point_ttl=ttl)
    if change.owner_id is not None:
        asset = assets.set_owner(session, asset_id, change.owner_id, now=now)
    if change.action == "submit":
        asset, _ = reviews.submit(session, asset_id, now=now)
    elif change.action == "archive":
        asset = reviews.archive(session, asset_id, now=now)
    return asset, asset.revision != start


def _error(exc: BatonError) -> ItemError:
    return ItemError(status=exc.status, title=exc.title, detail=exc.detail)


def bulk_edit(
    session: Session,
    edit: BulkEdit,
    *,
    now: datetime,
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL,
) -> BulkResult:
    """Apply `edit.change` to each asset of `edit.ids`, as `edit.mode` asks. The assets are
    changed in id order, whatever order the request lists them in, so two bulk edits of
    overlapping assets lock their rows in the same order and one waits for the other
    instead of deadlocking; the results keep the request's order."""
    applied: dict[str, ItemResult] = {}
    for asset_id in sorted(set(edit.ids)):
        wanted = edit.if_match.get(asset_id) if edit.if_match else None
        try:
            with session.begin_nested():
                asset, changed = _apply(
                    session,
                    asset_id,
                    edit.change,
                    now=now,
                    ttl=talking_point_ttl,
                    if_match=None if wanted is None else frozenset({wanted}),
                )
        except BatonError as exc:
            applied[asset_id] = ItemResult(id=asset_id, status="failed", error=_error(exc))
            continue
        applied[asset_id] = ItemResult(
            id=asset_id,
            status="changed" if changed else "unchanged",
            revision=asset.revision,
        )
    results = [applied[asset_id] for asset_id in edit.ids]
    failed = [r for r in results if r.status == "failed"]
    if failed and edit.mode == "all_or_nothing":
        refused = [
            r if r.status == "failed" else ItemResult(id=r.id, status="not_applied")
            for r in results
        ]
        invalid = all(r.error is not None and r.error.status == 422 for r in failed)
        error = BulkRefused(
            f"{len(failed)} of {len(results)} assets cannot take this change, so none was "
            f"changed; first: {failed[0].id}: {failed[0].error.detail if failed[0].error else ''}",
            results=[r.model_dump(mode="json", exclude_none=True) for r in refused],
        )
        if invalid:
            error.status, error.slug, error.title = 422, "bulk-invalid", "Bulk edit invalid"
        raise error
    return BulkResult(
        mode=edit.mode,
        changed=sum(1 for r in results if r.status == "changed"),
        unchanged=sum(1 for r in results if r.status == "unchanged"),
        failed=len(failed),
        results=results,
    )
