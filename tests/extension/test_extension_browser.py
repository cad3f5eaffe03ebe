"""The extension in a real Chromium (Debian's) against a live Baton on 127.0.0.1: the
options page configured as a rep would, the fixture pages of a Salesforce opportunity, a
HubSpot deal, a Gmail thread and a plain page under their real host names, the side panel
(opened as a tab) showing each deal's suggestions with their reasons, an email template
filled and inserted into the Gmail compose box, a rating, and on the server the events with
the deal's id and the sent asset left out of the next suggestions. A wrong key and a server
that is down show their states, and the recording proxy (tests/extension/harness.py) sees
no request to any host but the configured server and the fixture pages. Screenshots of each
state go to $BATON_TEST_ARTEFACTS/extension (else tests/.artifacts/extension)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from api.db import session_scope
from api.events.models import Event
from tests.catalogue import create, publish, transition
from tests.conftest import Actor, new_actor
from tests.extension.harness import launch
from tests.extension.launcher import Panel, configure, ensure_build, open_panel, tab_id
from tests.live import already_started

pytestmark = [pytest.mark.slow, pytest.mark.one_database]

SALESFORCE_DEAL = "0065g00000KXbQ2AAL"
HUBSPOT_DEAL = "18234567890"


@pytest.fixture
def server(app: FastAPI, client: object) -> Iterator[str]:
    with already_started(app) as url:
        yield url


def catalogue(marketer: Actor) -> dict[str, dict[str, Any]]:
    """Approved content that fits the fixture pages' deals."""
    offline = marketer.post("/v1/questions", json={"text": "Does the app work offline?"})
    assert offline.status_code in (200, 201), offline.text
    return {
        "case": publish(
            marketer,
            title="Tunnelling contractor cuts overtime 30% with offline crews",
            kind="case_study",
            summary="How an underground construction crew schedules and charts with no signal.",
            body="Crews underground work offline all shift; the app syncs when back in signal.",
            stages=["decision"],
            industries=["construction"],
            personas=["cfo"],
            question_ids=[offline.json()["id"]],
        ),
        "template": publish(
            marketer,
            title="Follow-up: offline crews and ROI",
            kind="email_template",
            body=(
                "Hi {{ first_name }},\n\nCrews like yours closed {{ jobs_closed }} more jobs "
                "a month once they could work offline.\n\n{{ sender_name }}"
            ),
            fields={"subject": "Offline crews at {{ company }}"},
            stages=["decision"],
            industries=["construction", "healthcare"],
        ),
        "health": publish(
            marketer,
            title="Home health: bedside charting and visit routing",
            kind="one_pager",
            summary="Nurses chart at the bedside; dispatch routes the visits.",
            stages=["decision"],
            industries=["healthcare"],
        ),
        "sheet": uploaded(
            marketer,
            "price-sheet.txt",
            b"Fieldline price sheet for tunnelling and construction crews.",
            {
                "title": "Construction price sheet",
                "kind": "one_pager",
                "industries": ["construction"],
            },
        ),
        "storm": publish(
            marketer,
            title="Storm season: dispatch the nearest crew with switching authorisation",
            kind="battlecard",
            summary="Utilities restore faster when dispatch knows crew skills and location.",
            body="Storm season outages: crews, dispatch, restoration times, utilities.",
            industries=["utilities"],
        ),
    }


def uploaded(
    marketer: Actor, name: str, content: bytes, metadata: dict[str, Any]
) -> dict[str, Any]:
    """An approved asset with a file."""
    response = marketer.post(
        "/v1/assets/upload",
        files={"file": (name, content, "text/plain")},
        data={"metadata": json.dumps(metadata)},
    )
    assert response.status_code == 201, response.text
    transition(marketer, response.json()["id"], "submit")
    return transition(marketer, response.json()["id"], "approve")


