"""The marketer's editor and the review queue, server-side: the messaging check shown in
the editor, saving (a draft in place, a live asset into a pending revision), lost races,
the queue, approving and rejecting, and the refusals a person can cause."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Person, signed_in_client

RULES = {
    "rules": [
        {
            "type": "banned",
            "phrase": "guaranteed results",
            "replacement": "proven results",
            "severity": "error",
            "reason": "Legal asked",
        },
        {
            "type": "deprecated",
            "phrase": "Acme Cloud",
            "replacement": "Acme One",
            "severity": "warning",
        },
    ]
}
BODY = "We promise <b>guaranteed results</b> for every team."
AT = BODY.index("guaranteed results")
SPAN = f"{AT}:{AT + len('guaranteed results')}"


def set_rules(person: Person) -> None:
    answer = person.api.put("/v1/messaging/rules", json=RULES)
    assert answer.status_code == 200, answer.text


def editor_form(browser: TestClient, **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": browser.csrf,  # type: ignore[attr-defined]
        "title": "Onboarding one-pager",
        "kind": "one_pager",
        "summary": "",
        "body": "Teams onboard in a day.",
        "tags": "onboarding, speed",
        "action": "save",
    }
    form.update(changes)
    return form


def live_asset(person: Person, body: str = "Teams onboard in a day.\nSecond line.") -> str:
    """An approved asset made through the API."""
    created = person.api.post(
        "/v1/assets", json={"title": "Live sheet", "kind": "one_pager", "body": body}
    )
    assert created.status_code == 201, created.text
    asset_id = created.json()["id"]
    assert person.api.post(f"/v1/assets/{asset_id}/submit").status_code == 200
    approved = person.api.post(f"/v1/assets/{asset_id}/approve")
    assert approved.status_code == 200, approved.text
    return str(asset_id)


def in_review(person: Person, title: str = "Pending sheet", body: str = "Plain words.") -> str:
    created = person.api.post(
        "/v1/assets", json={"title": title, "kind": "one_pager", "body": body}
    )
    asset_id = created.json()["id"]
    assert person.api.post(f"/v1/assets/{asset_id}/submit").status_code == 200
    return str(asset_id)


def text_of(html: str) -> str:
    """The page's visible words, roughly (tags dropped, entities decoded, spaces joined)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- who may ---------------------------------------------------------------------------


def test_a_rep_gets_a_403_page_for_the_editor_and_the_queue(app: FastAPI, people: Any) -> None:
    marketer, rep = people("marketer"), people("rep")
    asset_id = in_review(marketer)
    browser = signed_in_client(app, rep)
    for path in (
        "/review",
        "/assets/new",
        f"/assets/{asset_id}/edit",
        f"/review/assets/{asset_id}",
    ):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert "This page is for marketers" in answer.text
        assert "Pending sheet" not in answer.text
    posted = browser.post("/assets/new", data=editor_form(browser))
    assert posted.status_code == 403
    assert marketer.api.get("/v1/assets").json()["total"] == 1


def test_a_form_without_the_session_token_is_refused_and_changes_nothing(
    app: FastAPI, people: Any
) -> None:
    marketer = people("marketer")
    asset_id = in_review(marketer)
    browser = signed_in_client(app, marketer)
    created = browser.post("/assets/new", data=editor_form(browser, csrf_token="forged"))
    assert created.status_code == 403
    assert "This form expired" in created.text
    approved = browser.post(f"/review/assets/{asset_id}/approve", data={"etag": "1"})
    assert approved.status_code == 403
    assert marketer.api.get(f"/v1/assets/{asset_id}").json()["status"] == "in_review"
    assert marketer.api.get("/v1/assets").json()["total"] == 1


# --- the editor ------------------------------------------------------------------------


