"""Live content against today's rules: what breaks them, and telling the owners.

`live_violations` checks every live asset (approved, not expired) against the rules in
force, in batches of the checked columns only, with the rulebook built once
(`api.messaging.matching`: one pass over each text whatever the number of rules); a page
of them is kept, with how many there are in all. Rules change rarely and a catalogue may
hold 10,000 assets, so `PUT /v1/messaging/rules` does not check them: `rules_violated`, a
time-based pass of the notifications worker (`api.notifications.schedule.TIME_BASED`),
claims the rules' version once (of several processes, one scans), then raises
`rules.violated` once per asset and version with `notify_once` (the owner is emailed).
A version is a digest of the rules, so putting back earlier rules notifies again only
for a version never scanned.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from api.assets.models import Asset
from api.assets.schemas import Finding
from api.assets.visibility import live_clause
from api.messaging.matching import Rule
from api.messaging.schemas import ViolatingAsset, Violation
from api.messaging.service import check_parts, current_rules, digest, parts_of
from api.notifications import service as notices
from api.notifications.events import NotificationType
from api.notifications.service import asset_payload, claim, claimed, notify_once
from api.paging import PageRequest
from api.users.service import people

BATCH = 500
SCAN = "rules.scan"  # the claim of one version's scan (notification_claims.kind)


def rules_version(rules: tuple[Rule, ...]) -> str:
    """The rules in force as a short string (their `digest`; notifications and scans are
    keyed by it)."""
    return digest(rules)[:16]


# What checking an asset reads, and what a listed violation shows: a scan selects these
# columns only (never the asset's other columns, nor whole entities kept in the session).
CHECKED = (
    col(Asset.id),
    col(Asset.kind),
    col(Asset.title),
    col(Asset.summary),
    col(Asset.fields),
    col(Asset.body),
    col(Asset.owner_id),
)


def _breaking(
    session: Session, rules: tuple[Rule, ...], *, now: datetime
) -> Iterator[tuple[Any, list[Finding]]]:
    """Each live asset breaking `rules` (a row of `CHECKED`), by id, with its findings; read
    in batches of `BATCH`, so memory holds one batch whatever the catalogue's size."""
    after = ""
    while True:
        batch = session.execute(
            sa.select(*CHECKED)
            .where(live_clause(now), col(Asset.id) > after)
            .order_by(col(Asset.id))
            .limit(BATCH)
        ).all()
        if not batch:
            return
        for row in batch:
            parts = parts_of(row.kind, row.title, row.summary, row.fields, row.body)
            findings = check_parts(rules, parts, kind=row.kind)
            if findings:
                yield row, findings
        after = batch[-1].id


def live_violations(
    session: Session, *, now: datetime, page: PageRequest | None = None
) -> tuple[str, list[Violation], int]:
    """The rules' version, the page's live assets breaking them (by id; all of them when
    `page` is None), and how many break them in all. Counting them means checking every
    live asset, but only the page's are kept (with their owners looked up)."""
    rules = current_rules(session)
    if not rules:
        return rules_version(rules), [], 0
    first = 0 if page is None else page.offset
    end = None if page is None else page.offset + page.limit
    kept: list[tuple[Any, list[Finding]]] = []
    total = 0
    for row, findings in _breaking(session, rules, now=now):
        if total >= first and (end is None or total < end):
            kept.append((row, findings))
        total += 1
    owners = people(session, {row.owner_id for row, _ in kept if row.owner_id})
    items = []
    for row, findings in kept:
        owner = owners.get(row.owner_id) if row.owner_id else None
        items.append(
            Violation(
                asset=ViolatingAsset(
                    id=row.id,
                    title=row.title,
                    kind=row.kind,
                    owner_id=row.owner_id,
                    owner_email=owner.email if owner is not None else None,
                ),
                findings=findings,
            )
        )
    return rules_version(rules), items, total


def rules_violated(session: Session, now: datetime) -> int:
    """Once per version of the rules (claimed): `rules.violated` for each live asset
    breaking them, once per asset and version. How many were raised."""
    rules = current_rules(session)
    if not rules:
        return 0
    version = rules_version(rules)
    if claimed(session, SCAN, "", version):
        return 0
    # The scan reads every live asset's text: done before this transaction's first write,
    # so writers do not wait for it. Then at most ROUND_LIMIT events per round; the scan
    # of this version is claimed (not done again) once a round has raised them all.
    breaking = list(_breaking(session, rules, now=now))
    raised = 0
    for row, findings in breaking:
        if raised >= notices.ROUND_LIMIT:
            return raised
        asset = session.get(Asset, row.id)
        payload = asset_payload(session, asset) if asset is not None else None
        if payload is None:
            continue
        payload["rules_version"] = version
        payload["findings"] = [
            {"type": f.type, "severity": f.severity, "phrase": f.phrase, "field": f.field}
            for f in findings
        ]
        if notify_once(
            session,
            NotificationType.rules_violated,
            payload,
            subject_id=row.id,
            period=version,
            now=now,
        ):
            raised += 1
    claim(session, SCAN, "", version, now=now)  # or another process finished it meanwhile
    return raised
