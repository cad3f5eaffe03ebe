"""Live content against today's rules: what breaks them, and telling the owners.

`live_violations` checks every live asset (approved, not expired) against the rules in
force, in batches, with the rulebook built once (`api.messaging.matching`: one pass over
each text whatever the number of rules). Rules change rarely and a catalogue may hold
10,000 assets, so `PUT /v1/messaging/rules` does not check them: `rules_violated`, a
time-based pass of the notifications worker (`api.notifications.schedule.TIME_BASED`),
claims the rules' version once (of several processes, one scans), then raises
`rules.violated` once per asset and version with `notify_once` (the owner is emailed).
A version is a digest of the rules, so putting back earlier rules notifies again only
for a version never scanned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime

from sqlmodel import Session, col, select

from api.assets.models import Asset
from api.assets.schemas import Finding
from api.assets.visibility import live_clause
from api.messaging.matching import Rule
from api.messaging.schemas import ViolatingAsset, Violation
from api.messaging.service import asset_parts, check_parts, current_rules
from api.notifications.events import NotificationType
from api.notifications.service import asset_payload, claim, notify_once
from api.users.service import people

BATCH = 500
SCAN = "rules.scan"  # the claim of one version's scan (notification_claims.kind)


def rules_version(rules: tuple[Rule, ...]) -> str:
    """A short digest of the rules in force, in their order."""
    data = [
        [r.type.value, r.phrase, r.severity.value, r.replacement, r.kinds, r.reason] for r in rules
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def _breaking(
    session: Session, rules: tuple[Rule, ...], *, now: datetime
) -> Iterator[tuple[Asset, list[Finding]]]:
    after = ""
    while True:
        batch = session.exec(
            select(Asset)
            .where(live_clause(now), col(Asset.id) > after)
            .order_by(col(Asset.id))
            .limit(BATCH)
        ).all()
        if not batch:
            return
        for asset in batch:
            findings = check_parts(rules, asset_parts(asset), kind=asset.kind)
            if findings:
                yield asset, findings
        after = batch[-1].id


def live_violations(session: Session, *, now: datetime) -> tuple[str, list[Violation]]:
    """The rules' version and each live asset breaking them, by id."""
    rules = current_rules(session)
    if not rules:
        return rules_version(rules), []
    found = list(_breaking(session, rules, now=now))
    owners = people(session, {a.owner_id for a, _ in found if a.owner_id})
    items = []
    for asset, findings in found:
        owner = owners.get(asset.owner_id) if asset.owner_id else None
        items.append(
            Violation(
                asset=ViolatingAsset(
                    id=asset.id,
                    title=asset.title,
                    kind=asset.kind,
                    owner_id=asset.owner_id,
                    owner_email=owner.email if owner is not None else None,
                ),
                findings=findings,
            )
        )
    return rules_version(rules), items


def rules_violated(session: Session, now: datetime) -> int:
    """Once per version of the rules (claimed): `rules.violated` for each live asset
    breaking them, once per asset and version. How many were raised."""
    rules = current_rules(session)
    if not rules:
        return 0
    version = rules_version(rules)
    if not claim(session, SCAN, "", version, now=now):
        return 0
    raised = 0
    for asset, findings in _breaking(session, rules, now=now):
        payload = asset_payload(session, asset)
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
            subject_id=asset.id,
            period=version,
            now=now,
        ):
            raised += 1
    return raised
