"""Load: marketers and reps at once against a real server for a while; afterwards every
write the server acknowledged is there, as acknowledged, and searchable as it should be.

Marketers (each on their own assets, so nothing of theirs can conflict) create, upload
real files, edit, submit and approve, archive; reps search, list, read and ask for
suggestions. Every 2xx write is recorded with what it answered (content, status,
revision). Afterwards each recorded asset must read exactly as its last acknowledged write
left it (a lost write otherwise), a rep's search must find it when it is approved and not
otherwise, and the consistency check must find nothing. No answer may be a 5xx; the
figures (requests, req/s, outcomes) are printed at the end of the run. No timing is
asserted."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.documents import FORMATS, document, token
from tests.reliability.harness import BatonServer, check_settled, served

SECONDS = 20
MARKETERS = 4
REPS = 4
SEARCH_WORDS = ("hoist", "inspection", "crew", "brakes", "shift", "crane safety", "latches")


@dataclass
class Ack:
    """What the server last acknowledged for one asset."""

    title: str
    body: str
    status: str
    etag: str | None  # the revision; creating answers none (README: GET, PATCH, steps do)
    token: str
    sha256: str | None = None


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    stale_searches: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)

    def count(self, op: str, answer: httpx.Response, expected: set[int]) -> bool:
        with self.lock:
            self.codes[f"{op} {answer.status_code}"] += 1
            if answer.status_code not in expected:
                self.unexpected.append(f"{op}: {answer.status_code} {answer.text[:300]}")
                return False
        return True

    @property
    def requests(self) -> int:
        return sum(self.codes.values())

    @property
    def server_errors(self) -> int:
        return sum(n for key, n in self.codes.items() if key.split()[-1].startswith("5"))


def _ack(answer: httpx.Response, word: str, sha256: str | None = None) -> Ack:
    data = answer.json()
    asset = data.get("asset", data)
    etag = answer.headers.get("etag")
    return Ack(asset["title"], asset["body"], asset["status"], etag, word, sha256)


class Marketer:
    def __init__(self, server: BatonServer, rep_key: str, seed: int, tally: Tally) -> None:
        self.http = server.client(server.new_key("marketer"))
        self.rep = server.client(rep_key)
        self.rng = random.Random(seed)
        self.tally = tally
        self.acks: dict[str, Ack] = {}

    def run(self, until: float) -> None:
        try:
            while time.monotonic() < until:
                self.rng.choices(
                    [self.create, self.upload, self.edit, self.publish, self.archive, self.read],
                    weights=[25, 15, 25, 20, 5, 10],
                )[0]()
        finally:
            self.http.close()
            self.rep.close()

    def _mine(self, *statuses: str) -> str | None:
        ids = [i for i, a in self.acks.items() if a.status in statuses]
        return self.rng.choice(ids) if ids else None

    def create(self) -> None:
        word = token(self.rng)
        answer = self.http.post(
            "/v1/assets",
            json={
                "title": f"Crane safety {word}",
                "kind": self.rng.choice(["one_pager", "case_study", "battlecard"]),
                "body": f"First words about {word} and the hoist crew.",
                "stages": [self.rng.choice(["awareness", "decision"])],
            },
        )
        if self.tally.count("create", answer, {201}):
            self.acks[answer.json()["id"]] = _ack(answer, word)

    def upload(self) -> None:
        word = token(self.rng)
        suffix = self.rng.choices(FORMATS, weights=[4, 4, 3, 1, 1, 1])[0]
        answer = self.http.post(
            "/v1/assets/upload", files={"file": (f"{word}.{suffix}", document(word, suffix))}
        )
        if self.tally.count("upload", answer, {201}):
            body = answer.json()
            self.acks[body["id"]] = _ack(answer, word, body["file"]["sha256"])

    def edit(self) -> None:
        asset_id = self._mine("draft", "in_review", "approved")
        if asset_id is None:
            return self.create()
        ack = self.acks[asset_id]
        edit = f"Edited words {self.rng.randrange(10**9)} about {ack.token} and the crew."
        answer = self.http.patch(f"/v1/assets/{asset_id}", json={"body": edit})
        # 202: an approved asset's edit went to its pending revision; the answer is the
        # asset as reps still see it, which is what later reads must show.
        if self.tally.count("edit", answer, {200, 202}):
            self.acks[asset_id] = _ack(answer, ack.token, ack.sha256)
        return None

    def publish(self) -> None:
        asset_id = self._mine("draft", "in_review")
        if asset_id is None:
            return self.create()
        ack = self.acks[asset_id]
        if ack.status == "draft":
            answer = self.http.post(f"/v1/assets/{asset_id}/submit")
            if not self.tally.count("submit", answer, {200}):
                return None
            self.acks[asset_id] = ack = _ack(answer, ack.token, ack.sha256)
        answer = self.http.post(f"/v1/assets/{asset_id}/approve")
        if not self.tally.count("approve", answer, {200}):
            return None
        self.acks[asset_id] = _ack(answer, ack.token, ack.sha256)
        with self.tally.lock:
            self.tally.approved.append(asset_id)
        # A write that returned 2xx is visible to the next search (API.md).
        found = self.rep.get("/v1/search", params={"q": ack.token, "limit": 50})
        if self.tally.count("search after approve", found, {200}) and asset_id not in {
            hit["asset"]["id"] for hit in found.json()["hits"]
        }:
            self.tally.stale_searches.append(asset_id)
        return None

    def archive(self) -> None:
        asset_id = self._mine("draft", "in_review", "approved")
        if asset_id is None:
            return None
        ack = self.acks[asset_id]
        answer = self.http.post(f"/v1/assets/{asset_id}/archive")
        if self.tally.count("archive", answer, {200}):
            self.acks[asset_id] = _ack(answer, ack.token, ack.sha256)
        return None

    def read(self) -> None:
        asset_id = self._mine("draft", "in_review", "approved", "archived")
        if asset_id is None:
            return None
        self.tally.count("read own", self.http.get(f"/v1/assets/{asset_id}"), {200})
        return None


class Rep:
    def __init__(self, server: BatonServer, key: str, seed: int, tally: Tally) -> None:
        self.http = server.client(key)
        self.rng = random.Random(seed)
        self.tally = tally

    def run(self, until: float) -> None:
        try:
            while time.monotonic() < until:
                self.rng.choices(
                    [self.search, self.browse, self.read, self.suggest], weights=[50, 15, 25, 10]
                )[0]()
        finally:
            self.http.close()

    def search(self) -> None:
        query = self.rng.choice(SEARCH_WORDS)
        self.tally.count("rep search", self.http.get("/v1/search", params={"q": query}), {200})

    def browse(self) -> None:
        answer = self.http.get(
            "/v1/assets", params={"limit": 20, "offset": self.rng.randrange(3) * 20}
        )
        self.tally.count("rep list", answer, {200})

    def read(self) -> None:
        with self.tally.lock:
            known = self.rng.choice(self.tally.approved) if self.tally.approved else None
        if known is None:
            return self.search()
        # Approved once; since then it may be in review again or archived: 404 for a rep.
        self.tally.count("rep read", self.http.get(f"/v1/assets/{known}"), {200, 404})
        return None

    def suggest(self) -> None:
        answer = self.http.post(
            "/v1/suggestions",
            json={"text": "Our crew needs hoist inspection checklists", "limit": 5},
        )
        self.tally.count("rep suggestions", answer, {200})


def _verify(server: BatonServer, rep_key: str, acks: dict[str, Ack]) -> list[str]:
    """What differs from the acknowledged writes (each is a lost write)."""
    lost = []
    with server.client(server.new_key("marketer")) as http, server.client(rep_key) as rep:
        for asset_id, ack in acks.items():
            answer = http.get(f"/v1/assets/{asset_id}")
            if answer.status_code != 200:
                lost.append(f"{asset_id}: {answer.status_code} {answer.text[:200]}")
                continue
            now = _ack(answer, ack.token, ack.sha256)
            if ack.etag is None:
                now.etag = None
            if now != ack:
                lost.append(f"{asset_id}: acknowledged {ack}, reads {now}")
                continue
            if ack.sha256 is not None:
                stored = http.get(f"/v1/assets/{asset_id}/file")
                if stored.status_code != 200 or answer.json()["file"]["sha256"] != ack.sha256:
                    lost.append(f"{asset_id}: its file is gone or changed")
            hits = rep.get("/v1/search", params={"q": ack.token, "limit": 50}).json()["hits"]
            found = asset_id in {hit["asset"]["id"] for hit in hits}
            if found != (ack.status == "approved"):
                lost.append(f"{asset_id}: {ack.status}, yet a rep's search finds it: {found}")
    return lost


def test_mixed_load_loses_no_acknowledged_write(
    database_url: str, tmp_path: Path, figures: Callable[[str, dict[str, Any]], None]
) -> None:
    tally = Tally()
    with served(database_url, tmp_path / "data", tmp_path) as server:
        rep_key = server.new_key("rep")
        marketers = [Marketer(server, rep_key, seed, tally) for seed in range(MARKETERS)]
        reps = [Rep(server, server.new_key("rep"), 100 + seed, tally) for seed in range(REPS)]
        failures: list[BaseException] = []

        def run(worker: Marketer | Rep, until: float) -> None:
            try:
                worker.run(until)
            except BaseException as exc:
                failures.append(exc)

        # The extraction workers start at the first upload: before the clock runs.
        marketers[0].upload()
        started = time.monotonic()
        until = started + SECONDS
        threads = [threading.Thread(target=run, args=(w, until)) for w in [*marketers, *reps]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert not failures, failures
        acks = {k: v for m in marketers for k, v in m.acks.items()}
        lost = _verify(server, rep_key, acks)
        report = check_settled(server.settings)
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    statuses = Counter(a.status for a in acks.values())
    figures(
        f"mixed load, {MARKETERS} marketers and {REPS} reps for {SECONDS} s ({kind})",
        {
            "requests": tally.requests,
            "req/s": round(tally.requests / elapsed, 1),
            "5xx": tally.server_errors,
            "unexpected answers": len(tally.unexpected),
            "acknowledged assets": len(acks),
            "their final statuses": dict(sorted(statuses.items())),
            "uploads": sum(1 for a in acks.values() if a.sha256),
            "lost writes": len(lost),
            "searches after approval that missed it": len(tally.stale_searches),
            "check problems": len(report.problems),
            "answers": dict(sorted(tally.codes.items())),
        },
    )
    assert tally.server_errors == 0, tally.unexpected[:20]
    assert not tally.unexpected, tally.unexpected[:20]
    assert not lost, lost[:20]
    assert not tally.stale_searches, tally.stale_searches[:20]
    assert report.ok, [str(p) for p in report.problems]
