"""Due for review (once per asset and due date), rule changes re-checking live content,
and overdue content in the gaps report, through the notifications worker and a real SMTP
server."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import Session, col, select

from api import db as api_db
from api.freshness import reminders
from api.notifications import service as notification_service
from api.notifications.models import OutboxEvent
from api.notifications.worker import Notifier, run_once
from api.settings import Settings
from tests.api.notifications.receivers import smtp_server
from tests.api.test_conventions import assert_problem
from tests.catalogue import publish
from tests.conftest import Actor

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def events(app: FastAPI, kind: str) -> list[OutboxEvent]:
    with Session(app.state.engine) as session:
        return list(
            session.exec(
                select(OutboxEvent)
                .where(col(OutboxEvent.type) == kind)
                .order_by(col(OutboxEvent.id))
            ).all()
        )


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def email_of(actor: Actor) -> str:
    return str(actor.get("/v1/me").json()["email"])


def test_due_for_review_is_sent_once_per_due_date(
    app: FastAPI, settings: Settings, marketer: Actor
) -> None:
    at(app, NOW)
    story = publish(marketer, title="Crane retrofit at Rotterdam", kind="case_study")
    publish(marketer, title="Steel tariff battlecard", kind="battlecard")  # 60 days: not yet
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    with smtp_server() as (url, mailbox):
        mailing = settings.model_copy(update={"smtp_url": SecretStr(url)})
        run_once(app.state.engine, mailing, now=NOW + timedelta(days=10))
        assert events(app, "asset.due_for_review") == []  # 20 days away: not yet
        for hours in (0, 1):  # two rounds (of one process or two): one notification
            run_once(app.state.engine, mailing, now=NOW + timedelta(days=17, hours=hours))
        reminders = [m for m in mailbox.messages if m["Subject"].startswith("Due for review")]
    (event,) = events(app, "asset.due_for_review")
    assert event.subject_id == story["id"]
    assert event.payload["review_due_at"] == (NOW + timedelta(days=30)).isoformat()
    assert event.payload["owner"]["email"] == email_of(marketer)
    (reminder,) = reminders
    assert reminder["To"] == email_of(marketer)
    assert reminder["Subject"] == "Due for review: Crane retrofit at Rotterdam"
    assert f"/v1/assets/{story['id']}" in body_of(reminder)

    # Verified, its next due date is notified in turn (once).
    at(app, NOW + timedelta(days=18))
    assert marketer.post(f"/v1/assets/{story['id']}/verify").status_code == 200
    for days in (34, 35, 40):  # its window opens at day 34 (the battlecard's at 46)
        run_once(app.state.engine, settings, now=NOW + timedelta(days=days))
    later = events(app, "asset.due_for_review")
    assert len(later) == 2
    assert later[1].payload["review_due_at"] == (NOW + timedelta(days=48)).isoformat()


def test_a_new_interval_is_notified_again_but_a_reminded_asset_not_twice(
    app: FastAPI, settings: Settings, marketer: Actor
) -> None:
    """Rounds skip the assets reminded in their current review cycle; a new interval for
    their kind starts a new one (its due date moves), so the new date is notified."""
    at(app, NOW)
    story = publish(marketer, title="Crane retrofit at Rotterdam", kind="case_study")
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    for days in (17, 18):
        run_once(app.state.engine, settings, now=NOW + timedelta(days=days))
    assert [e.payload["review_due_at"] for e in events(app, "asset.due_for_review")] == [
        (NOW + timedelta(days=30)).isoformat()
    ]

    at(app, NOW + timedelta(days=19))
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 20}})
    for hours in (1, 2, 3):  # overdue since day 20 under the new interval: notified once
        run_once(app.state.engine, settings, now=NOW + timedelta(days=21, hours=hours))
    reminders = events(app, "asset.due_for_review")
    assert [e.payload["review_due_at"] for e in reminders] == [
        (NOW + timedelta(days=30)).isoformat(),
        (NOW + timedelta(days=20)).isoformat(),
    ]
    assert {e.subject_id for e in reminders} == {story["id"]}


PAPERLESS = {
    "type": "deprecated",
    "phrase": "paperless",
    "replacement": "digital",
    "severity": "warning",
    "reason": "Our product is the Digital Field Crew now",
}


def test_a_rule_change_lists_live_violations_and_tells_each_owner_once(
    app: FastAPI, settings: Settings, marketer: Actor, rep: Actor
) -> None:
    at(app, NOW)
    crew = publish(
        marketer,
        title="The Paperless Field Crew",
        kind="one_pager",
        body="Crews sign off jobs on a tablet.",
    )
    publish(marketer, title="Dock safety checklist", kind="one_pager", body="Check the ropes.")
    draft = marketer.post(
        "/v1/assets", json={"title": "Paperless draft", "kind": "one_pager"}
    ).json()
    assert marketer.get("/v1/messaging/violations").json()["items"] == []

    changed = marketer.put("/v1/messaging/rules", json={"rules": [PAPERLESS]})
    assert changed.status_code == 200, changed.text
    listed = marketer.get("/v1/messaging/violations")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1  # live only: not the draft, not the compliant one
    (item,) = body["items"]
    assert item["asset"]["id"] == crew["id"] and item["asset"]["id"] != draft["id"]
    assert item["asset"]["owner_email"] == email_of(marketer)
    (finding,) = item["findings"]
    assert finding["phrase"] == "paperless" and finding["field"] == "title"
    assert finding["replacement"] == "digital"
    assert_problem(rep.get("/v1/messaging/violations"), 403)

    with smtp_server() as (url, mailbox):
        mailing = settings.model_copy(update={"smtp_url": SecretStr(url)})
        for hours in (1, 2):  # the pass is claimed once per rules version
            run_once(app.state.engine, mailing, now=NOW + timedelta(hours=hours))
        mails = [m for m in mailbox.messages if m["Subject"].startswith("Messaging rules")]
    (event,) = events(app, "rules.violated")
    assert event.subject_id == crew["id"]
    assert event.payload["rules_version"] == body["rules_version"]
    assert event.payload["findings"][0]["phrase"] == "paperless"
    (mail,) = mails
    assert mail["To"] == email_of(marketer)
    assert mail["Subject"] == "Messaging rules: The Paperless Field Crew"

    # New rules, a new version: the asset still breaks them and is notified again.
    strict = {**PAPERLESS, "severity": "error"}
    assert marketer.put("/v1/messaging/rules", json={"rules": [strict]}).status_code == 200
    run_once(app.state.engine, settings, now=NOW + timedelta(hours=3))
    assert len(events(app, "rules.violated")) == 2


def test_the_gaps_report_lists_overdue_content_with_its_owner(
    app: FastAPI, marketer: Actor
) -> None:
    at(app, NOW)
    story = publish(marketer, title="Crane retrofit at Rotterdam", kind="case_study")
    publish(marketer, title="Harbour pilot testimonial", kind="testimonial")
    marketer.put(
        "/v1/freshness/policies", json={"policies": {"case_study": 30, "testimonial": None}}
    )
    at(app, NOW + timedelta(days=31))
    report = marketer.get("/v1/reports/content-gaps").json()
    assert report["totals"]["overdue"] == 1
    (overdue,) = report["overdue"]
    assert overdue == {
        "id": story["id"],
        "title": "Crane retrofit at Rotterdam",
        "kind": "case_study",
        "owner": {"id": marketer.id, "email": email_of(marketer)},
        "review_due_at": (NOW + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
    }
    page = marketer.get("/v1/reports/content-gaps.html")
    assert page.status_code == 200, page.text
    assert "Overdue for review" in page.text
    assert "Crane retrofit at Rotterdam" in page.text


def test_many_due_at_once_are_raised_over_several_short_rounds(
    app: FastAPI, settings: Settings, marketer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round raises at most ROUND_LIMIT events in its one transaction (on SQLite every
    writer waits for it); the next rounds raise the rest, each asset once, and a rule
    change's violations likewise. Verifications and claims are read a few assets at a time
    (two here, so the five cross chunks)."""
    monkeypatch.setattr(notification_service, "ROUND_LIMIT", 2)
    monkeypatch.setattr(api_db, "IN_LIST_SIZE", 2)
    at(app, NOW)
    stories = [
        publish(marketer, title=f"Paperless crane retrofit {i}", kind="case_study")
        for i in range(5)
    ]
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    assert marketer.put("/v1/messaging/rules", json={"rules": [PAPERLESS]}).status_code == 200
    counts = []
    for hours in range(5):
        run_once(app.state.engine, settings, now=NOW + timedelta(days=17, hours=hours))
        counts.append(
            (len(events(app, "asset.due_for_review")), len(events(app, "rules.violated")))
        )
    assert counts == [(2, 2), (4, 4), (5, 5), (5, 5), (5, 5)]
    assert {e.subject_id for e in events(app, "rules.violated")} == {s["id"] for s in stories}


