"""Assets as the API shows them: with their terms, tags, questions, owner and file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from api.assets.kinds import Kind
from api.assets.models import Asset, AssetQuestion, AssetShown, AssetTag, AssetTerm, Status
from api.assets.schemas import AssetBrief, AssetOut, FileInfo, PersonRef, QuestionRef
from api.assets.visibility import is_live
from api.audiences.service import slugs_of_assets
from api.db import read
from api.freshness.service import freshness_of
from api.questions.models import Question
from api.taxonomy.facets import FACETS
from api.taxonomy.models import Facet, Term
from api.users.service import MASTER_ID, Caller, emails_of


@dataclass
class _Links:
    terms: dict[Facet, list[str]] = field(default_factory=lambda: defaultdict(list))
    tags: list[str] = field(default_factory=list)
    questions: list[QuestionRef] = field(default_factory=list)


# What every view shows of an asset's links, for a list of asset ids (`api.db.read`: the
# ORM's per-statement work was most of the cost of presenting a page of search hits).
_TERMS = (
    sa.select(col(AssetTerm.asset_id), col(Term.facet), col(Term.slug))
    .join(Term, col(Term.id) == col(AssetTerm.term_id))
    .where(col(AssetTerm.asset_id).in_(sa.bindparam("ids", expanding=True)))
    .order_by(col(Term.position), col(Term.slug))
)
_TAGS = (
    sa.select(col(AssetTag.asset_id), col(AssetTag.tag))
    .where(col(AssetTag.asset_id).in_(sa.bindparam("ids", expanding=True)))
    .order_by(col(AssetTag.tag))
)
_QUESTIONS = (
    sa.select(col(AssetQuestion.asset_id), col(Question.id), col(Question.text))
    .join(Question, col(Question.id) == col(AssetQuestion.question_id))
    .where(col(AssetQuestion.asset_id).in_(sa.bindparam("ids", expanding=True)))
    .order_by(col(Question.text))
)


_FACETS = {facet.value: facet for facet in Facet}


def _links(session: Session, asset_ids: list[str]) -> dict[str, _Links]:
    # Rows fetched at once (`all`, one call) rather than one by one as they are iterated.
    # One statement for the three (UNION ALL) was measured and was slower: SQLite sorts
    # the union's rows in one temporary tree.
    links: dict[str, _Links] = defaultdict(_Links)
    if not asset_ids:
        return links
    for asset_id, facet, slug in read(session, _TERMS, {"ids": asset_ids}).all():
        links[asset_id].terms[_FACETS[facet]].append(slug)
    for asset_id, tag in read(session, _TAGS, {"ids": asset_ids}).all():
        links[asset_id].tags.append(tag)
    for asset_id, question_id, text in read(session, _QUESTIONS, {"ids": asset_ids}).all():
        links[asset_id].questions.append(QuestionRef(id=question_id, text=text))
    return links


def person_ref(user_id: str | None, users: dict[str, Any]) -> PersonRef:
    if user_id is None:
        return PersonRef(id=MASTER_ID, email=None)
    user = users.get(user_id)
    return PersonRef(id=user_id, email=user.email if user is not None else None)


def owner_ref(owner_id: str | None, emails: dict[str, str]) -> PersonRef:
    """`person_ref` from emails by id (`emails_of`)."""
    if owner_id is None:
        return PersonRef(id=MASTER_ID, email=None)
    return PersonRef(id=owner_id, email=emails.get(owner_id))


def _shown(
    session: Session,
    assets: Sequence[AssetShown],
    *,
    now: datetime,
    caller: Caller | None = None,
    review_days: Mapping[str, int | None] | None = None,
) -> list[dict[str, Any]]:
    """What every view of an asset shows but its body: terms, tags, questions, owner."""
    links = _links(session, [a.id for a in assets])
    emails = emails_of(session, {a.owner_id for a in assets if a.owner_id})
    freshness = freshness_of(session, assets, now=now, days=review_days)
    # A rep is not told which audiences an asset is for (a partner would learn the others).
    audiences = (
        None
        if caller is not None and caller.is_rep
        else slugs_of_assets(session, [a.id for a in assets])
    )
    shown = []
    for asset in assets:
        link = links[asset.id]
        shown.append(
            {
                "id": asset.id,
                "title": asset.title,
                "kind": Kind(asset.kind),
                "summary": asset.summary,
                "url": asset.url,
                "status": Status(asset.status),
                "live": is_live(asset, now),
                "version": asset.version,
                **{spec.facet.value: link.terms[spec.facet] for spec in FACETS},
                "tags": link.tags,
                "audiences": None if audiences is None else audiences.get(asset.id, []),
                "questions": link.questions,
                "fields": dict(asset.fields or {}),
                "expires_at": asset.expires_at,
                "shareable": asset.shareable,
                "created_at": asset.created_at,
                "updated_at": asset.updated_at,
                "approved_at": asset.approved_at,
                "owner": owner_ref(asset.owner_id, emails),
                "file": file_info(asset),
                "review_comment": asset.review_comment,
                "freshness": freshness[asset.id],
            }
        )
    return shown


def present(
    session: Session, assets: Sequence[Asset], *, now: datetime, caller: Caller | None = None
) -> list[AssetOut]:
    """Assets as the API shows them, with their terms, tags, questions and owner (and
    their audiences, unless `caller` is a rep)."""
    shown = _shown(session, assets, now=now, caller=caller)
    return [
        AssetOut(**fields, body=asset.body) for asset, fields in zip(assets, shown, strict=True)
    ]


def present_brief(
    session: Session,
    assets: Sequence[AssetShown],
    *,
    now: datetime,
    caller: Caller | None = None,
    review_days: Mapping[str, int | None] | None = None,
) -> list[AssetBrief]:
    """Assets without their body, as hits and suggestions show them (the body is never
    read, so callers may load assets with the body deferred). `review_days`: the review
    intervals, when the caller has read them already (read here otherwise)."""
    shown = _shown(session, assets, now=now, caller=caller, review_days=review_days)
    return [AssetBrief(**fields) for fields in shown]


def present_one(
    session: Session, asset: Asset, *, now: datetime, caller: Caller | None = None
) -> AssetOut:
    return present(session, [asset], now=now, caller=caller)[0]


def file_info(asset: AssetShown) -> FileInfo | None:
    """The asset's uploaded file as the API shows it; None when it has none."""
    if asset.file_sha256 is None:
        return None
    return FileInfo(
        filename=asset.file_name or "file",
        content_type=asset.file_content_type or "application/octet-stream",
        size=asset.file_size or 0,
        sha256=asset.file_sha256,
    )