@contextmanager
def hanging_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """A port on 127.0.0.1 that accepts connections and never answers; its address, and a
    function that closes it and every connection it took (the server going down)."""
    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []
    closed = threading.Event()

    def accept() -> None:
        while not closed.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            taken.append(connection)

    def drop() -> None:
        closed.set()
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below on Linux
        listener.close()
        for connection in taken:
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", drop
    finally:
        drop()


def events(app: FastAPI, asset_id: str) -> list[Event]:
    usage = getattr(app.state, "usage", None)
    if usage is not None:
        usage.flush()
    with session_scope(app.state.engine) as session:
        rows = session.exec(
            select(Event).where(col(Event.asset_id) == asset_id).order_by(col(Event.id))
        ).all()
        return [Event.model_validate(row) for row in rows]


def suggested_ids(panel: Panel) -> list[str]:
    return [
        element.get_attribute("data-asset-id") or ""
        for element in panel.page.query_selector_all('[data-testid="suggestion"]')
    ]


def card(panel: Panel, asset_id: str) -> Any:
    return panel.page.locator(f'[data-testid="suggestion"][data-asset-id="{asset_id}"]')


def test_a_rep_gets_suggestions_for_each_page_fills_an_email_and_rates_it(
    app: FastAPI, server: str, client: Any, marketer: Actor
) -> None:
    assets = catalogue(marketer)
    rep = new_actor(client, "rep")
    with launch(ensure_build(), server) as browser:
        context = browser.context
        first = open_panel(context, browser.extension_id)
        assert first.wait_for_state("not-configured") == "not-configured"
        first.screenshot("not-configured")
        first.page.close()

        assert (
            configure(context, browser.extension_id, server, str(rep.key))
            == "Connected as Rep (rep)."
        )

        # Salesforce: the opportunity's stage, industry and persona, its questions.
        crm = context.new_page()
        crm.goto(browser.urls["salesforce"])
        panel = open_panel(
            context,
            browser.extension_id,
            tab_id(context, browser.extension_id, "https://fieldline"),
        )
        assert panel.wait_for_state("ready") == "ready"
        deal = panel.page.inner_text('[data-testid="deal"]')
        assert "Harbour Line Tunnelling" in deal and "Stage: Decision" in deal
        ids = suggested_ids(panel)
        assert ids[0] == assets["case"]["id"] and assets["template"]["id"] in ids
        assert ids.index(assets["storm"]["id"]) > ids.index(assets["template"]["id"])
        reasons = (
            card(panel, assets["case"]["id"]).locator('[data-testid="reason"]').all_inner_texts()
        )
        assert "stage: decision" in reasons and "industry: construction" in reasons
        questions = panel.page.locator('[data-testid="question"]').all_inner_texts()
        assert any("work offline" in q and assets["case"]["title"] in q for q in questions)
        panel.screenshot("ready-salesforce")

        # Sending to this deal: the sheet downloaded, the case study's link copied.
        with panel.page.expect_download() as download:
            card(panel, assets["sheet"]["id"]).locator('[data-testid="action-download"]').click()
        assert download.value.suggested_filename == "price-sheet.txt"
        panel.page.wait_for_selector('[data-testid="toast"]:has-text("Downloaded")')
        card(panel, assets["case"]["id"]).locator('[data-testid="action-copy-link"]').click()
        panel.page.wait_for_selector('[data-testid="toast"]:has-text("Link copied")')
        case_card = card(panel, assets["case"]["id"])
        case_card.locator('[data-testid="action-open"]').click()
        case_card.locator(".preview").get_by_text("the app syncs when back in signal").wait_for()

        # The same tab moves to a HubSpot deal: the panel follows it.
        crm.goto(browser.urls["hubspot"])
        panel.page.wait_for_selector(f'#app[data-deal-key="{HUBSPOT_DEAL}"]')
        assert panel.wait_for_state("ready") == "ready"
        assert "Coastline Home Health" in panel.page.inner_text('[data-testid="deal"]')
        ids = suggested_ids(panel)
        assert ids[0] == assets["health"]["id"]
        panel.screenshot("ready-hubspot")

        # Search as you type, typo and all, narrowed by a kind chip.
        panel.page.fill('[data-testid="search-input"]', "storm sesaon")
        panel.page.wait_for_selector(
            f'[data-testid="search-result"][data-asset-id="{assets["storm"]["id"]}"]'
        )
        panel.page.click('[data-testid="chip-kind"][data-value="case_study"]')
        panel.page.wait_for_selector('[data-testid="search-result"]', state="detached")
        panel.page.click('[data-testid="chip-kind"][data-value="case_study"]')
        panel.page.fill('[data-testid="search-input"]', "")

        # A plain page: the generic reader, injected when the panel asks.
        crm.goto(browser.urls["plain"])
        panel.page.wait_for_selector('#app[data-deal-key^="https://news."]')
        assert panel.wait_for_state("ready") == "ready"
        assert suggested_ids(panel)[0] == assets["storm"]["id"]
        storm = card(panel, assets["storm"]["id"])
        storm.locator('[data-testid="not-helpful"]').click()
        storm.locator('[data-testid="feedback-comment"]').fill("We need a utilities case study")
        panel.screenshot("not-helpful-comment")
        storm.locator('[data-testid="feedback-send"]').click()
        panel.page.wait_for_selector('[data-testid="not-helpful"][aria-pressed="true"]')
        panel.screenshot("ready-plain-page")

        # Back to the Salesforce deal, then its Gmail thread: the thread is linked to it.
        crm.goto(browser.urls["salesforce"])
        panel.page.wait_for_selector(f'#app[data-deal-key="{SALESFORCE_DEAL}"]')
        crm.goto(browser.urls["gmail"])
        panel.page.wait_for_selector(
            f'#app[data-deal-key]:not([data-deal-key="{SALESFORCE_DEAL}"])'
            ':not([data-deal-key^="https://news."])'
        )
        assert panel.wait_for_state("ready") == "ready"
        assert "Harbour Line Tunnelling" in panel.page.inner_text('[data-testid="deal"]')

        template = card(panel, assets["template"]["id"])
        template.locator('[data-testid="action-fill"]').click()
        form = template.locator('[data-testid="fill-form"]')
        form.wait_for()
        # first_name, company and sender_name come from the deal and the rep; this one not.
        fields = form.locator('[data-testid="fill-field"]')
        assert [fields.nth(i).get_attribute("data-name") for i in range(fields.count())] == [
            "jobs_closed"
        ]
        fields.first.fill("14")
        panel.screenshot("fill-form")
        form.locator('[data-testid="fill-insert"]').click()
        panel.page.wait_for_selector('[data-testid="toast"]:has-text("Inserted")')
        assert (
            crm.input_value("input[name=subjectbox]") == "Offline crews at Harbour Line Tunnelling"
        )
        body = crm.inner_text('div[aria-label="Message Body"]')
        assert "Hi Dana," in body and "closed 14 more jobs" in body and "Rep" in body

        template.locator('[data-testid="helpful"]').click()
        panel.page.wait_for_selector('[data-testid="helpful"][aria-pressed="true"]')

        # Everything went to the configured server (the recording proxy saw every host).
        assert browser.foreign_hosts() == set()
        assert f"127.0.0.1:{server.rsplit(':', 1)[1]}" in browser.proxy.hosts()

    recorded = events(app, assets["template"]["id"])
    by_type = {event.type: event for event in recorded}
    assert by_type["send"].opportunity_id == SALESFORCE_DEAL
    assert by_type["helpful"].opportunity_id == SALESFORCE_DEAL
    assert by_type["render"].opportunity_id == SALESFORCE_DEAL
    again = rep.post(
        "/v1/suggestions",
        json={"stage": "decision", "industry": "construction", "opportunity_id": SALESFORCE_DEAL},
    )
    assert again.status_code == 200, again.text
    assert assets["template"]["id"] not in [s["asset"]["id"] for s in again.json()["suggestions"]]
    sent = {assets[name]["id"] for name in ("template", "sheet", "case")}
    assert {s["asset_id"] for s in again.json()["already_sent"]} == sent
    assert not sent & {s["asset"]["id"] for s in again.json()["suggestions"]}
    sheet = [(e.type, e.opportunity_id) for e in events(app, assets["sheet"]["id"])]
    assert ("download", SALESFORCE_DEAL) in sheet and ("send", SALESFORCE_DEAL) in sheet
    case = [(e.type, e.opportunity_id) for e in events(app, assets["case"]["id"])]
    assert ("copy", SALESFORCE_DEAL) in case and ("send", SALESFORCE_DEAL) in case
    assert ("view", SALESFORCE_DEAL) in case
    feedback = marketer.get(f"/v1/assets/{assets['storm']['id']}/feedback")
    assert feedback.status_code == 200, feedback.text
    assert [(f["type"], f["comment"]) for f in feedback.json()["items"]] == [
        ("not_helpful", "We need a utilities case study")
    ]


