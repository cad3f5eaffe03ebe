"""Races on one revision of a live asset, sent at once to a real server.

Each round publishes an asset, opens a revision with reviewed words, submits it, reads its
ETag, and then releases two clients together, each with that ETag in `If-Match`:

- approve × approve: exactly one approves (the other 409 or 412), one new version;
- approve × edit: either the approval wins (the edit is refused: the reviewed words are
  what went live) or the edit wins (the revision is back in draft with the edit, the
  approval refused, the asset unchanged);
- edit × edit: one edit is kept, the other refused (never a silent overwrite);
- reject × approve: one of them decides the revision.

Whatever the interleaving: no 5xx; every loser is a 409 or a 412; reps only ever see the
approved words of a version (never the edit nobody reviewed); the asset holds one version
per approval. At the end the consistency check finds the catalogue, the blob store and
the search index in agreement."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.harness import BatonServer, at_once, check_settled, served

ROUNDS = 8
LIVE = "Approved words of the first version"
REVIEWED = "Reviewed words of the revision"
PAIRS = (("approve", "approve"), ("approve", "edit"), ("edit", "edit"), ("reject", "approve"))


class Lab:
    def __init__(self, server: BatonServer) -> None:
        self.marketer = server.client(server.new_key("marketer"))
        self.rep = server.client(server.new_key("rep"))
        self.serial = itertools.count()

    def close(self) -> None:
        self.marketer.close()
        self.rep.close()

    def revision_in_review(self) -> tuple[str, str, str]:
        """A live asset with a revision in review: its id, the revision's and its ETag."""
        n = next(self.serial)
        created = self.marketer.post(
            "/v1/assets",
            json={"title": f"Revision race {n}", "kind": "one_pager", "body": LIVE},
        )
        assert created.status_code == 201, created.text
        aid = created.json()["id"]
        for action in ("submit", "approve"):
            answer = self.marketer.post(f"/v1/assets/{aid}/{action}")
            assert answer.status_code == 200, answer.text
        opened = self.marketer.post(f"/v1/assets/{aid}/revisions", json={"body": REVIEWED})
        assert opened.status_code == 201, opened.text
        rid = opened.json()["id"]
        submitted = self.marketer.post(f"/v1/assets/{aid}/revisions/{rid}/submit")
        assert submitted.status_code == 200, submitted.text
        return aid, rid, submitted.headers["etag"]

    def call(self, action: str, aid: str, rid: str, etag: str, edit: str) -> httpx.Response:
        path = f"/v1/assets/{aid}/revisions/{rid}"
        headers = {"If-Match": etag}
        if action == "edit":
            return self.marketer.patch(path, json={"body": edit}, headers=headers)
        if action == "reject":
            return self.marketer.post(
                f"{path}/reject", json={"comment": "Not yet"}, headers=headers
            )
        return self.marketer.post(f"{path}/{action}", headers=headers)


def race(lab: Lab, pair: tuple[str, str], outcomes: Counter[str]) -> list[str]:
    aid, rid, etag = lab.revision_in_review()
    edits = [f"Edit {i} nobody reviewed" for i in range(2)]
    answers = at_once(
        [
            lambda a=action, e=edit: lab.call(a, aid, rid, etag, e)  # type: ignore[misc]
            for action, edit in zip(pair, edits, strict=True)
        ]
    )
    codes = [a.status_code for a in answers]
    outcomes[" ".join(f"{p}:{c}" for p, c in zip(pair, codes, strict=True))] += 1
    failures = []
    where = f"{' x '.join(pair)} {codes}"
    if any(c >= 500 for c in codes):
        failures.append(f"{where}: a 5xx: {[a.text for a in answers]}")
    winners = [i for i, c in enumerate(codes) if c == 200]
    losers = [i for i, c in enumerate(codes) if c != 200]
    if len(winners) != 1 or any(codes[i] not in {409, 412} for i in losers):
        failures.append(f"{where}: not one winner and one 409/412 loser")
        return failures
    won = pair[winners[0]]
    revision = lab.marketer.get(f"/v1/assets/{aid}/revisions/{rid}").json()
    asset = lab.marketer.get(f"/v1/assets/{aid}").json()
    seen = lab.rep.get(f"/v1/assets/{aid}").json()
    versions = lab.marketer.get(f"/v1/assets/{aid}/versions").json()
    expected = {
        "approve": ("approved", REVIEWED, 2),
        "reject": ("rejected", LIVE, 1),
        "edit": ("draft", LIVE, 1),
    }[won]
    got = (revision["status"], asset["body"], versions["total"])
    if got != expected:
        failures.append(f"{where}: {won} won, expected {expected}, found {got}")
    if won == "edit" and revision["body"] != edits[winners[0]]:
        failures.append(f"{where}: the winning edit was lost: {revision['body']!r}")
    if seen["body"] not in {LIVE, REVIEWED} or seen["body"] != asset["body"]:
        failures.append(f"{where}: a rep reads words nobody approved: {seen['body']!r}")
    if versions["items"][0]["body"] != asset["body"]:
        failures.append(f"{where}: the live words are not the latest version's")
    return failures


def test_two_clients_on_one_revision_one_wins_never_a_silent_overwrite(
    database_url: str, tmp_path: Path, figures: Callable[[str, dict[str, Any]], None]
) -> None:
    failures: list[str] = []
    table: dict[str, Counter[str]] = {}
    with served(database_url, tmp_path / "data", tmp_path) as server:
        lab = Lab(server)
        try:
            for pair in PAIRS:
                outcomes = table[" x ".join(pair)] = Counter()
                for _ in range(ROUNDS):
                    failures += race(lab, pair, outcomes)
        finally:
            lab.close()
        report = check_settled(server.settings)
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    for name, outcomes in table.items():
        figures(
            f"revision race {name} ({kind})",
            {"rounds": ROUNDS, "outcomes": dict(sorted(outcomes.items()))},
        )
    assert not failures, "\n".join(failures)
    assert report.ok, [str(p) for p in report.problems]
