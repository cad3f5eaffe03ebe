"""Races: every pair of lifecycle actions on one asset, sent at once to a real server.

For each pair (submit, approve, reject, archive, PATCH of the content, DELETE; each with
itself too) and each starting status in which one of them may act, N rounds: a new asset
is brought to the status, then both requests are released together. Whatever the
interleaving:

- no answer is a 5xx;
- every winner (2xx) did what the workflow allows, and the final state is exactly what
  applying the winners one after the other gives (no lost update, no half-applied step);
- every loser is a 409 that names the asset's status at some moment of that sequence
  (`asset_status`), or a 404 because a DELETE won;
- an approved asset always reads what its latest approved version holds, for a marketer
  and for a rep (no unreviewed publication), and there is one version per approval.

At the end, the consistency check (`baton check`) finds the catalogue, the blob store and
the search index in agreement. Identical uploads at once store one asset."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_KEY
from tests.reliability.harness import BatonServer, at_once, check_settled, served

ROUNDS = 10
ACTIONS = ("submit", "approve", "reject", "archive", "patch", "delete")
STATUSES = ("draft", "in_review", "approved", "archived")
GONE = "deleted"
# What each action does, by starting status (absent: refused with 409).
MOVES: dict[str, dict[str, str]] = {
    "submit": {"draft": "in_review"},
    "approve": {"in_review": "approved"},
    "reject": {"in_review": "draft"},
    "archive": {"draft": "archived", "in_review": "archived", "approved": "archived"},
    # A PATCH of an approved asset's content goes to its pending revision: still approved.
    "patch": {"draft": "draft", "in_review": "draft", "approved": "approved"},
    "delete": {s: GONE for s in STATUSES},
}
SETUP = {
    "draft": [],
    "in_review": ["submit"],
    "approved": ["submit", "approve"],
    "archived": ["archive"],
}


@dataclass(frozen=True)
class State:
    status: str
    body: str
    versions: int
    approved_body: str | None


def step(state: State, action: str, edit: str) -> State | None:
    """The state after `action`, or None when the workflow refuses it in `state`."""
    if state.status == GONE or state.status not in MOVES[action]:
        return None
    target = MOVES[action][state.status]
    if target == GONE:
        return State(GONE, "", 0, None)
    if action == "patch" and state.status == "approved":
        return state  # the words wait in the revision; reps keep the approved ones
    if action == "patch":
        return State(target, edit, state.versions, state.approved_body)
    if action == "approve":
        return State(target, state.body, state.versions + 1, state.body)
    return State(target, state.body, state.versions, state.approved_body)


def schedule(pair: tuple[str, str]) -> list[str]:
    """Starting statuses for the pair's rounds: ROUNDS rounds where both may act (else
    where one may), plus one round in each status where only one of them may."""
    both = [s for s in STATUSES if all(s in MOVES[a] for a in pair)]
    one = [s for s in STATUSES if s not in both and any(s in MOVES[a] for a in pair)]
    main = both or one
    return [main[i % len(main)] for i in range(ROUNDS)] + ([s for s in one] if both else [])


@dataclass
class PairFigures:
    rounds: int = 0
    outcomes: Counter[str] | None = None
    finals: Counter[str] | None = None
    server_errors: int = 0
    lost_updates: int = 0
    unreviewed: int = 0


class Lab:
    """One server, a marketer, a rep and the master key (DELETE is admin only)."""

    def __init__(self, server: BatonServer) -> None:
        self.server = server
        self.marketer = server.client(server.new_key("marketer"))
        self.rep = server.client(server.new_key("rep"))
        self.admin = server.client(ADMIN_KEY)
        self.serial = itertools.count()

    def close(self) -> None:
        for client in (self.marketer, self.rep, self.admin):
            client.close()

    def asset_in(self, status: str) -> tuple[str, State]:
        n = next(self.serial)
        body = f"Reviewed words of round {n}"
        created = self.marketer.post(
            "/v1/assets",
            json={"title": f"Race {n} hoist checklist", "kind": "one_pager", "body": body},
        )
        assert created.status_code == 201, created.text
        asset_id = created.json()["id"]
        state = State("draft", body, 0, None)
        for action in SETUP[status]:
            answer = self.call(action, asset_id, "")
            assert answer.status_code == 200, answer.text
            moved = step(state, action, "")
            assert moved is not None
            state = moved
        return asset_id, state

    def call(self, action: str, asset_id: str, edit: str) -> httpx.Response:
        path = f"/v1/assets/{asset_id}"
        if action == "patch":
            return self.marketer.patch(path, json={"body": edit})
        if action == "delete":
            return self.admin.delete(path)
        if action == "reject":
            return self.marketer.post(f"{path}/reject", json={"comment": "Not yet"})
        return self.marketer.post(f"{path}/{action}")

    def observe(self, asset_id: str) -> State:
        path = f"/v1/assets/{asset_id}"
        answer = self.marketer.get(path)
        if answer.status_code == 404:
            return State(GONE, "", 0, None)
        assert answer.status_code == 200, answer.text
        asset = answer.json()
        versions = self.marketer.get(f"{path}/versions", params={"limit": 100}).json()
        latest = versions["items"][0]["body"] if versions["items"] else None
        return State(asset["status"], asset["body"], versions["total"], latest)


def _status_of(answer: httpx.Response) -> str | None:
    if answer.status_code == 204:
        return GONE
    body = answer.json()
    asset = body.get("asset", body)
    return str(asset["status"])


def explain(
    start: State, calls: list[tuple[str, str]], answers: list[httpx.Response], final: State
) -> str | None:
    """Why the answers and the final state are not what some order of the winners gives;
    None when they are."""
    winners = [i for i, a in enumerate(answers) if a.is_success]
    reasons = []
    for order in itertools.permutations(winners):
        state, seen, why = start, [start.status], None
        for i in order:
            action, edit = calls[i]
            moved = step(state, action, edit)
            if moved is None:
                why = f"{action} won from {state.status}, which the workflow refuses"
                break
            if _status_of(answers[i]) != moved.status:
                why = f"{action} answered {_status_of(answers[i])}, expected {moved.status}"
                break
            state = moved
            seen.append(state.status)
        if why is None and state != final:
            why = f"final {final} is not {state} (a lost or half-applied update)"
        if why is None:
            for i, answer in enumerate(answers):
                if i in winners:
                    continue
                if answer.status_code == 404 and GONE in seen:
                    continue
                if answer.status_code != 409:
                    why = f"loser {calls[i][0]} answered {answer.status_code}: {answer.text}"
                    break
                status = answer.json().get("asset_status")
                if status not in seen:
                    why = f"loser {calls[i][0]} named status {status!r}, not one of {seen}"
                    break
        if why is None:
            return None
        reasons.append(why)
    return "; ".join(reasons) or "no order of the winners explains the answers"


def race_pair(lab: Lab, pair: tuple[str, str], figures: PairFigures) -> list[str]:
    failures = []
    for status in schedule(pair):
        asset_id, start = lab.asset_in(status)
        calls = [
            (action, f"Edit {label} of {asset_id}")
            for action, label in zip(pair, "AB", strict=True)
        ]
        answers = at_once(
            [lambda c=c, i=asset_id: lab.call(c[0], i, c[1]) for c in calls]  # type: ignore[misc]
        )
        final = lab.observe(asset_id)
        figures.rounds += 1
        assert figures.outcomes is not None and figures.finals is not None
        figures.outcomes[
            " ".join(f"{a}={r.status_code}" for (a, _), r in zip(calls, answers, strict=True))
        ] += 1
        figures.finals[f"{status}->{final.status}"] += 1
        figures.server_errors += sum(a.status_code >= 500 for a in answers)
        where = f"{pair} from {status} on {asset_id}: " + ", ".join(
            f"{a} {r.status_code}" for (a, _), r in zip(calls, answers, strict=True)
        )
        why = explain(start, calls, answers, final)
        if why is not None:
            figures.lost_updates += 1
            failures.append(f"{where}: {why}")
        if final.status == "approved":
            rep_view = lab.rep.get(f"/v1/assets/{asset_id}")
            if (
                final.body != final.approved_body
                or rep_view.json().get("body") != final.approved_body
            ):
                figures.unreviewed += 1
                failures.append(f"{where}: approved body differs from its approved version")
    return failures


def test_every_pair_of_lifecycle_actions_at_once(
    database_url: str, tmp_path: Path, figures: Callable[[str, dict[str, Any]], None]
) -> None:
    pairs = list(itertools.combinations_with_replacement(ACTIONS, 2))
    failures: list[str] = []
    table: dict[str, PairFigures] = {}
    with served(database_url, tmp_path / "data", tmp_path) as server:
        lab = Lab(server)
        try:
            for pair in pairs:
                counted = table[f"{pair[0]} x {pair[1]}"] = PairFigures(
                    outcomes=Counter(), finals=Counter()
                )
                failures += race_pair(lab, pair, counted)
        finally:
            lab.close()
        report = check_settled(server.settings)
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    for name, f in table.items():
        assert f.outcomes is not None and f.finals is not None
        figures(
            f"race {name} ({kind})",
            {
                "rounds": f.rounds,
                "outcomes": dict(sorted(f.outcomes.items())),
                "final statuses": dict(sorted(f.finals.items())),
                "5xx": f.server_errors,
                "lost or unexplained updates": f.lost_updates,
                "unreviewed publications": f.unreviewed,
            },
        )
    figures(
        f"races, all pairs ({kind})",
        {
            "pairs": len(table),
            "rounds": sum(f.rounds for f in table.values()),
            "5xx": sum(f.server_errors for f in table.values()),
            "lost or unexplained updates": sum(f.lost_updates for f in table.values()),
            "unreviewed publications": sum(f.unreviewed for f in table.values()),
            "check problems": len(report.problems),
        },
    )
    assert not failures, "\n".join(failures)
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.parametrize("clients", [4])
def test_identical_uploads_at_once_store_one_asset(
    database_url: str,
    tmp_path: Path,
    clients: int,
    figures: Callable[[str, dict[str, Any]], None],
) -> None:
    outcomes: Counter[str] = Counter()
    with served(database_url, tmp_path / "data", tmp_path) as server:
        with server.client(server.new_key("marketer")) as http:
            for round_ in range(ROUNDS):
                data = f"Forklift daily checks, reliability round {round_}.".encode()
                answers = at_once(
                    [
                        lambda d=data: http.post(  # type: ignore[misc]
                            "/v1/assets/upload", files={"file": ("checks.txt", d)}
                        )
                        for _ in range(clients)
                    ]
                )
                codes = sorted(a.status_code for a in answers)
                outcomes[" ".join(map(str, codes))] += 1
                assert codes == [201] + [409] * (clients - 1), [a.text for a in answers]
                created = next(a for a in answers if a.status_code == 201).json()["id"]
                assert all(a.json()["asset_id"] == created for a in answers if a.status_code == 409)
                assert http.get(f"/v1/assets/{created}/file").content == data
        report = check_settled(server.settings)
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    figures(
        f"identical uploads, {clients} at once ({kind})",
        {"rounds": ROUNDS, "outcomes": dict(outcomes), "check problems": len(report.problems)},
    )
    assert report.ok, [str(p) for p in report.problems]