def test_a_backlog_is_reminded_longest_approved_first_each_round_reading_a_few_pages(
    app: FastAPI, settings: Settings, marketer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round reads its candidates a page at a time along the review index and stops once
    it raised ROUND_LIMIT: the assets approved longest ago are reminded first, each once,
    across pages and rounds."""
    monkeypatch.setattr(notification_service, "ROUND_LIMIT", 3)
    monkeypatch.setattr(reminders, "PAGE", 2)
    published = []
    for i in range(7):  # each approved an hour before the one published before it
        at(app, NOW - timedelta(hours=i))
        published.append(publish(marketer, title=f"Crane retrofit {i}", kind="case_study"))
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    oldest_first = [a["id"] for a in reversed(published)]
    rounds = []
    for hours in range(4):
        run_once(app.state.engine, settings, now=NOW + timedelta(days=17, hours=hours))
        raised = [e.subject_id for e in events(app, "asset.due_for_review")]
        rounds.append(raised)
    assert [len(r) for r in rounds] == [3, 6, 7, 7]
    assert set(rounds[0]) == set(oldest_first[:3])
    assert set(rounds[1]) == set(oldest_first[:6])
    assert sorted(rounds[3]) == sorted(oldest_first)


def test_the_loop_works_off_a_backlog_a_round_per_interval_not_back_to_back(
    app: FastAPI, settings: Settings, marketer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The serving process's loop runs a round at once when a commit raised an event, but
    not for the events its own round raised (it dispatched them): a backlog of due reviews
    is worked off a round per interval, so pages keep the write lock and the CPU between
    rounds. A rep's or marketer's event still wakes it at once, to send that event: the
    time-based events are looked for once per interval, not after every edit (the look
    reads the whole library; reps search right after edits)."""
    monkeypatch.setattr(notification_service, "ROUND_LIMIT", 2)
    at(app, NOW)
    for i in range(5):
        publish(marketer, title=f"Paperless crane retrofit {i}", kind="case_study")
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    loop = Notifier(
        app.state.engine,
        settings.model_copy(update={"notifications_interval_seconds": 3600}),
        clock=lambda: NOW + timedelta(days=17),
    )
    loop.start()
    try:
        wait_for(lambda: len(events(app, "asset.due_for_review")) >= 2)
        # Its own round's events did not start the next round: still two a moment later
        # (back to back, the five are raised within milliseconds).
        time.sleep(1.5)
        assert len(events(app, "asset.due_for_review")) == 2, "rounds ran back to back"
        # Someone's event wakes it at once: that round sends it (dispatches it) and
        # raises no more due reviews before the interval is up.
        new = publish(marketer, title="A new one-pager", kind="one_pager")
        approved = [e for e in events(app, "asset.approved") if e.subject_id == new["id"]]
        assert len(approved) == 1
        wait_for(
            lambda: all(
                e.dispatched_at is not None
                for e in events(app, "asset.approved")
                if e.subject_id == new["id"]
            )
        )
        assert len(events(app, "asset.due_for_review")) == 2
    finally:
        loop.stop()


def test_the_loop_looks_for_time_based_events_again_when_the_interval_is_up(
    app: FastAPI, settings: Settings, marketer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notification_service, "ROUND_LIMIT", 2)
    at(app, NOW)
    for i in range(3):
        publish(marketer, title=f"Paperless crane retrofit {i}", kind="case_study")
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    loop = Notifier(
        app.state.engine,
        settings.model_copy(update={"notifications_interval_seconds": 0.5}),
        clock=lambda: NOW + timedelta(days=17),
    )
    loop.start()
    try:
        wait_for(lambda: len(events(app, "asset.due_for_review")) == 3)
    finally:
        loop.stop()


def wait_for(done: Callable[[], bool], seconds: float = 60) -> None:
    """Poll until `done()` (a bound for a busy machine, not a figure under test)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "not done in time"
        time.sleep(0.05)