def test_the_panel_shows_a_pitch_kit_an_overdue_badge_and_offers_a_replacement(
    app: FastAPI, server: str, client: Any, marketer: Actor
) -> None:
    """Issue 15 in the rep's panel: the pitch kit fitting the Salesforce deal (its members
    in order, each with the card's actions), a case study whose review is overdue badged as
    possibly out of date, and a price sheet replaced while its card was on screen: its
    preview offers the replacement, which the rep then uses."""
    # The case study was approved 30 days ago; case studies now need a review every 10.
    real_clock = app.state.clock
    app.state.clock = lambda: real_clock() - timedelta(days=30)
    try:
        overdue = publish(
            marketer,
            title="Tunnelling crew keeps its charts offline underground",
            kind="case_study",
            body="Crews underground chart offline all shift and sync at the portal.",
            stages=["decision"],
            industries=["construction"],
        )
    finally:
        app.state.clock = real_clock
    policy = marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 10}})
    assert policy.status_code == 200, policy.text
    old = publish(
        marketer,
        title="2025 price sheet for tunnelling crews",
        kind="one_pager",
        body="Per-crew prices for 2025.",
        stages=["decision"],
        industries=["construction"],
    )
    new = create(
        marketer,
        title="2026 price sheet for tunnelling crews",
        kind="one_pager",
        body="Per-crew prices for 2026, with the night-shift rate.",
        stages=["decision"],
        industries=["construction"],
    )
    linked = marketer.post(
        f"/v1/assets/{new['id']}/links", json={"type": "replaces", "target_id": old["id"]}
    )
    assert linked.status_code == 201, linked.text
    roi = publish(
        marketer,
        title="Crew overtime ROI worksheet",
        kind="one_pager",
        industries=["construction"],
    )
    kit = marketer.post(
        "/v1/collections",
        json={
            "name": "Construction decision kit",
            "description": "What a tunnelling CFO asks for before signing",
            "stages": ["decision"],
            "industries": ["construction"],
            "asset_ids": [roi["id"], overdue["id"], new["id"]],  # the draft: hidden from reps
        },
    )
    assert kit.status_code == 201, kit.text
    rep = new_actor(client, "rep")

    with launch(ensure_build(), server) as browser:
        context = browser.context
        configure(context, browser.extension_id, server, str(rep.key))
        crm = context.new_page()
        crm.goto(browser.urls["salesforce"])
        panel = open_panel(
            context,
            browser.extension_id,
            tab_id(context, browser.extension_id, "https://fieldline"),
        )
        assert panel.wait_for_state("ready") == "ready"

        # The pitch kit: name, description, its live members in order behind a toggle.
        shown = panel.page.locator(f'[data-testid="kit"][data-collection-id="{kit.json()["id"]}"]')
        assert shown.locator("h3.kit-name").inner_text() == "Construction decision kit"
        assert "What a tunnelling CFO asks for" in shown.inner_text()
        members = shown.locator('[data-testid="kit-member"]')
        assert not members.first.is_visible()
        shown.locator('[data-testid="kit-toggle"]').click()
        assert shown.locator('[data-testid="kit-toggle"]').get_attribute("aria-expanded") == "true"
        assert [members.nth(i).get_attribute("data-asset-id") for i in range(members.count())] == [
            roi["id"],
            overdue["id"],
        ]
        member = members.nth(1)
        assert member.locator('[data-testid="freshness"]').inner_text() == "Review overdue"
        member.locator('[data-testid="action-open"]').click()
        member.locator(".preview").get_by_text("sync at the portal").wait_for()

        # The overdue case study's card: a calm badge, and why it matters.
        overdue_card = card(panel, overdue["id"])
        assert overdue_card.locator('[data-testid="freshness"]').inner_text() == "Review overdue"
        assert "out of date" in overdue_card.locator('[data-testid="freshness-note"]').inner_text()
        assert card(panel, old["id"]).locator('[data-testid="freshness"]').count() == 0
        panel.screenshot("pitch-kit-and-overdue")

        # Marketing publishes the 2026 sheet and retires the 2025 one while its card is shown.
        transition(marketer, new["id"], "submit")
        transition(marketer, new["id"], "approve")
        transition(marketer, old["id"], "archive")
        stale = card(panel, old["id"])
        stale.locator('[data-testid="action-open"]').click()
        offer = stale.locator('[data-testid="replaced"]')
        offer.wait_for()
        assert f"This piece was replaced by {new['title']}." in offer.inner_text()
        panel.screenshot("replaced-offer")
        offer.locator('[data-testid="use-replacement"]').click()
        replacement = card(panel, new["id"])
        replacement.locator(".preview").get_by_text("night-shift rate").wait_for()
        assert card(panel, old["id"]).count() == 0

        assert browser.foreign_hosts() == set()

    opened = [(e.type, e.opportunity_id) for e in events(app, new["id"])]
    assert ("view", SALESFORCE_DEAL) in opened


