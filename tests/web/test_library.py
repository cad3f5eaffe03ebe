"""The marketer's library (`/library`) and upload page (`/upload`), server side: what the
table shows for the filters, order and page in the URL, the bulk edit's outcome per asset,
and who may open them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from tests.conftest import Actor
from tests.web.conftest import Person, signed_in_client


def asset(actor: Actor, title: str, **fields: Any) -> str:
    body = {"title": title, "kind": "case_study", "body": f"The story of {title}.", **fields}
    answer = actor.post("/v1/assets", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def approved(actor: Actor, title: str, **fields: Any) -> str:
    asset_id = asset(actor, title, **fields)
    assert actor.post(f"/v1/assets/{asset_id}/submit").status_code == 200
    assert actor.post(f"/v1/assets/{asset_id}/approve").status_code == 200
    return asset_id


def page_of(answer: Any) -> Any:
    return lxml_html.fromstring(answer.text)


def titles(answer: Any) -> list[str]:
    """The titles in the library table, in its order."""
    doc = page_of(answer)
    return [
        a.text_content().strip()
        for a in doc.xpath("//table[@class='library']//td[@class='title']/a")
    ]


def row_of(answer: Any, title: str) -> str:
    doc = page_of(answer)
    for row in doc.xpath("//table[@class='library']/tbody/tr"):
        if row.xpath("td[@class='title']/a")[0].text_content().strip() == title:
            return " ".join(row.text_content().split())
    raise AssertionError(f"no row for {title!r}")


@pytest.fixture
def marketer_person(people: Any) -> Person:
    return people("marketer", "Mara Marketer")  # type: ignore[no-any-return]


@pytest.fixture
def browser(app: FastAPI, marketer_person: Person) -> TestClient:
    return signed_in_client(app, marketer_person)


def test_a_rep_gets_the_not_your_page_page(app: FastAPI, people: Any) -> None:
    rep = signed_in_client(app, people("rep"))
    for path in ("/library", "/upload"):
        answer = rep.get(path)
        assert answer.status_code == 403, path
        assert "This page is for marketers" in answer.text


def test_the_library_shows_every_asset_a_marketer_may_see(
    browser: TestClient, marketer_person: Person, people: Any
) -> None:
    other = people("marketer", "Otto Other")
    draft = asset(other.api, "Other's draft", stages=["decision"], industries=["mining"])
    live = approved(marketer_person.api, "Live story", tags=["roi"])
    gone = asset(marketer_person.api, "Old story")
    assert marketer_person.api.post(f"/v1/assets/{gone}/archive").status_code == 200

    answer = browser.get("/library")
    assert answer.status_code == 200
    assert sorted(titles(answer)) == ["Live story", "Old story", "Other's draft"]
    drafted = row_of(answer, "Other's draft")
    assert "Case study" in drafted and "Draft" in drafted
    assert "Buyer stage: Decision" in drafted and "Industry: mining" in drafted
    assert "Otto Other" in drafted
    assert "Approved" in row_of(answer, "Live story") and "roi" in row_of(answer, "Live story")
    assert "Archived" in row_of(answer, "Old story")
    doc = page_of(answer)
    assert doc.xpath(f"//a[@href='/assets/{draft}']") and doc.xpath(f"//a[@href='/assets/{live}']")
    assert (
        doc.get_element_by_id("select-page").get("aria-label") == "Select all assets on this page"
    )
    assert "Showing 1–3 of 3 assets." in answer.text


def test_filters_are_query_parameters(
    browser: TestClient, marketer_person: Person, people: Any
) -> None:
    other = people("marketer")
    approved(marketer_person.api, "Tunnel rework", stages=["decision"], industries=["mining"])
    asset(marketer_person.api, "Bridge checklist", kind="one_pager", tags=["safety"])
    asset(other.api, "Harbour savings", summary="Tunnel crews saved a week", stages=["awareness"])

    def shown(query: str) -> list[str]:
        answer = browser.get("/library?" + query)
        assert answer.status_code == 200, answer.text
        return sorted(titles(answer))

    assert shown("status=approved") == ["Tunnel rework"]
    assert shown("status=draft") == ["Bridge checklist", "Harbour savings"]
    assert shown("kind=one_pager") == ["Bridge checklist"]
    assert shown("stage=decision") == ["Tunnel rework"]
    assert shown("industry=mining") == ["Tunnel rework"]
    assert shown("tag=safety") == ["Bridge checklist"]
    assert shown("q=tunnel") == ["Harbour savings", "Tunnel rework"]  # title or summary
    assert shown("q=50%25") == []  # LIKE wildcards are plain characters
    assert shown(f"owner={other.id}") == ["Harbour savings"]
    assert shown("status=draft&q=bridge") == ["Bridge checklist"]
    # The form shows the filters in force.
    doc = page_of(browser.get("/library?kind=one_pager&q=bridge"))
    assert doc.get_element_by_id("filter-q").get("value") == "bridge"
    assert (
        doc.xpath("//select[@id='filter-kind']/option[@value='one_pager']")[0].get("selected")
        is not None
    )


def test_sorting_by_a_column_header(
    app: FastAPI, browser: TestClient, marketer_person: Person
) -> None:
    start = datetime.now(UTC)
    for minutes, title in enumerate(("banana", "Apple", "cherry")):
        app.state.clock = lambda m=minutes: start + timedelta(minutes=m)
        asset(marketer_person.api, title)
    app.state.clock = lambda: start + timedelta(hours=1)
    answer = browser.get("/library?sort=title")
    assert titles(answer) == ["Apple", "banana", "cherry"]
    header = page_of(answer).xpath("//table[@class='library']//th[@aria-sort]")
    assert [(h.text_content().strip(), h.get("aria-sort")) for h in header] == [
        ("Title", "ascending")
    ]
    # The header of the sorted column sorts the other way round next.
    link = page_of(answer).xpath("//table[@class='library']//th[@aria-sort]/a")[0].get("href")
    assert "sort=-title" in link
    answer = browser.get(link)
    assert titles(answer) == ["cherry", "banana", "Apple"]
    assert page_of(answer).xpath("//th[@aria-sort]")[0].get("aria-sort") == "descending"
    # Most recently updated first unless asked otherwise.
    answer = browser.get("/library")
    assert titles(answer) == ["cherry", "Apple", "banana"]
    assert page_of(answer).xpath("//th[@aria-sort]")[0].text_content().strip() == "Updated"


def test_sorting_by_status_follows_the_lifecycle_and_by_owner_their_names(
    browser: TestClient, marketer_person: Person, people: Any
) -> None:
    mine = marketer_person.api
    approved(mine, "Approved one")
    asset(mine, "Draft one")
    in_review = asset(mine, "In review one")
    assert mine.post(f"/v1/assets/{in_review}/submit").status_code == 200
    archived = approved(mine, "Archived one")
    assert mine.post(f"/v1/assets/{archived}/archive").status_code == 200
    assert titles(browser.get("/library?sort=status")) == [
        "Draft one",
        "In review one",
        "Approved one",
        "Archived one",
    ]
    asset(people("marketer", "Abel Able").api, "Abel's draft")
    asset(people("marketer", "Zoe Zed").api, "Zoe's draft")
    by_owner = titles(browser.get("/library?sort=-owner&kind=case_study&status=draft"))
    assert by_owner == ["Zoe's draft", "Draft one", "Abel's draft"]  # Zoe, Mara, Abel


def test_a_bad_sort_is_a_page_saying_so(browser: TestClient) -> None:
    answer = browser.get("/library?sort=price")
    assert answer.status_code == 422
    assert "sort" in answer.text and "<html" in answer.text


def test_paging(browser: TestClient, marketer_person: Person) -> None:
    for n in range(5):
        asset(marketer_person.api, f"Story {n}")
    answer = browser.get("/library?sort=title&limit=2")
    assert titles(answer) == ["Story 0", "Story 1"]
    assert "Showing 1–2 of 5 assets." in answer.text
    assert "Page 1 of 3" in answer.text
    following = page_of(answer).xpath("//a[@rel='next']")[0].get("href")
    assert "sort=title" in following and "limit=2" in following and "offset=2" in following
    answer = browser.get(following)
    assert titles(answer) == ["Story 2", "Story 3"]
    assert "Page 2 of 3" in answer.text
    # Sorting again starts at the first page, keeping the page size.
    resort = page_of(answer).xpath("//table[@class='library']//th/a")[0].get("href")
    assert "offset" not in resort and "limit=2" in resort
    last = browser.get("/library?sort=title&limit=2&offset=4")
    assert titles(last) == ["Story 4"]
    assert not page_of(last).xpath("//a[@rel='next']")


def test_bulk_tags_and_a_review_step_with_each_failure_shown(
    browser: TestClient, marketer_person: Person
) -> None:
    api = marketer_person.api
    first = asset(api, "First draft")
    second = asset(api, "Second draft")
    waiting = asset(api, "Already waiting")
    assert api.post(f"/v1/assets/{waiting}/submit").status_code == 200

    answer = browser.post(
        "/library?sort=title",
        data={
            "csrf_token": browser.csrf,  # type: ignore[attr-defined]
            "ids": [first, second, waiting],
            "add_tags": "roi, field teams",
            "action": "submit",
        },
    )
    assert answer.status_code == 200, answer.text
    doc = page_of(answer)
    summary = doc.get_element_by_id("outcome-summary").text_content()
    assert summary == "Bulk edit done: 2 changed, 0 already as asked, 1 failed."
    failed = doc.xpath("//table[@class='results']//tr[@class='result-failed']")
    assert len(failed) == 1
    assert "Already waiting" in failed[0].text_content()
    assert "in_review" in failed[0].text_content() or "review" in failed[0].text_content()
    # The table below shows the assets as they are now, in the order asked.
    assert titles(answer) == ["Already waiting", "First draft", "Second draft"]
    assert "roi" in row_of(answer, "First draft") and "In review" in row_of(answer, "First draft")
    for asset_id in (first, second):
        shown = api.get(f"/v1/assets/{asset_id}").json()
        assert shown["tags"] == ["field teams", "roi"] and shown["status"] == "in_review"
    # The failed one kept nothing of the change (one savepoint per asset).
    assert api.get(f"/v1/assets/{waiting}").json()["tags"] == []


def test_all_or_nothing_changes_none_when_one_fails(
    browser: TestClient, marketer_person: Person
) -> None:
    api = marketer_person.api
    fine = asset(api, "Fine draft")
    waiting = asset(api, "Waiting draft")
    assert api.post(f"/v1/assets/{waiting}/submit").status_code == 200
    answer = browser.post(
        "/library",
        data={
            "csrf_token": browser.csrf,  # type: ignore[attr-defined]
            "ids": [fine, waiting],
            "add_tags": "q3",
            "action": "submit",
            "all_or_nothing": "1",
        },
    )
    assert answer.status_code == 200, answer.text
    doc = page_of(answer)
    assert doc.get_element_by_id("outcome-summary").text_content() == (
        "Nothing was changed: 1 of 2 selected assets cannot take this change."
    )
    assert "Not changed" in doc.xpath("//table[@class='results']")[0].text_content()
    assert api.get(f"/v1/assets/{fine}").json()["tags"] == []
    assert api.get(f"/v1/assets/{fine}").json()["status"] == "draft"


def test_bulk_facets_owner_and_archive(
    browser: TestClient, marketer_person: Person, people: Any
) -> None:
    api = marketer_person.api
    heir = people("marketer")
    one = asset(api, "One", stages=["awareness"], industries=["retail"])
    answer = browser.post(
        "/library",
        data={
            "csrf_token": browser.csrf,  # type: ignore[attr-defined]
            "ids": [one],
            "add_stage": "decision",
            "remove_stage": "awareness",
            "add_industry": "Cold Storage",
            "remove_industry": "retail",
            "owner_id": heir.id,
            "action": "archive",
        },
    )
    assert "1 changed" in page_of(answer).get_element_by_id("outcome-summary").text_content()
    shown = api.get(f"/v1/assets/{one}").json()
    assert shown["stages"] == ["decision"] and shown["industries"] == ["cold-storage"]
    assert shown["owner"]["id"] == heir.id and shown["status"] == "archived"


def test_a_bulk_form_without_a_change_or_a_selection_says_what_is_missing(
    browser: TestClient, marketer_person: Person
) -> None:
    one = asset(marketer_person.api, "One")
    csrf = browser.csrf  # type: ignore[attr-defined]
    answer = browser.post("/library", data={"csrf_token": csrf, "ids": [one]})
    assert answer.status_code == 422
    assert "Choose a change first" in page_of(answer).get_element_by_id("page-error").text_content()
    answer = browser.post("/library", data={"csrf_token": csrf, "add_tags": "roi"})
    assert answer.status_code == 422
    assert "Select at least one asset" in answer.text
    # The table is still there to pick from.
    assert titles(answer) == ["One"]
    answer = browser.post(
        "/library", data={"csrf_token": csrf, "ids": ["x" * 5000], "add_tags": "roi"}
    )
    assert answer.status_code == 422
    assert "A selected asset id is not valid" in answer.text


def test_a_bulk_edit_without_the_form_token_is_refused(
    browser: TestClient, marketer_person: Person
) -> None:
    one = asset(marketer_person.api, "One")
    answer = browser.post("/library", data={"ids": [one], "add_tags": "roi"})
    assert answer.status_code == 403
    assert "This form expired" in answer.text
    answer = browser.post(
        "/library", data={"ids": [one], "add_tags": "roi", "csrf_token": "forged"}
    )
    assert answer.status_code == 403
    assert marketer_person.api.get(f"/v1/assets/{one}").json()["tags"] == []


def test_the_upload_page_offers_files_and_defaults(browser: TestClient) -> None:
    answer = browser.get("/upload")
    assert answer.status_code == 200
    doc = page_of(answer)
    chooser = doc.get_element_by_id("upload-files")
    assert chooser.get("type") == "file" and chooser.get("multiple") is not None
    assert doc.xpath("//label[@for='upload-files']")[0].text_content() == "Choose files"
    assert doc.xpath("//select[@id='upload-stage']/option[@value='decision']")
    assert doc.xpath("//select[@id='upload-kind']/option[@value='case_study']")
    assert doc.get_element_by_id("upload-summary").get("role") == "status"
    assert "up to 50 MB each" in answer.text
    assert '<script src="/static/library.js" defer></script>' in answer.text
    assert "style=" not in answer.text and "<script>" not in answer.text


def test_statuses_sort_in_lifecycle_order_and_owners_by_name(
    browser: TestClient, marketer_person: Person, people: Any
) -> None:
    api = marketer_person.api  # "Mara Marketer"
    approved(api, "Live one")
    waiting = asset(api, "Waiting one")
    assert api.post(f"/v1/assets/{waiting}/submit").status_code == 200
    asset(api, "Draft one")
    asset(people("marketer", "Aaron Able").api, "Aaron's draft")
    assert titles(browser.get("/library?sort=status&q=one")) == [
        "Draft one",
        "Waiting one",
        "Live one",
    ]
    assert titles(browser.get("/library?sort=owner&status=draft")) == [
        "Aaron's draft",
        "Draft one",
    ]
    assert titles(browser.get("/library?sort=-owner&status=draft")) == [
        "Draft one",
        "Aaron's draft",
    ]
