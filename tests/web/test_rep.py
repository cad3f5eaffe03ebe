"""The rep pages, server side: search as you type (fragment or page, corrections, facet
chips, safe highlights, the search log), the asset page (what a rep may see, replaced
assets, PDF page images, fill and copy, share links, ratings, the recorded view),
customer questions, pitch kits and suggestions; bad input is a message, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.discovery.models import SearchLog, SearchOpen
from api.events.models import Event
from api.sharing import pages
from api.web import rep as rep_pages
from tests.audiences.helpers import audience, join
from tests.catalogue import create, publish, transition
from tests.conftest import Actor
from tests.sharing.helpers import pdf_bytes, publish_pdf
from tests.web.conftest import signed_in_client

HTMX = {"HX-Request": "true"}


def rows(app: FastAPI, model: Any) -> list[Any]:
    app.state.search.log.flush()
    app.state.usage.flush()
    with Session(app.state.engine) as session:
        return list(session.exec(select(model)).all())


def plain(html: str) -> str:
    """A page's text without the search highlights' marks."""
    return html.replace("<mark>", "").replace("</mark>", "")


def template(marketer: Actor, **extra: Any) -> dict[str, Any]:
    return publish(
        marketer,
        title="Demo follow-up",
        kind="email_template",
        body="Hi {{ first_name }},\n\nThanks for the demo at {{ company }}.",
        fields={"subject": "Next steps for {{ company }}"},
        **extra,
    )


# --- /search ----------------------------------------------------------------------------


def test_search_page_finds_live_assets_and_htmx_gets_only_the_results(
    app: FastAPI, people: Any
) -> None:
    marketer = people("marketer")
    live = publish(marketer.api, title="Offline mode for field crews", summary="Works offline.")
    create(marketer.api, title="Offline draft nobody approved")
    browser = signed_in_client(app, people("rep"))

    page = browser.get("/search", params={"q": "offline"})
    assert page.status_code == 200
    assert '<label for="q">Search the library</label>' in page.text
    assert 'hx-push-url="true"' in page.text
    assert f'href="/assets/{live["id"]}?search_id=' in page.text
    assert "1 result for" in page.text
    assert "Offline draft" not in page.text  # a draft is not for reps

    fragment = browser.get("/search", params={"q": "offline"}, headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Offline mode for field crews" in plain(fragment.text)


def test_back_and_forward_get_the_whole_search_page(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("rep"))
    restore = {**HTMX, "HX-History-Restore-Request": "true"}
    page = browser.get("/search", params={"q": "anything"}, headers=restore)
    assert page.status_code == 200 and "<html" in page.text and 'id="results"' in page.text


def test_a_typo_is_corrected_and_said_so(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    publish(marketer.api, title="Security overview", summary="How we keep data safe.")
    browser = signed_in_client(app, people("rep"))
    page = browser.get("/search", params={"q": "secuirty"})
    assert page.status_code == 200
    assert "Showing results for <strong>security</strong>" in page.text
    assert "you typed “secuirty”" in page.text


def test_facet_chips_toggle_filters_through_real_links(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    publish(marketer.api, title="Rollout plan one", kind="one_pager", stages=["decision"])
    publish(marketer.api, title="Rollout case", kind="case_study")
    browser = signed_in_client(app, people("rep"))
    page = browser.get("/search", params={"q": "rollout"})
    assert "2 results" in page.text
    chip = re.search(r'<a class="chip" href="([^"]*kind=case_study[^"]*)">Case study', page.text)
    assert chip, page.text
    filtered = browser.get(chip.group(1).replace("&amp;", "&"))
    assert "1 result for" in filtered.text
    assert "Rollout case" in plain(filtered.text)
    assert "Rollout plan one" not in plain(filtered.text)
    assert 'aria-current="true"' in filtered.text  # the chip shows it is on
    # The chip that is on removes its filter.
    on = re.search(r'<a class="chip on" href="([^"]*)"', filtered.text)
    assert on and "kind=" not in on.group(1)


def test_highlights_escape_everything_but_the_engines_marks(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    publish(
        marketer.api,
        title="Pricing <script>alert(1)</script> guide",
        summary="<img src=x onerror=alert(1)> pricing & terms",
    )
    browser = signed_in_client(app, people("rep"))
    page = browser.get("/search", params={"q": "pricing"})
    assert "<mark>" in page.text
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text


def test_searches_are_logged_as_one_typing_session(app: FastAPI, people: Any) -> None:
    person = people("rep")
    browser = signed_in_client(app, person)
    for q in ("zebr", "zebra quota"):
        assert browser.get("/search", params={"q": q, "ts": "typing-1"}, headers=HTMX).is_success
    logged = [r for r in rows(app, SearchLog) if r.user_id == person.id]
    assert [r.query for r in logged] == ["zebra quota"]
    assert logged[0].total == 0


def test_no_results_help_the_rep_on(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("rep"))
    page = browser.get("/search", params={"q": "quantum teleportation", "kind": "case_study"})
    assert "Nothing matches “quantum teleportation” with these filters" in page.text
    assert "Search without the filters" in page.text
    assert 'href="/suggest"' in page.text


def test_bad_search_input_is_a_message(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("rep"))
    page = browser.get("/search", params={"q": "x" * 600})
    assert page.status_code == 422
    assert "Check what you entered" in page.text
    assert browser.get("/search", params={"offset": "-1"}).status_code == 422


def test_search_asks_a_stranger_to_sign_in(client: TestClient) -> None:
    answer = client.get("/search?q=x", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?next=")


# --- /assets/{id} -----------------------------------------------------------------------


def test_asset_page_shows_the_asset_and_records_the_view(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    question = marketer.api.post("/v1/questions", json={"text": "Does it work offline?"}).json()
    asset = publish(
        marketer.api,
        title="Offline guide",
        summary="Field crews keep working without signal.",
        body="Everything syncs when the signal is back.",
        tags=["mobile"],
        stages=["decision"],
        question_ids=[question["id"]],
    )
    faq = publish(marketer.api, title="Sync FAQ", question_ids=[question["id"]])
    rep = people("rep")
    browser = signed_in_client(app, rep)
    search = browser.get("/search", params={"q": "offline guide"})
    search_id = re.search(r"search_id=([^\"&]+)", search.text)
    assert search_id
    page = browser.get(f"/assets/{asset['id']}", params={"search_id": search_id.group(1)})
    assert page.status_code == 200
    text = page.text
    assert "<h1>Offline guide</h1>" in text
    assert "Field crews keep working without signal." in text
    assert "Everything syncs when the signal is back." in text
    assert "mobile" in text and "Decision" in text
    assert "What customers ask" in text and "Does it work offline?" in text
    assert f'Also answered by <a href="/assets/{faq["id"]}">Sync FAQ</a>' in text
    assert "Up to date" in text
    views = [e for e in rows(app, Event) if e.type == "view" and e.user_id == rep.id]
    assert [e.asset_id for e in views] == [asset["id"]]
    opened = [o for o in rows(app, SearchOpen) if o.user_id == rep.id]
    assert [(o.asset_id, o.via) for o in opened] == [(asset["id"], "view")]


def test_the_freshness_badge_says_when_a_review_is_due_or_overdue(
    app: FastAPI, people: Any
) -> None:
    asset = publish(people("marketer").api, title="Battlecard: Acme", kind="battlecard")
    rep = people("rep")
    start = app.state.clock()
    app.state.clock = lambda: start + timedelta(days=50)  # battlecards: 60 days
    page = signed_in_client(app, rep).get(f"/assets/{asset['id']}").text
    assert "Review due" in page and "past its review date" not in page
    app.state.clock = lambda: start + timedelta(days=61)
    page = signed_in_client(app, rep).get(f"/assets/{asset['id']}").text
    assert "Review overdue since" in page
    assert "past its review date: check the facts before you send it" in page


def test_unknown_and_draft_assets_are_the_same_404_page(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    draft = create(marketer.api, title="Secret pricing draft")
    browser = signed_in_client(app, people("rep"))
    unknown = browser.get("/assets/nope")
    hidden = browser.get(f"/assets/{draft['id']}")
    assert unknown.status_code == hidden.status_code == 404
    assert "Secret pricing draft" not in hidden.text
    assert "<h1>Not found</h1>" in hidden.text
    assert browser.get(f"/assets/{draft['id']}/pages/1.png").status_code == 404
    # The marketer sees their draft, marked as not for reps.
    mine = signed_in_client(app, marketer).get(f"/assets/{draft['id']}")
    assert mine.status_code == 200 and "reps do not see it" in mine.text


def test_an_asset_for_another_audience_is_invisible_everywhere(app: FastAPI, people: Any) -> None:
    admin, marketer = people("admin"), people("marketer")
    audience(admin.api, "emea")
    asset = publish(marketer.api, title="EMEA partner pricing", audiences=["emea"])
    outsider = signed_in_client(app, people("rep"))
    page = outsider.get(f"/assets/{asset['id']}")
    assert page.status_code == 404 and "EMEA partner pricing" not in page.text
    found = outsider.get("/search", params={"q": "partner pricing"})
    assert "EMEA partner pricing" not in plain(found.text)
    insider = people("rep")
    join(admin.api, "emea", insider.api)
    assert signed_in_client(app, insider).get(f"/assets/{asset['id']}").status_code == 200


def test_a_replaced_asset_links_its_replacement(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    old = publish(marketer.api, title="Pricing 2025")
    new = publish(marketer.api, title="Pricing 2026")
    linked = marketer.api.post(
        f"/v1/assets/{new['id']}/links", json={"type": "replaces", "target_id": old["id"]}
    )
    assert linked.status_code == 201, linked.text
    transition(marketer.api, old["id"], "archive")
    page = signed_in_client(app, people("rep")).get(f"/assets/{old['id']}")
    assert page.status_code == 404
    assert "This asset was replaced" in page.text
    assert f'<a href="/assets/{new["id"]}">Pricing 2026</a>' in page.text


def test_pdf_pages_are_previewed_for_those_who_may_see_them(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    asset = publish_pdf(marketer.api, pdf_bytes(pages=5), title="Northwind case")
    browser = signed_in_client(app, people("rep"))
    page = browser.get(f"/assets/{asset['id']}")
    images = re.findall(r'src="(/assets/[^"]+/pages/(\d)\.png)"', page.text)
    assert [n for _, n in images] == ["1", "2", "3"]  # at most the first three pages
    image = browser.get(images[0][0])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert browser.get(f"/assets/{asset['id']}/pages/4.png").status_code == 422
    assert f'href="/v1/assets/{asset["id"]}/file"' in page.text
    download = browser.get(f"/v1/assets/{asset['id']}/file")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")


def test_fill_and_copy_renders_the_template(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    asset = template(marketer.api)
    rep = people("rep")
    browser = signed_in_client(app, rep)
    page = browser.get(f"/assets/{asset['id']}")
    assert re.search(r'<label for="var-\d">First name</label>', page.text)
    assert 'name="var:company"' in page.text
    form = {"var:first_name": "Ana", "var:company": "Northwind", "csrf_token": browser.csrf}
    filled = browser.post(f"/assets/{asset['id']}/render", data=form, headers=HTMX)
    assert filled.status_code == 200
    assert "Next steps for Northwind" in filled.text
    assert 'data-copy="Hi Ana,' in filled.text
    renders = [e for e in rows(app, Event) if e.type == "render" and e.user_id == rep.id]
    assert len(renders) == 1
    # Without htmx: the whole page, the values kept.
    whole = browser.post(f"/assets/{asset['id']}/render", data=form)
    assert "<h1>Demo follow-up</h1>" in whole.text and 'value="Northwind"' in whole.text


def test_a_missing_value_is_a_message_on_the_form(app: FastAPI, people: Any) -> None:
    asset = template(people("marketer").api)
    browser = signed_in_client(app, people("rep"))
    form = {"var:first_name": "Ana", "var:company": " ", "csrf_token": browser.csrf}
    whole = browser.post(f"/assets/{asset['id']}/render", data=form)
    assert whole.status_code == 422
    assert "the template needs values for: company" in whole.text
    assert 'value="Ana"' in whole.text
    fragment = browser.post(f"/assets/{asset['id']}/render", data=form, headers=HTMX)
    assert fragment.status_code == 200  # htmx swaps the message in
    assert "the template needs values for: company" in fragment.text


def test_forms_without_the_csrf_token_are_refused(app: FastAPI, people: Any) -> None:
    asset = template(people("marketer").api)
    rep = people("rep")
    browser = signed_in_client(app, rep)
    for action, data in (
        ("render", {"var:first_name": "Ana", "var:company": "N"}),
        ("share", {"opportunity_id": "006-1"}),
        ("feedback", {"rating": "helpful"}),
    ):
        answer = browser.post(f"/assets/{asset['id']}/{action}", data=data)
        assert answer.status_code == 403, action
        assert "This form expired" in answer.text
    refused = browser.post("/suggest", data={"text": "pricing"})
    assert refused.status_code == 403
    assert not [e for e in rows(app, Event) if e.user_id == rep.id]


def test_copy_link_creates_a_tracked_share_link(app: FastAPI, people: Any) -> None:
    asset = publish_pdf(people("marketer").api, title="Shareable case")
    browser = signed_in_client(app, people("rep"))
    page = browser.get(f"/assets/{asset['id']}")
    assert "Deal id (from your CRM)" in page.text
    form = {"opportunity_id": "006-DEAL-9", "csrf_token": browser.csrf}
    shared = browser.post(f"/assets/{asset['id']}/share", data=form, headers=HTMX)
    assert shared.status_code == 200
    url = re.search(r'data-copy="(http://testserver/s/[^"]+)"', shared.text)
    assert url, shared.text
    public = TestClient(app).get(url.group(1).removeprefix("http://testserver"))
    assert public.status_code == 200 and "Shareable case" in public.text
    # A missing deal id is a message, not a link.
    empty = browser.post(f"/assets/{asset['id']}/share", data={"csrf_token": browser.csrf})
    assert empty.status_code == 422
    assert "Enter the deal&#39;s id from your CRM" in empty.text


def test_an_internal_asset_offers_no_share_link(app: FastAPI, people: Any) -> None:
    asset = template(people("marketer").api)  # email templates are internal
    browser = signed_in_client(app, people("rep"))
    page = browser.get(f"/assets/{asset['id']}")
    assert "it cannot be shared with buyers" in page.text
    form = {"opportunity_id": "006-1", "csrf_token": browser.csrf}
    refused = browser.post(f"/assets/{asset['id']}/share", data=form)
    assert refused.status_code == 422
    assert "this asset is internal" in refused.text


def test_rating_records_feedback_and_says_thanks(app: FastAPI, people: Any) -> None:
    asset = publish(people("marketer").api, title="Battle notes")
    rep = people("rep")
    browser = signed_in_client(app, rep)
    form = {"rating": "helpful", "csrf_token": browser.csrf}
    thanks = browser.post(f"/assets/{asset['id']}/feedback", data=form, headers=HTMX)
    assert thanks.status_code == 200 and "Thanks!" in thanks.text
    plain = browser.post(
        f"/assets/{asset['id']}/feedback",
        data={"rating": "not_helpful", "csrf_token": browser.csrf},
        follow_redirects=True,
    )
    assert "Thanks for rating it" in plain.text
    ratings = [e.type for e in rows(app, Event) if e.user_id == rep.id and e.type != "view"]
    assert sorted(ratings) == ["helpful", "not_helpful"]
    bad = browser.post(
        f"/assets/{asset['id']}/feedback", data={"rating": "meh", "csrf_token": browser.csrf}
    )
    assert bad.status_code == 422 and "choose helpful or not helpful" in bad.text


# --- /questions, /collections, /suggest ---------------------------------------------------


def test_questions_list_live_answers_and_filter_by_text(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    offline = marketer.api.post("/v1/questions", json={"text": "Does it work offline?"}).json()
    marketer.api.post("/v1/questions", json={"text": "Is there an SSO option?"})
    answer = publish(marketer.api, title="Offline guide", question_ids=[offline["id"]])
    create(marketer.api, title="Offline draft answer", question_ids=[offline["id"]])
    browser = signed_in_client(app, people("rep"))
    page = browser.get("/questions")
    assert "2 questions" in page.text
    assert f'<a href="/assets/{answer["id"]}">Offline guide</a>' in page.text
    assert "Offline draft answer" not in page.text
    assert "No answer in the library yet" in page.text  # the SSO question
    found = browser.get("/questions", params={"q": "offlne"}, headers=HTMX)
    assert "1 question matching" in found.text and "SSO" not in found.text
    assert "<html" not in found.text


def test_a_question_answered_by_many_shows_the_newest_few(
    app: FastAPI, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rep_pages, "ANSWERS_SHOWN", 2)
    admin, marketer = people("admin"), people("marketer")
    audience(admin.api, "emea")
    offline = marketer.api.post("/v1/questions", json={"text": "Does it work offline?"}).json()
    answers = [
        publish(marketer.api, title=f"Offline answer {n}", question_ids=[offline["id"]])
        for n in range(4)
    ]
    # Newer, but for an audience the rep is not in: neither shown nor counted.
    publish(
        marketer.api, title="Offline answer 9", question_ids=[offline["id"]], audiences=["emea"]
    )
    create(marketer.api, title="Offline answer 8", question_ids=[offline["id"]])  # a draft
    browser = signed_in_client(app, people("rep"))
    page = browser.get("/questions").text
    shown = re.findall(r"Offline answer \d", page)
    assert shown == ["Offline answer 3", "Offline answer 2"]  # newest approval first
    assert "and 2 more:" in page
    assert '/search?q=Does%20it%20work%20offline%3F">search the library' in page
    assert answers[0]["id"] not in page


def test_pitch_kits_show_live_members_in_order_and_filter_by_stage(
    app: FastAPI, people: Any
) -> None:
    marketer = people("marketer")
    first = publish(marketer.api, title="Kit opener")
    second = publish(marketer.api, title="Kit closer")
    draft = create(marketer.api, title="Kit draft")
    kit = marketer.api.post(
        "/v1/collections",
        json={
            "name": "Decision kit",
            "stages": ["decision"],
            "asset_ids": [second["id"], draft["id"], first["id"]],
        },
    ).json()
    marketer.api.post(
        "/v1/collections",
        json={"name": "Awareness kit", "stages": ["awareness"], "asset_ids": [first["id"]]},
    )
    browser = signed_in_client(app, people("rep"))
    listing = browser.get("/collections")
    assert "Decision kit" in listing.text and "Awareness kit" in listing.text
    decision = browser.get("/collections", params={"stage": "decision"})
    assert "Decision kit" in decision.text and "Awareness kit" not in decision.text
    page = browser.get(f"/collections/{kit['id']}")
    assert page.status_code == 200
    assert page.text.index("Kit closer") < page.text.index("Kit opener")
    assert "Kit draft" not in page.text
    assert browser.get("/collections/nope").status_code == 404


def test_suggest_finds_assets_for_pasted_notes(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    asset = publish(
        marketer.api,
        title="Overtime savings for hospitals",
        summary="How hospitals cut overtime with scheduling.",
        industries=["healthcare"],
    )
    browser = signed_in_client(app, people("rep"))
    form = browser.get("/suggest")
    assert '<label for="deal-text">' in form.text
    answer = browser.post(
        "/suggest",
        data={
            "text": "They asked how to reduce overtime at the hospital.",
            "csrf_token": browser.csrf,
        },
    )
    assert answer.status_code == 200
    assert f'href="/assets/{asset["id"]}">Overtime savings for hospitals' in answer.text
    empty = browser.post("/suggest", data={"text": " ", "csrf_token": browser.csrf})
    assert empty.status_code == 422 and "Paste an email or call notes" in empty.text
    unknown = browser.post(
        "/suggest", data={"text": "hello", "stage": "nope", "csrf_token": browser.csrf}
    )
    assert unknown.status_code == 422
    assert "nope" in unknown.text


def test_a_busy_page_renderer_is_a_message_not_a_broken_page(
    app: FastAPI, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = publish_pdf(people("marketer").api, title="Busy case")
    browser = signed_in_client(app, people("rep"))
    monkeypatch.setattr(pages, "LOCK_WAIT_SECONDS", 0.05)
    assert pages._PDFIUM.acquire(timeout=30)  # another render holds PDFium
    try:
        page = browser.get(f"/assets/{asset['id']}")
        image = browser.get(f"/assets/{asset['id']}/pages/1.png")
    finally:
        pages._PDFIUM.release()
    assert page.status_code == 200
    assert "The page previews are busy right now: reload in a few seconds." in page.text
    assert "Busy case" in page.text
    assert image.status_code == 503 and image.headers["retry-after"]
    # Once PDFium is free the pages show.
    again = browser.get(f"/assets/{asset['id']}")
    assert 'alt="Page 1 of the PDF"' in again.text