def test_a_wrong_key_an_empty_catalogue_a_slow_server_and_a_server_down_show_their_states(
    app: FastAPI, server: str, client: Any
) -> None:
    rep = new_actor(client, "rep")
    with launch(ensure_build(), server) as browser:
        context = browser.context
        crm = context.new_page()
        crm.goto(browser.urls["salesforce"])
        tab = tab_id(context, browser.extension_id, "https://fieldline")

        result = configure(context, browser.extension_id, server, "not-a-key")
        assert result.startswith("The server refused this key")
        panel = open_panel(context, browser.extension_id, tab)
        assert panel.wait_for_state("unauthorized") == "unauthorized"
        assert "refused" in panel.page.inner_text('[data-testid="state"]')
        panel.screenshot("unauthorized")

        configure(context, browser.extension_id, server, str(rep.key))
        assert panel.wait_for_state("empty") == "empty"
        assert "Nothing suggested" in panel.page.inner_text('[data-testid="state"]')
        panel.screenshot("empty")

        # A server that takes the connection and does not answer: loading; then it goes
        # down: unreachable.
        with hanging_server() as (down, drop):
            configure(context, browser.extension_id, down, str(rep.key), test=False)
            assert panel.wait_for_state("loading") == "loading"
            panel.screenshot("loading")
            drop()
            assert panel.wait_for_state("unreachable") == "unreachable"
        assert "cannot be reached" in panel.page.inner_text('[data-testid="state"]')
        panel.screenshot("unreachable")
        assert browser.foreign_hosts() == {down.removeprefix("http://")}