def test_the_editor_highlights_what_the_rules_find_as_the_text_is_typed(
    app: FastAPI, people: Any
) -> None:
    marketer = people("marketer")
    set_rules(marketer)
    browser = signed_in_client(app, marketer)
    page = browser.get("/assets/new")
    assert page.status_code == 200
    assert "The messaging rules find nothing" in page.text
    assert 'hx-post="/assets/check"' in page.text

    fragment = browser.post(
        "/assets/check",
        data=editor_form(browser, body=BODY + " Acme Cloud."),
        headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf},  # type: ignore[attr-defined]
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    mark = re.search(r'<mark class="error" title="([^"]+)">guaranteed results', fragment.text)
    assert mark, fragment.text
    assert "banned phrase" in unescape(mark.group(1))
    # The text around it is escaped, never markup.
    assert "We promise &lt;b&gt;" in fragment.text
    assert "<b>guaranteed" not in fragment.text
    words = text_of(fragment.text)
    assert "1 error (blocking approval) and 1 warning" in words
    assert "Replace “guaranteed results” with “proven results”" in words
    assert "Replace “Acme Cloud” with “Acme One”" in words
    assert f'value="body:{SPAN}"' in fragment.text


def test_replace_with_applies_the_offered_replacement_without_saving(
    app: FastAPI, people: Any
) -> None:
    marketer = people("marketer")
    set_rules(marketer)
    browser = signed_in_client(app, marketer)
    answer = browser.post(
        "/assets/new",
        data=editor_form(browser, body="Line one.\r\n" + BODY, replace=f"body:{AT + 10}:{AT + 28}"),
    )
    assert answer.status_code == 200
    assert "We promise &lt;b&gt;proven results&lt;/b&gt; for every team." in answer.text
    assert "Replaced “guaranteed results” with “proven results” in the body. Not saved yet." in (
        text_of(answer.text)
    )
    assert "The messaging rules find nothing" in answer.text
    assert marketer.api.get("/v1/assets").json()["total"] == 0
    # A replacement for text that changed meanwhile is not applied.
    stale = browser.post("/assets/new", data=editor_form(browser, body=BODY, replace="body:0:5"))
    assert "nothing was replaced" in stale.text
    assert "&lt;b&gt;guaranteed results" in stale.text


def test_a_marketer_creates_a_draft_then_submits_it_from_the_editor(
    app: FastAPI, people: Any
) -> None:
    marketer = people("marketer", name="Maria Marketer")
    browser = signed_in_client(app, marketer)
    created = browser.post(
        "/assets/new",
        data=editor_form(browser, industries="Retail", field_customer="Globex"),
        follow_redirects=False,
    )
    assert created.status_code == 303
    edit_path = created.headers["location"]
    asset_id = edit_path.split("/")[2]
    asset = marketer.api.get(f"/v1/assets/{asset_id}").json()
    assert (asset["status"], asset["tags"], asset["industries"]) == (
        "draft",
        ["onboarding", "speed"],
        ["retail"],
    )
    assert asset["fields"] == {"customer": "Globex"}

    page = browser.get(edit_path)
    assert "Draft saved" in page.text
    assert 'value="Onboarding one-pager"' in page.text
    queue = text_of(browser.get("/review").text)
    assert "Your drafts" in queue and "Onboarding one-pager" in queue

    edit = browser.get(edit_path).text
    revision = re.search(r'name="revision" value="(\d+)"', edit)
    assert revision
    submitted = browser.post(
        edit_path,
        data=editor_form(
            browser, body="Teams onboard in an hour.", action="submit", revision=revision.group(1)
        ),
    )
    assert submitted.status_code == 200  # followed to the queue
    assert "“Onboarding one-pager” is waiting for review." in text_of(submitted.text)
    asset = marketer.api.get(f"/v1/assets/{asset_id}").json()
    assert (asset["status"], asset["body"]) == ("in_review", "Teams onboard in an hour.")
    row = re.search(r"Waiting for review.*?</table>", submitted.text, re.S)
    assert row and "Onboarding one-pager" in row.group(0) and "Maria Marketer" in row.group(0)


