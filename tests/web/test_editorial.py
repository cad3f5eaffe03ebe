"""The marketer's editorial settings pages, server-side: messaging rules (and the live
assets breaking them), synonyms, the questions inbox and freshness. Forms are filled as a
browser would send them (the page's own inputs, changed), on both databases."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.web import editorial
from tests.catalogue import publish
from tests.conftest import Actor
from tests.web.conftest import Person, signed_in_client

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)

Fields = list[tuple[str, str]]


class _FormReader(HTMLParser):
    """The fields a browser would submit from the form posting to `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: Fields = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("action") == self.action and a.get("method") == "post":
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind not in {"submit", "button"}:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = [v for v, on in self.options if on] or [self.options[0][0]]
            self.fields.append((self.select, chosen[0]))
            self.select = None


def form_of(page: str, action: str) -> Fields:
    reader = _FormReader(action)
    reader.feed(page)
    assert reader.fields, f"no form posting to {action}"
    return reader.fields


def setting(fields: Fields, name: str, value: str | None) -> Fields:
    """The fields with `name` set to `value` (None: left out, as an unticked box)."""
    kept = [(k, v) for k, v in fields if k != name]
    return kept if value is None else [*kept, (name, value)]


def text_of(answer: Any) -> str:
    """The page's text as a person reads it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text)))


def post(browser: TestClient, path: str, fields: Fields) -> Any:
    """Post the fields as a browser does (repeated names kept, in order)."""
    return browser.post(
        path,
        content=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def blank_rule_key(fields: Fields) -> str:
    (name,) = [k for k, v in fields if k.startswith("rule-") and k.endswith("-new")]
    return name.removesuffix("-new")


def rules_of(actor: Actor) -> list[dict[str, Any]]:
    answer = actor.get("/v1/messaging/rules")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["rules"])


BANNED = {"type": "banned", "phrase": "guaranteed results", "severity": "error"}


def put_rules(actor: Actor, *rules: dict[str, Any]) -> None:
    answer = actor.put("/v1/messaging/rules", json={"rules": list(rules)})
    assert answer.status_code == 200, answer.text


# --- who may open them, and forms from elsewhere ----------------------------------------


def test_a_rep_gets_the_not_your_page_on_every_editorial_page(app: FastAPI, people: Any) -> None:
    rep = signed_in_client(app, people("rep"))
    for path in ("/rules", "/synonyms", "/questions/inbox", "/freshness"):
        answer = rep.get(path)
        assert answer.status_code == 403, path
        assert "This page is for marketers" in text_of(answer), path
    refused = rep.post(
        "/rules", data={"csrf_token": rep.csrf, "version": "x"}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_a_form_without_the_session_token_changes_nothing(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer")
    put_rules(marketer.api, BANNED)
    browser = signed_in_client(app, marketer)
    fields = setting(form_of(browser.get("/rules").text, "/rules"), "csrf_token", "forged")
    for path in ("/rules", "/synonyms", "/freshness/policies"):
        answer = post(browser, path, setting(fields, "rule-0-remove", "1"))
        assert answer.status_code == 403, path
        assert "This form expired" in text_of(answer)
    assert rules_of(marketer.api)[0]["phrase"] == "guaranteed results"


# --- messaging rules -------------------------------------------------------------------


def test_a_marketer_adds_changes_and_removes_rules(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer")
    put_rules(
        marketer.api,
        BANNED,
        {"type": "required", "phrase": "Terms apply", "severity": "warning", "kinds": ["ebook"]},
    )
    browser = signed_in_client(app, marketer)
    page = browser.get("/rules")
    assert page.status_code == 200
    assert "guaranteed results" in page.text and "Terms apply" in page.text
    fields = form_of(page.text, "/rules")
    assert ("rule-1-kinds", "ebook") in fields  # the rule's kinds are ticked

    new = blank_rule_key(fields)
    fields = setting(fields, f"{new}-type", "deprecated")
    fields = setting(fields, f"{new}-phrase", "best-in-class")
    fields = setting(fields, f"{new}-replacement", "leading")
    fields = setting(fields, f"{new}-reason", "Legal asked us to stop")
    fields = setting(fields, "rule-0-remove", "1")
    fields = setting(fields, "rule-1-phrase", "Terms and conditions apply")
    saved = post(browser, "/rules", fields)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/rules"
    assert "Saved: 2 messaging rules." in text_of(browser.get("/rules"))

    assert rules_of(marketer.api) == [
        {
            "type": "required",
            "phrase": "Terms and conditions apply",
            "replacement": None,
            "kinds": ["ebook"],
            "severity": "warning",
            "reason": None,
        },
        {
            "type": "deprecated",
            "phrase": "best-in-class",
            "replacement": "leading",
            "kinds": None,
            "severity": "error",
            "reason": "Legal asked us to stop",
        },
    ]


def test_an_invalid_rule_is_shown_by_its_field_and_nothing_is_saved(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    put_rules(marketer.api, BANNED)
    browser = signed_in_client(app, marketer)
    fields = form_of(browser.get("/rules").text, "/rules")
    new = blank_rule_key(fields)
    fields = setting(fields, f"{new}-type", "deprecated")
    fields = setting(fields, f"{new}-phrase", "synergy")  # no replacement: refused
    fields = setting(fields, "rule-0-phrase", "guarantee*d")  # '*' inside a word: refused
    answer = post(browser, "/rules", fields)
    assert answer.status_code == 422
    shown = text_of(answer)
    assert "Nothing was saved." in shown
    assert "a deprecated rule needs a replacement" in shown
    assert "may only end a word" in shown
    # Each message sits by its field, which is marked invalid, and what was typed stays.
    assert re.search(
        rf'id="{new}-replacement"[^>]*aria-invalid="true"[^>]*>', answer.text
    ) or re.search(rf'aria-invalid="true"[^>]*id="{new}-replacement"', answer.text)
    assert f'id="{new}-replacement-error"' in answer.text
    assert 'id="rule-0-phrase-error"' in answer.text
    assert 'value="synergy"' in answer.text and 'value="guarantee*d"' in answer.text
    assert rules_of(marketer.api)[0]["phrase"] == "guaranteed results"
    assert len(rules_of(marketer.api)) == 1

    bad_type = post(browser, "/rules", setting(fields, "rule-0-type", "forbidden"))
    assert bad_type.status_code == 422
    assert 'id="rule-0-type-error"' in bad_type.text


def test_rules_saved_by_someone_else_meanwhile_are_never_overwritten(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    colleague: Person = people("marketer")
    put_rules(marketer.api, BANNED)
    browser = signed_in_client(app, marketer)
    fields = form_of(browser.get("/rules").text, "/rules")  # opened...
    ours = {"type": "banned", "phrase": "world class", "severity": "warning"}
    put_rules(colleague.api, BANNED, ours)  # ...a colleague saves meanwhile...
    new = blank_rule_key(fields)
    fields = setting(fields, f"{new}-phrase", "revolutionary")
    fields = setting(fields, "rule-0-remove", "1")
    answer = post(browser, "/rules", fields)  # ...then ours is refused, not merged
    assert answer.status_code == 409
    shown = text_of(answer)
    assert "Someone else saved the messaging rules while you were editing them" in shown
    assert 'value="world class"' in answer.text  # the rules in force now
    assert [r["phrase"] for r in rules_of(marketer.api)] == ["guaranteed results", "world class"]

    # Made again from the page as it now is, the change is saved.
    again = form_of(answer.text, "/rules")
    again = setting(again, f"{blank_rule_key(again)}-phrase", "revolutionary")
    assert post(browser, "/rules", again).status_code == 303
    assert [r["phrase"] for r in rules_of(marketer.api)] == [
        "guaranteed results",
        "world class",
        "revolutionary",
    ]


def test_the_forms_carry_the_version_the_api_answers_as_etag(app: FastAPI, people: Any) -> None:
    """The pages save through the same check as `If-Match` on the API: a form drawn from the
    rules or synonyms at one version is refused once an API client wrote another."""
    marketer: Person = people("marketer")
    put_rules(marketer.api, BANNED)
    browser = signed_in_client(app, marketer)
    for page, api in (("/rules", "/v1/messaging/rules"), ("/synonyms", "/v1/search/synonyms")):
        fields = form_of(browser.get(page).text, page)
        etag = marketer.api.get(api).headers["ETag"]
        assert ("version", etag.strip('"')) in fields
        # A version that is not one (an edited form) is refused like a stale one.
        refused = post(browser, page, setting(fields, "version", "not-a-version"))
        assert refused.status_code == 409
        assert "Someone else saved" in text_of(refused)
        assert marketer.api.get(api).headers["ETag"] == etag  # nothing was written


def test_the_rules_page_lists_live_assets_breaking_todays_rules(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer")
    breaking = publish(
        marketer.api, title="Field app brochure", body="Guaranteed results in one week."
    )
    publish(marketer.api, title="Clean one-pager", body="Results vary by site.")
    browser = signed_in_client(app, marketer)
    assert "No live asset breaks the rules in force." in text_of(browser.get("/rules"))
    put_rules(marketer.api, {**BANNED, "reason": "We cannot promise outcomes"})
    page = browser.get("/rules")
    shown = text_of(page)
    assert "Live assets breaking today's rules (1)" in shown
    assert f'href="/assets/{breaking["id"]}/edit"' in page.text
    assert "Field app brochure" in shown and "Clean one-pager" not in shown
    assert 'Remove "Guaranteed results": it is a banned phrase.' in shown
    assert marketer.email in shown


# --- synonyms ----------------------------------------------------------------------------


def synonyms_of(actor: Actor) -> dict[str, list[str]]:
    answer = actor.get("/v1/search/synonyms")
    assert answer.status_code == 200
    return dict(answer.json())


def row_of_term(fields: Fields, term: str) -> str:
    (name,) = [k for k, v in fields if k.endswith("-term") and v == term]
    return name.removesuffix("-term")


def test_a_marketer_edits_adds_and_removes_synonyms_defaults_included(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    browser = signed_in_client(app, marketer)
    page = browser.get("/synonyms")
    assert page.status_code == 200
    assert 'value="payback, return on investment"' in page.text  # a built-in default
    fields = form_of(page.text, "/synonyms")
    (blank,) = [k.removesuffix("-new") for k, _ in fields if k.endswith("-new")]
    fields = setting(fields, f"{blank}-term", "Kickoff")
    fields = setting(fields, f"{blank}-synonyms", "kick-off meeting, project start")
    fields = setting(fields, f"{row_of_term(fields, 'roi')}-remove", "1")
    fields = setting(fields, f"{row_of_term(fields, 'tco')}-synonyms", "total cost, lifetime cost")
    saved = post(browser, "/synonyms", fields)
    assert saved.status_code == 303, saved.text
    assert "Saved: synonyms for" in text_of(browser.get("/synonyms"))
    now = synonyms_of(marketer.api)
    assert now["kickoff"] == ["kick-off meeting", "project start"]
    assert now["tco"] == ["lifetime cost", "total cost"]
    assert "roi" not in now
    assert "sso" in now  # the other defaults stay


def test_an_invalid_synonym_is_shown_by_its_field_and_nothing_is_saved(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    browser = signed_in_client(app, marketer)
    before = synonyms_of(marketer.api)
    fields = form_of(browser.get("/synonyms").text, "/synonyms")
    (blank,) = [k.removesuffix("-new") for k, _ in fields if k.endswith("-new")]
    no_synonyms = post(browser, "/synonyms", setting(fields, f"{blank}-term", "onboarding"))
    assert no_synonyms.status_code == 422
    assert "enter at least one synonym" in text_of(no_synonyms)
    assert f'id="{blank}-synonyms-error"' in no_synonyms.text
    assert 'value="onboarding"' in no_synonyms.text

    long = setting(fields, f"{blank}-term", "onboarding")
    long = setting(long, f"{blank}-synonyms", "x" * 201)
    too_long = post(browser, "/synonyms", long)
    assert too_long.status_code == 422
    assert "a synonym is 1 to 200 characters" in text_of(too_long)
    assert f'id="{blank}-synonyms-error"' in too_long.text
    assert synonyms_of(marketer.api) == before


def test_synonyms_saved_by_someone_else_meanwhile_are_never_overwritten(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    browser = signed_in_client(app, marketer)
    fields = form_of(browser.get("/synonyms").text, "/synonyms")
    theirs = {"deck": ["presentation"]}
    assert marketer.api.put("/v1/search/synonyms", json=theirs).status_code == 200
    (blank,) = [k.removesuffix("-new") for k, _ in fields if k.endswith("-new")]
    fields = setting(fields, f"{blank}-term", "kickoff")
    fields = setting(fields, f"{blank}-synonyms", "kick-off meeting")
    answer = post(browser, "/synonyms", fields)
    assert answer.status_code == 409
    assert "Someone else saved the synonyms while you were editing them" in text_of(answer)
    assert 'value="deck"' in answer.text and 'value="roi"' not in answer.text
    assert synonyms_of(marketer.api) == theirs


# --- the questions inbox -----------------------------------------------------------------


def ask(actor: Actor, text: str) -> dict[str, Any]:
    answer = actor.post("/v1/questions", json={"text": text})
    assert answer.status_code in {200, 201}, answer.text
    return dict(answer.json())


def test_the_inbox_lists_unanswered_questions_first_with_how_often_asked(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    rep: Person = people("rep")
    answer = publish(marketer.api, title="Offline mode guide", body="Works without signal.")
    ask(rep.api, "Does it work offline?")
    ask(rep.api, "Does it work offline?")
    ask(rep.api, "Does it work offline?")
    answered = ask(rep.api, "What does it cost?")
    patched = marketer.api.patch(
        f"/v1/assets/{answer['id']}", json={"question_ids": [answered["id"]]}
    )
    assert patched.status_code == 200, patched.text
    browser = signed_in_client(app, marketer)
    shown = text_of(browser.get("/questions/inbox"))
    assert "Unanswered (1)" in shown and "Answered (1)" in shown
    assert shown.index("Does it work offline?") < shown.index("Answered (1)")
    assert "Does it work offline? 3×" in shown
    assert shown.index("Answered (1)") < shown.index("What does it cost?")
    assert "Offline mode guide" in shown  # what answers it


def test_the_inbox_lists_the_newest_few_answers_of_a_question(
    app: FastAPI, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(editorial, "INBOX_ANSWERS_SHOWN", 2)
    marketer: Person = people("marketer")
    cost = ask(marketer.api, "What does it cost?")
    for n in range(4):
        publish(marketer.api, title=f"Pricing sheet {n}", question_ids=[cost["id"]])
    shown = text_of(signed_in_client(app, marketer).get("/questions/inbox"))
    assert re.findall(r"Pricing sheet \d", shown) == ["Pricing sheet 3", "Pricing sheet 2"]
    assert "and 2 more" in shown


def test_a_marketer_links_answers_to_a_question(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer")
    rep: Person = people("rep")
    guide = publish(marketer.api, title="Offline mode guide", body="Works without signal.")
    other = ask(rep.api, "Is there an API?")
    assert (
        marketer.api.patch(
            f"/v1/assets/{guide['id']}", json={"question_ids": [other["id"]]}
        ).status_code
        == 200
    )
    question = ask(rep.api, "Does it work offline?")
    browser = signed_in_client(app, marketer)
    page = browser.get(f"/questions/inbox/{question['id']}", params={"q": "offline guide"})
    assert page.status_code == 200
    assert "Offline mode guide" in text_of(page)
    fields = form_of(page.text, f"/questions/inbox/{question['id']}/answers")
    fields = [*fields, ("asset_id", guide["id"])]
    linked = post(browser, f"/questions/inbox/{question['id']}/answers", fields)
    assert linked.status_code == 303
    after = browser.get(linked.headers["location"])
    assert "Linked 1 answer." in text_of(after)
    assert "Answered" in text_of(after)

    got = marketer.api.get(f"/v1/questions/{question['id']}").json()
    assert got["answered"] is True and got["assets"] == [guide["id"]]
    asset = marketer.api.get(f"/v1/assets/{guide['id']}").json()
    assert asset["status"] == "approved"  # linking keeps it live
    assert {q["id"] for q in asset["questions"]} == {other["id"], question["id"]}

    # Unlinked again, the question is back among the unanswered; the other link stays.
    unlink = form_of(after.text, f"/questions/inbox/{question['id']}/answers/{guide['id']}/remove")
    assert (
        post(
            browser, f"/questions/inbox/{question['id']}/answers/{guide['id']}/remove", unlink
        ).status_code
        == 303
    )
    assert marketer.api.get(f"/v1/questions/{question['id']}").json()["answered"] is False
    assert [q["id"] for q in marketer.api.get(f"/v1/assets/{guide['id']}").json()["questions"]] == [
        other["id"]
    ]

    nothing = post(browser, f"/questions/inbox/{question['id']}/answers", fields[:1])
    assert "Pick at least one asset" in text_of(browser.get(nothing.headers["location"]))
    unknown = post(
        browser, f"/questions/inbox/{question['id']}/answers", [*fields[:1], ("asset_id", "nope")]
    )
    assert "Nothing was linked: no asset with id nope" in text_of(
        browser.get(unknown.headers["location"])
    )


def test_a_marketer_merges_a_question_into_another(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer")
    rep: Person = people("rep")
    source = ask(rep.api, "Can it run offline?")
    target = ask(rep.api, "Does it work offline?")
    ask(rep.api, "Does it work offline?")
    browser = signed_in_client(app, marketer)
    page = browser.get(f"/questions/inbox/{source['id']}", params={"merge_q": "offline"})
    assert "Does it work offline?" in text_of(page)
    action = f"/questions/inbox/{source['id']}/merge"
    assert re.search(rf'action="{action}"[^>]*data-confirm="Merge this question into', page.text)
    merged = post(browser, action, form_of(page.text, action))
    assert merged.status_code == 303
    assert merged.headers["location"] == f"/questions/inbox/{target['id']}"
    assert "Merged: this question now counts 3 asks." in text_of(
        browser.get(merged.headers["location"])
    )
    assert marketer.api.get(f"/v1/questions/{target['id']}").json()["asked_count"] == 3
    assert marketer.api.get(f"/v1/questions/{source['id']}").status_code == 404

    # The merged question's page is gone: a page saying so, not a 500.
    gone = browser.get(f"/questions/inbox/{source['id']}")
    assert gone.status_code == 404
    assert f"was merged into question {target['id']}" in text_of(gone)
    again = post(browser, action, form_of(page.text, action))
    assert "Nothing was merged" in text_of(browser.get(again.headers["location"]))


def test_a_marketer_deletes_a_question_after_confirming(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer")
    rep: Person = people("rep")
    spam = ask(rep.api, "asdf asdf")
    browser = signed_in_client(app, marketer)
    inbox = browser.get("/questions/inbox")
    action = f"/questions/inbox/{spam['id']}/delete"
    assert re.search(rf'action="{action}"[^>]*data-confirm="Delete the question', inbox.text)
    forged = post(browser, action, setting(form_of(inbox.text, action), "csrf_token", "x"))
    assert forged.status_code == 403
    assert marketer.api.get(f"/v1/questions/{spam['id']}").status_code == 200
    deleted = post(browser, action, form_of(inbox.text, action))
    assert deleted.status_code == 303
    after = text_of(browser.get("/questions/inbox"))
    assert "The question was deleted." in after and "asdf asdf" not in after
    assert marketer.api.get(f"/v1/questions/{spam['id']}").status_code == 404


# --- freshness ---------------------------------------------------------------------------


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def test_overdue_and_due_assets_are_listed_and_verified(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer", name="Mona Marketer")
    at(app, NOW - timedelta(days=400))
    old = publish(marketer.api, title="Crane retrofit story", kind="case_study")
    at(app, NOW - timedelta(days=55))
    soon = publish(marketer.api, title="Tariff battlecard", kind="battlecard")  # 60 days
    at(app, NOW - timedelta(days=10))
    publish(marketer.api, title="Fresh battlecard", kind="battlecard")
    at(app, NOW)
    browser = signed_in_client(app, marketer)
    page = browser.get("/freshness")
    assert page.status_code == 200
    shown = text_of(page)
    assert "Overdue (1)" in shown and "Due in the next 14 days (1)" in shown
    assert "Crane retrofit story Case study Mona Marketer" in shown
    assert "35 days overdue" in shown  # due 365 days after approval
    assert "Tariff battlecard Battlecard Mona Marketer 05 Dec 2026 in 5 days" in shown
    assert "Fresh battlecard" not in shown
    assert f'href="/assets/{old["id"]}/edit"' in page.text

    action = f"/freshness/{old['id']}/verify"
    verified = post(browser, action, form_of(page.text, action))
    assert verified.status_code == 303
    after = text_of(browser.get("/freshness"))
    assert "Verified “Crane retrofit story”. Next review: 30 Nov 2027." in after
    assert "Overdue (0)" in after and "Nothing is overdue." in after
    assert marketer.api.get(f"/v1/assets/{old['id']}").json()["freshness"]["state"] == "fresh"

    # An asset no longer approved cannot be verified: said on the page.
    assert marketer.api.post(f"/v1/assets/{soon['id']}/archive").status_code == 200
    action = f"/freshness/{soon['id']}/verify"
    refused = post(browser, action, form_of(page.text, action))
    assert "Not verified:" in text_of(browser.get(refused.headers["location"]))


def test_long_freshness_lists_page_on_their_own(
    app: FastAPI, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each list shows a page at a time, merged across kinds in due order, with its total;
    paging one list keeps the other's page."""
    monkeypatch.setattr(editorial, "FRESHNESS_PAGE", 2)
    marketer: Person = people("marketer")
    # Overdue, by due date: a case study (365 days) approved 400 days ago is 35 days late, a
    # battlecard (60 days) approved 90 days ago 30, ... interleaving kinds.
    late = [("case_study", 400), ("battlecard", 90), ("case_study", 390), ("battlecard", 70)]
    due = [
        ("battlecard", 55),
        ("battlecard", 50),
        ("case_study", 360),
    ]  # in 5, 10 and 5 days (a minute sooner)
    titles = {}
    for n, (kind, age) in enumerate(late + due):
        at(app, NOW - timedelta(days=age, minutes=n))
        titles[(kind, age)] = publish(marketer.api, title=f"Piece {n} {kind}", kind=kind)["title"]
    at(app, NOW)
    browser = signed_in_client(app, marketer)

    def listed(page: str, heading: str) -> list[str]:
        section = page.split(heading, 1)[1].split("</section>", 1)[0]
        # Each title shows twice per row: the link and the verify button's name.
        return list(dict.fromkeys(re.findall(r"Piece \d+ \w+", html.unescape(section))))

    first = browser.get("/freshness").text
    assert "Overdue (4)" in text_of(browser.get("/freshness"))
    assert listed(first, 'id="overdue-heading"') == ["Piece 0 case_study", "Piece 1 battlecard"]
    assert listed(first, 'id="due-heading"') == ["Piece 6 case_study", "Piece 4 battlecard"]
    assert "Showing 1–2 of 4" in text_of(browser.get("/freshness"))

    second = browser.get("/freshness?due_offset=2&overdue_offset=2").text
    assert listed(second, 'id="overdue-heading"') == ["Piece 2 case_study", "Piece 3 battlecard"]
    assert listed(second, 'id="due-heading"') == ["Piece 5 battlecard"]
    # The due list's links keep the overdue list's page, and back again.
    assert 'href="/freshness?overdue_offset=2&amp;due_offset=0" rel="prev"' in second
    assert 'href="/freshness?due_offset=2&amp;overdue_offset=0" rel="prev"' in second

    past = browser.get("/freshness?overdue_offset=40").text
    assert "No more overdue assets" in text_of(browser.get("/freshness?overdue_offset=40"))
    assert listed(past, 'id="due-heading"') == ["Piece 6 case_study", "Piece 4 battlecard"]
    assert browser.get("/freshness?overdue_offset=-1").status_code == 422


def test_a_verification_restarts_the_clock_in_the_lists_and_their_counts(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    at(app, NOW - timedelta(days=400))
    lapsed = publish(marketer.api, title="Verified long ago", kind="case_study")
    recent = publish(marketer.api, title="Verified lately", kind="case_study")
    publish(marketer.api, title="Never verified", kind="case_study")
    at(app, NOW - timedelta(days=370))
    assert marketer.api.post(f"/v1/assets/{lapsed['id']}/verify").status_code == 200
    at(app, NOW - timedelta(days=10))
    assert marketer.api.post(f"/v1/assets/{recent['id']}/verify").status_code == 200
    at(app, NOW)
    shown = text_of(signed_in_client(app, marketer).get("/freshness"))
    assert "Overdue (2)" in shown and "Verified lately" not in shown
    # Due 365 days after its verification: 5 days ago, after the one never verified.
    assert shown.index("Never verified") < shown.index("Verified long ago")
    assert "5 days overdue" in shown


def policy_of(actor: Actor, kind: str) -> int | None:
    policies = actor.get("/v1/freshness/policies").json()["policies"]
    return next(p["review_days"] for p in policies if p["kind"] == kind)


def test_a_marketer_changes_review_intervals(app: FastAPI, people: Any) -> None:
    marketer: Person = people("marketer")
    browser = signed_in_client(app, marketer)
    fields = form_of(browser.get("/freshness").text, "/freshness/policies")
    assert ("days-battlecard", "60") in fields
    fields = setting(fields, "days-battlecard", "30")
    fields = setting(fields, "days-ebook", "")  # never due
    saved = post(browser, "/freshness/policies", fields)
    assert saved.status_code == 303
    assert "Saved the review interval of eBook, Battlecard." in text_of(browser.get("/freshness"))
    assert policy_of(marketer.api, "battlecard") == 30
    assert policy_of(marketer.api, "ebook") is None
    assert policy_of(marketer.api, "case_study") == 365

    for typed, message in (("0", "greater than or equal to 1"), ("soon", "whole number")):
        wrong = post(browser, "/freshness/policies", setting(fields, "days-one_pager", typed))
        assert wrong.status_code == 422
        assert message in text_of(wrong)
        assert 'id="days-one_pager-error"' in wrong.text
    assert policy_of(marketer.api, "one_pager") == 180


def test_intervals_changed_by_someone_else_meanwhile_are_never_overwritten(
    app: FastAPI, people: Any
) -> None:
    marketer: Person = people("marketer")
    browser = signed_in_client(app, marketer)
    fields = form_of(browser.get("/freshness").text, "/freshness/policies")
    changed = marketer.api.put("/v1/freshness/policies", json={"policies": {"case_study": 200}})
    assert changed.status_code == 200
    # Another kind: saved, and the colleague's change is kept (the page sends only its own).
    saved = post(browser, "/freshness/policies", setting(fields, "days-battlecard", "45"))
    assert saved.status_code == 303
    assert policy_of(marketer.api, "case_study") == 200
    assert policy_of(marketer.api, "battlecard") == 45
    # The same kind: refused, the page showing the interval now in force.
    lost = post(browser, "/freshness/policies", setting(fields, "days-case_study", "90"))
    assert lost.status_code == 409
    assert "Someone else changed the review interval of Case study" in text_of(lost)
    assert re.search(r'id="days-case_study"[^>]*value="200"', lost.text)
    assert policy_of(marketer.api, "case_study") == 200