def test_an_invalid_form_is_shown_again_with_what_was_typed(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    browser = signed_in_client(app, marketer)
    answer = browser.post("/assets/new", data=editor_form(browser, title="  ", body="Keep me"))
    assert answer.status_code == 422
    assert "Check what you entered: title" in answer.text
    assert "Keep me</textarea>" in answer.text
    unknown = browser.post("/assets/new", data=editor_form(browser, stages="no-such-stage"))
    assert unknown.status_code == 422
    assert "unknown stage" in unknown.text
    assert marketer.api.get("/v1/assets").json()["total"] == 0


def test_editing_a_live_asset_opens_a_pending_revision_and_says_so(
    app: FastAPI, people: Any
) -> None:
    marketer = people("marketer")
    asset_id = live_asset(marketer)
    browser = signed_in_client(app, marketer)
    page = browser.get(f"/assets/{asset_id}/edit").text
    assert "This asset is live" in page
    revision = re.search(r'name="revision" value="(\d+)"', page)
    assert revision
    saved = browser.post(
        f"/assets/{asset_id}/edit",
        data=editor_form(
            browser,
            title="Live sheet",
            body="Teams onboard in an hour.\nSecond line.",
            revision=revision.group(1),
        ),
    )
    assert saved.status_code == 200
    words = text_of(saved.text)
    assert "Saved to a pending revision" in words
    asset = marketer.api.get(f"/v1/assets/{asset_id}").json()
    assert asset["body"] == "Teams onboard in a day.\nSecond line."  # reps still see this
    pending = asset["pending_revision"]
    assert pending["status"] == "draft"
    assert f'href="/review/assets/{asset_id}/revisions/{pending["id"]}"' in saved.text
    # The editor now holds the revision's text, and its tags applied at once.
    assert "Teams onboard in an hour." in saved.text
    assert asset["tags"] == ["onboarding", "speed"]


def test_a_lost_race_is_a_message_and_never_an_overwrite(app: FastAPI, people: Any) -> None:
    marketer, other = people("marketer"), people("marketer")
    browser = signed_in_client(app, marketer)
    created = browser.post("/assets/new", data=editor_form(browser), follow_redirects=False)
    edit_path = created.headers["location"]
    asset_id = edit_path.split("/")[2]
    read_at = re.search(r'name="revision" value="(\d+)"', browser.get(edit_path).text)
    assert read_at
    changed = other.api.patch(f"/v1/assets/{asset_id}", json={"body": "Their words."})
    assert changed.status_code == 200
    answer = browser.post(
        edit_path, data=editor_form(browser, body="My words.", revision=read_at.group(1))
    )
    assert answer.status_code == 412
    assert "Someone else changed this asset" in answer.text
    assert "nothing was saved" in answer.text
    assert "My words.</textarea>" in answer.text
    assert f'href="{edit_path}">Reload the current version' in answer.text
    assert marketer.api.get(f"/v1/assets/{asset_id}").json()["body"] == "Their words."


# --- the queue and decisions -------------------------------------------------------------


def test_the_queue_lists_assets_and_revisions_waiting_with_who_sent_them(
    app: FastAPI, people: Any
) -> None:
    author = people("marketer", name="Ann Author")
    reviewer = people("marketer")
    in_review(author, title="Fresh sheet")
    live_id = live_asset(author)
    opened = author.api.patch(f"/v1/assets/{live_id}", json={"body": "New words."})
    revision_id = opened.json()["pending_revision"]["id"]
    sent = author.api.post(f"/v1/assets/{live_id}/revisions/{revision_id}/submit")
    assert sent.status_code == 200
    in_review(reviewer, title="Reviewer's own")
    browser = signed_in_client(app, reviewer)
    page = browser.get("/review")
    assert page.status_code == 200
    waiting = re.search(r"Waiting for review.*?</table>", page.text, re.S)
    assert waiting
    rows = re.findall(r"<tr>.*?</tr>", waiting.group(0), re.S)
    fresh = next(text_of(r) for r in rows if "Fresh sheet" in r)
    assert "New asset" in fresh and "Ann Author" in fresh and "UTC" in fresh
    revision = next(text_of(r) for r in rows if "Live sheet" in r)
    assert "Revision of version 1" in revision and "Ann Author" in revision
    assert f"/review/assets/{live_id}/revisions/{revision_id}" in waiting.group(0)
    assert "Reviewer&#39;s own" in waiting.group(0)
    assert "You have no drafts." in page.text


def test_approving_from_the_review_page(app: FastAPI, people: Any) -> None:
    author, reviewer = people("marketer"), people("marketer")
    set_rules(author)
    asset_id = in_review(author, body="Calm words. Acme Cloud inside.")
    browser = signed_in_client(app, reviewer)
    page = browser.get(f"/review/assets/{asset_id}")
    assert page.status_code == 200
    assert '<mark class="warning"' in page.text
    etag = re.search(r'name="etag" value="(\d+)"', page.text)
    assert etag
    answer = browser.post(
        f"/review/assets/{asset_id}/approve",
        data={"csrf_token": browser.csrf, "etag": etag.group(1)},  # type: ignore[attr-defined]
    )
    assert answer.status_code == 200
    assert "Approved “Pending sheet”: reps can find it now." in text_of(answer.text)
    assert author.api.get(f"/v1/assets/{asset_id}").json()["status"] == "approved"

    # The same approval again (a second tab): the conflict is a message on the page.
    again = browser.post(
        f"/review/assets/{asset_id}/approve",
        data={"csrf_token": browser.csrf, "etag": etag.group(1)},  # type: ignore[attr-defined]
    )
    assert again.status_code == 412
    assert "It changed since you opened it, so nothing was done" in again.text
    without_etag = browser.post(
        f"/review/assets/{asset_id}/approve",
        data={"csrf_token": browser.csrf},  # type: ignore[attr-defined]
    )
    assert without_etag.status_code == 409
    assert "Not done: cannot approve an asset that is approved" in text_of(without_etag.text)
    assert "nothing to decide" in without_etag.text


def test_a_messaging_error_blocks_approval_with_a_message(app: FastAPI, people: Any) -> None:
    author, reviewer = people("marketer"), people("marketer")
    set_rules(author)
    asset_id = in_review(author, body=BODY)
    browser = signed_in_client(app, reviewer)
    answer = browser.post(
        f"/review/assets/{asset_id}/approve",
        data={"csrf_token": browser.csrf},  # type: ignore[attr-defined]
    )
    assert answer.status_code == 422
    assert "must be fixed before approval" in answer.text
    assert author.api.get(f"/v1/assets/{asset_id}").json()["status"] == "in_review"


def test_a_rejection_needs_a_comment_and_sends_the_asset_back(app: FastAPI, people: Any) -> None:
    author, reviewer = people("marketer"), people("marketer")
    asset_id = in_review(author)
    browser = signed_in_client(app, reviewer)
    empty = browser.post(
        f"/review/assets/{asset_id}/reject",
        data={"csrf_token": browser.csrf, "comment": "   "},  # type: ignore[attr-defined]
    )
    assert empty.status_code == 422
    assert "a rejection needs one" in empty.text
    assert author.api.get(f"/v1/assets/{asset_id}").json()["status"] == "in_review"

    answer = browser.post(
        f"/review/assets/{asset_id}/reject",
        data={"csrf_token": browser.csrf, "comment": "Add a customer quote."},  # type: ignore[attr-defined]
    )
    assert "Sent “Pending sheet” back to its author" in text_of(answer.text)
    asset = author.api.get(f"/v1/assets/{asset_id}").json()
    assert (asset["status"], asset["review_comment"]) == ("draft", "Add a customer quote.")
    mine = signed_in_client(app, author).get(f"/assets/{asset_id}/edit")
    assert "Reviewer's comment: Add a customer quote." in text_of(mine.text)


def test_a_revision_shows_its_diff_and_is_approved_or_rejected(app: FastAPI, people: Any) -> None:
    author, reviewer = people("marketer", name="Ann Author"), people("marketer")
    asset_id = live_asset(author)
    opened = author.api.patch(
        f"/v1/assets/{asset_id}", json={"body": "Teams onboard in an hour.\nSecond line."}
    )
    revision_id = opened.json()["pending_revision"]["id"]
    author.api.post(f"/v1/assets/{asset_id}/revisions/{revision_id}/submit")
    browser = signed_in_client(app, reviewer)
    path = f"/review/assets/{asset_id}/revisions/{revision_id}"
    page = browser.get(path)
    assert page.status_code == 200
    assert '<del><span class="visually-hidden">Removed: </span>Teams onboard in a day.</del>' in (
        page.text
    )
    assert '<ins><span class="visually-hidden">Added: </span>Teams onboard in an hour.</ins>' in (
        page.text
    )
    assert "Second line." in page.text
    assert "This revision against the live version 1" in page.text
    facts = text_of(page.text)
    assert "Owner Ann Author Revision opened by Ann Author Submitted by Ann Author" in facts

    refused = browser.post(
        f"{path}/reject",
        data={"csrf_token": browser.csrf, "comment": ""},  # type: ignore[attr-defined]
    )
    assert refused.status_code == 422
    etag = re.search(r'name="etag" value="(\d+)"', page.text)
    assert etag
    approved = browser.post(
        f"{path}/approve",
        data={"csrf_token": browser.csrf, "etag": etag.group(1)},  # type: ignore[attr-defined]
    )
    assert "Approved the revision of “Live sheet”" in text_of(approved.text)
    live = author.api.get(f"/v1/assets/{asset_id}").json()
    assert (live["body"], live["version"]) == ("Teams onboard in an hour.\nSecond line.", 2)
    # Afterwards the page shows the change between the versions.
    after = browser.get(path).text
    assert "Version 2 against version 1" in after
    assert "nothing to decide" in after

    # A second revision, rejected with a comment: the live text stays.
    again = author.api.patch(f"/v1/assets/{asset_id}", json={"body": "Other words."})
    second = again.json()["pending_revision"]["id"]
    rejected = browser.post(
        f"/review/assets/{asset_id}/revisions/{second}/reject",
        data={"csrf_token": browser.csrf, "comment": "Not now."},  # type: ignore[attr-defined]
    )
    assert "Rejected the revision of “Live sheet”; the live version stays." in text_of(
        rejected.text
    )
    assert author.api.get(f"/v1/assets/{asset_id}").json()["body"].startswith("Teams onboard")


def test_an_unknown_asset_is_a_404_page(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("marketer"))
    for path in ("/assets/nope/edit", "/review/assets/nope", "/review/assets/nope/revisions/x"):
        answer = browser.get(path)
        assert answer.status_code == 404, path
        assert "no asset with id nope" in answer.text


def test_the_same_text_as_another_asset_is_saved_only_when_asked(app: FastAPI, people: Any) -> None:
    marketer = people("marketer")
    body = "Teams onboard in a day with a guided setup, a named expert and weekly check-ins. " * 3
    first = marketer.api.post(
        "/v1/assets",
        json={
            "title": "Onboarding one-pager",
            "kind": "one_pager",
            "body": body,
        },
    ).json()["id"]
    browser = signed_in_client(app, marketer)
    refused = browser.post("/assets/new", data=editor_form(browser, body=body))
    assert refused.status_code == 409
    assert "Another asset already has this title and text, so nothing was saved" in text_of(
        refused.text
    )
    assert f'href="/review/assets/{first}"' in refused.text
    assert marketer.api.get("/v1/assets").json()["total"] == 1
    forced = browser.post(
        "/assets/new", data=editor_form(browser, body=body, force="yes"), follow_redirects=False
    )
    assert forced.status_code == 303
    assert marketer.api.get("/v1/assets").json()["total"] == 2
