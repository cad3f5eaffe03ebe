"""The admin pages as an admin uses them: people (invite, role, disable, audiences, remove),
everyone's API keys, webhooks, the audit log; what a marketer gets instead, forms without
the session's token, and the services' refusals shown on the page. One browser journey."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.catalogue import create
from tests.conftest import Actor
from tests.web.conftest import Person, Web, signed_in_client

INVITE_URL = re.compile(r'id="invite-url" readonly value="([^"]+)"')
SECRET = re.compile(r'id="secret-value" readonly value="(whsec_[^"]+)"')


def text(answer: Any) -> str:
    """The page's visible words, roughly: tags dropped, entities decoded, spaces joined."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


def post(browser: TestClient, path: str, **data: Any) -> Any:
    return browser.post(path, data={**data, "csrf_token": browser.csrf})  # type: ignore[attr-defined]


def user(admin: Actor, user_id: str) -> dict[str, Any]:
    answer = admin.get(f"/v1/users/{user_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def boss(app: FastAPI, people: Any) -> tuple[Person, TestClient]:
    """The one admin person (the master key is not a person), signed in."""
    person = people("admin", "Ada Boss")
    return person, signed_in_client(app, person)


def test_an_invite_link_is_shown_only_on_its_own_persons_page_and_only_once(
    app: FastAPI, boss: tuple[Person, TestClient], people: Any
) -> None:
    _, browser = boss
    browser.follow_redirects = False
    made = post(browser, "/admin/people", email="ola@example.com", role="rep")
    assert made.status_code == 303
    to = made.headers["location"]
    sealed = made.cookies["baton_invite"]
    assert "/account/invite/" not in sealed  # the browser holds it sealed, not readable
    other = people("rep", "Pia Rep")

    def carrying(value: str) -> dict[str, str]:
        kept = [f"{c.name}={c.value}" for c in browser.cookies.jar if c.name != "baton_invite"]
        return {"Cookie": "; ".join([*kept, f"baton_invite={value}"])}

    # Carried to another person's page (a forged path), or altered: no link is shown.
    for path, value in ((f"/admin/people/{other.id}", sealed), (to, sealed[:-6] + "AAAAAA")):
        page = browser.get(path, headers=carrying(value))
        assert page.status_code == 200 and INVITE_URL.search(page.text) is None, path
    first = browser.get(to, headers=carrying(sealed))
    assert INVITE_URL.search(first.text), first.text
    assert 'baton_invite=""' in first.headers.get("set-cookie", "")  # shown once: removed


def test_a_marketer_gets_the_403_page_on_every_admin_page(
    app: FastAPI, people: Any, admin: Actor
) -> None:
    marketer = people("marketer")
    browser = signed_in_client(app, marketer)
    for path in ("/admin/people", "/admin/keys", "/admin/webhooks", "/admin/audit"):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert "This page is for admins" in text(answer), path
    rep = people("rep")
    answer = post(browser, f"/admin/people/{rep.id}/role", role="admin")
    assert answer.status_code == 403
    assert user(admin, rep.id)["role"] == "rep"


def test_an_admin_invites_a_person_and_gets_the_link_to_give_them(
    app: FastAPI, client: TestClient, boss: tuple[Person, TestClient], admin: Actor
) -> None:
    _, browser = boss
    answer = post(browser, "/admin/people", email="Nia@Example.com", name="Nia", role="marketer")
    assert answer.status_code == 200, answer.text
    said = text(answer)
    assert "Invitation ready" in said and "It is not shown again" in said
    link = INVITE_URL.search(answer.text)
    assert link, answer.text
    path = urlsplit(html.unescape(link.group(1))).path
    assert path.startswith("/account/invite/")
    # The link is the one the person opens to choose a password.
    assert "Welcome to Baton" in client.get(path).text
    # Post/redirect/get: the answer is the person's page, and a reload of it neither shows
    # the link again nor makes another one (which would stop this one working).
    assert [step.status_code for step in answer.history] == [303]
    person_path = urlsplit(str(answer.url)).path
    reloaded = browser.get(person_path)
    assert reloaded.status_code == 200 and INVITE_URL.search(reloaded.text) is None
    assert "Welcome to Baton" in client.get(path).text

    people = browser.get("/admin/people")
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><a href=\"/admin/people/(\w+)\">Nia</a>.*?</tr>",
        people.text,
        re.S,
    )
    assert row, people.text
    assert "nia@example.com" in row.group(0) and "marketer" in row.group(0)
    assert "Invite not used yet" in row.group(0)
    created = user(admin, row.group(1))
    assert created["role"] == "marketer"
    assert created["active_keys"] == 0  # invited people sign in; no API key is made for them

    # A new link for the same person: the first one stops working.
    fresh = post(browser, f"/admin/people/{row.group(1)}/invite")
    assert "New invite link" in text(fresh) and "their earlier links no longer work" in text(fresh)
    link2 = INVITE_URL.search(fresh.text)
    assert link2 and link2.group(1) != link.group(1)
    assert [step.status_code for step in fresh.history] == [303]
    assert INVITE_URL.search(browser.get(person_path).text) is None
    assert client.get(path).status_code == 410
    assert "Welcome to Baton" in client.get(urlsplit(html.unescape(link2.group(1))).path).text
    post(browser, f"/admin/people/{row.group(1)}/active", active="false")
    refused = post(browser, f"/admin/people/{row.group(1)}/invite")
    assert refused.status_code == 422
    assert "nia@example.com is disabled or removed: enable them first" in text(refused)

    # The same email again: the service's refusal, on the form, with what was typed.
    again = post(browser, "/admin/people", email="nia@example.com", name="Nia 2", role="rep")
    assert again.status_code == 409
    assert "a user with email nia@example.com already exists" in text(again)
    assert 'value="Nia 2"' in again.text
    # Not an email: the field says so.
    bad = post(browser, "/admin/people", email="nia", name="", role="rep")
    assert bad.status_code == 422
    assert re.search(r'id="invite-email"[^>]*aria-invalid="true"', bad.text)
    assert "must be an email address" in text(bad)


def test_a_form_without_the_session_token_is_refused(
    boss: tuple[Person, TestClient], admin: Actor, people: Any
) -> None:
    _, browser = boss
    answer = browser.post(
        "/admin/people", data={"email": "x@example.com", "role": "rep", "csrf_token": "forged"}
    )
    assert answer.status_code == 403
    assert "This form expired" in text(answer)
    listed = admin.get("/v1/users", params={"limit": 100}).json()["items"]
    assert "x@example.com" not in {p["email"] for p in listed}
    rep = people("rep")
    refused = browser.post(f"/admin/people/{rep.id}/active", data={"active": "false"})
    assert refused.status_code == 403
    assert user(admin, rep.id)["active"] is True


def test_the_last_admin_cannot_be_demoted_or_disabled_and_roles_change_otherwise(
    app: FastAPI, boss: tuple[Person, TestClient], admin: Actor, people: Any
) -> None:
    me, browser = boss
    demoted = post(browser, f"/admin/people/{me.id}/role", role="marketer")
    assert demoted.status_code == 409
    assert (
        f"{me.email} is the last active admin: make another person admin before you demote them"
        in text(demoted)
    )
    disabled = post(browser, f"/admin/people/{me.id}/active", active="false")
    assert disabled.status_code == 409
    assert "is the last active admin" in text(disabled)
    assert user(admin, me.id)["role"] == "admin" and user(admin, me.id)["active"]

    rep = people("rep", "Rui Rep")
    promoted = post(browser, f"/admin/people/{rep.id}/role", role="admin")
    assert promoted.status_code == 200
    assert f"{rep.email}'s role is now admin." in text(promoted)
    assert user(admin, rep.id)["role"] == "admin"

    off = post(browser, f"/admin/people/{rep.id}/active", active="false")
    assert "is disabled: signed out, and their keys stop until enabled" in text(off)
    assert rep.api.get("/v1/me").status_code == 401
    assert "Disabled" in text(browser.get("/admin/people"))
    on = post(browser, f"/admin/people/{rep.id}/active", active="true")
    assert "is enabled again" in text(on)
    assert rep.api.get("/v1/me").status_code == 200


def test_removing_a_person_gives_their_assets_to_whom_the_admin_chooses(
    app: FastAPI, boss: tuple[Person, TestClient], admin: Actor, people: Any
) -> None:
    _, browser = boss
    leaving, heir, rep = people("marketer", "Lea"), people("marketer", "Hal"), people("rep")
    asset = create(leaving.api, title="Pricing sheet")
    page = browser.get(f"/admin/people/{leaving.id}")
    assert "Give their 1 asset to" in text(page)
    assert f'<option value="{heir.id}">Hal (marketer)</option>' in page.text
    assert f'value="{rep.id}"' not in page.text  # reps cannot own assets

    refused = post(browser, f"/admin/people/{leaving.id}/remove", reassign_to=rep.id)
    assert refused.status_code == 422
    assert f"reassign_to: {rep.email} is a rep; assets go to a marketer or an admin" in text(
        refused
    )
    assert user(admin, leaving.id)["deleted_at"] is None

    removed = post(browser, f"/admin/people/{leaving.id}/remove", reassign_to=heir.id)
    assert removed.status_code == 200
    assert urlsplit(str(removed.url)).path == "/admin/people"
    assert f"{leaving.email} is removed. 1 asset reassigned." in text(removed)
    assert f'href="/admin/people/{leaving.id}"' not in removed.text
    everyone = browser.get("/admin/people?removed=true")
    row = re.search(rf'<a href="/admin/people/{leaving.id}">Lea</a>.*?</tr>', everyone.text, re.S)
    assert row and "Removed" in row.group(0)
    assert admin.get(f"/v1/assets/{asset['id']}").json()["owner"]["id"] == heir.id
    assert leaving.api.get("/v1/me").status_code == 401


def test_an_admin_puts_a_person_in_an_audience_and_takes_them_out(
    boss: tuple[Person, TestClient], admin: Actor, people: Any
) -> None:
    _, browser = boss
    made = admin.post("/v1/audiences", json={"slug": "emea", "name": "EMEA", "kind": "region"})
    assert made.status_code == 201, made.text
    rep = people("rep")
    added = post(browser, f"/admin/people/{rep.id}/audiences", audience="emea", member="true")
    assert "is now in the audience emea" in text(added)
    assert user(admin, rep.id)["audiences"] == ["emea"]
    assert "Take out of EMEA" in text(added)
    out = post(browser, f"/admin/people/{rep.id}/audiences", audience="emea", member="false")
    assert "is no longer in the audience emea" in text(out)
    assert user(admin, rep.id)["audiences"] == []
    gone = post(browser, f"/admin/people/{rep.id}/audiences", audience="nope", member="true")
    assert gone.status_code == 404
    assert "no audience" in text(gone)


def test_the_keys_page_lists_everyones_keys_and_revokes_one(
    boss: tuple[Person, TestClient], people: Any
) -> None:
    _, browser = boss
    rep = people("rep", "Rita")
    made = rep.api.post("/v1/me/keys", json={"name": "CRM extension"})
    assert made.status_code == 201
    key = made.json()
    page = browser.get("/admin/keys")
    said = text(page)
    assert "CRM extension" in said and key["prefix"] in said and "Rita" in said
    assert key["api_key"] not in page.text

    boss_key = re.findall(r"<code>(bk_[\w-]+)…</code>", page.text)
    theirs = browser.get(f"/admin/keys?person={rep.id}")
    assert key["prefix"] in text(theirs) and "The keys of Rita" in text(theirs)
    assert set(re.findall(r"<code>(bk_[\w-]+)…</code>", theirs.text)) < set(boss_key)
    assert browser.get("/admin/keys?person=nobody").status_code == 404

    other = rep.api.__class__(rep.api.client, key["api_key"], role="rep", user_id=rep.id)
    assert other.get("/v1/me").status_code == 200
    revoked = post(browser, f"/admin/keys/{key['id']}/revoke", user_id=rep.id)
    assert "The key “CRM extension”" in text(revoked) and "is revoked: it stops at once" in text(
        revoked
    )
    assert other.get("/v1/me").status_code == 401
    assert key["prefix"] not in text(browser.get("/admin/keys"))
    shown = text(browser.get("/admin/keys?revoked=true"))
    assert key["prefix"] in shown and "Revoked" in shown
    wrong = post(browser, f"/admin/keys/{key['id']}/revoke", user_id="someone")
    assert wrong.status_code == 404


def test_webhooks_are_made_with_their_secret_shown_once_and_bad_urls_refused(
    boss: tuple[Person, TestClient], admin: Actor
) -> None:
    _, browser = boss
    bad = post(browser, "/admin/webhooks", url="http://localhost/hook", events="asset.approved")
    assert bad.status_code == 422
    assert re.search(
        r'id="new-url"[^>]*aria-invalid="true" aria-describedby="new-url-error"', bad.text
    )
    error = re.search(r'<p class="field-error" id="new-url-error">([^<]+)</p>', bad.text)
    assert error and "localhost is a private or local address" in html.unescape(error.group(1))
    assert 'value="http://localhost/hook"' in bad.text
    none = post(browser, "/admin/webhooks", url="https://hooks.example.com/in")
    assert none.status_code == 422
    assert 'id="new-events-error"' in none.text
    assert admin.get("/v1/webhooks").json()["total"] == 0

    made = browser.post(
        "/admin/webhooks",
        data={
            "url": "https://hooks.example.com/in",
            "events": ["asset.approved", "question.asked"],
            "description": "CRM sync",
            "csrf_token": browser.csrf,  # type: ignore[attr-defined]
        },
    )
    assert made.status_code == 200
    assert [r.status_code for r in made.history] == [303]  # post/redirect/get
    secret = SECRET.search(made.text)
    assert secret and "it is shown this once" in text(made)
    reloaded = browser.get(made.url)  # a reload repeats nothing and shows no secret
    assert reloaded.status_code == 200 and "whsec_" not in reloaded.text
    (hook,) = admin.get("/v1/webhooks").json()["items"]
    assert hook["events"] == ["asset.approved", "question.asked"]
    assert secret.group(1) not in browser.get(f"/admin/webhooks/{hook['id']}").text
    assert "whsec_" not in browser.get("/admin/webhooks").text

    edited = browser.post(
        f"/admin/webhooks/{hook['id']}",
        data={"url": "ftp://x", "events": ["asset.approved"], "csrf_token": browser.csrf},  # type: ignore[attr-defined]
    )
    assert edited.status_code == 422
    assert "a webhook URL is http:// or https://" in text(edited)
    saved = browser.post(
        f"/admin/webhooks/{hook['id']}",
        data={
            "url": "https://hooks.example.com/v2",
            "events": ["asset.expired"],
            "csrf_token": browser.csrf,
        },  # type: ignore[attr-defined]
    )
    assert "The webhook is saved." in text(saved)
    hook = admin.get(f"/v1/webhooks/{hook['id']}").json()
    assert hook["url"] == "https://hooks.example.com/v2" and hook["events"] == ["asset.expired"]

    rotated = post(browser, f"/admin/webhooks/{hook['id']}/rotate", grace="3600")
    new = SECRET.search(rotated.text)
    assert new and new.group(1) != secret.group(1)
    assert "The previous secret keeps signing beside it until" in text(rotated)
    assert "whsec_" not in browser.get(rotated.url).text

    off = post(browser, f"/admin/webhooks/{hook['id']}/active", active="false")
    assert "The webhook is disabled" in text(off)
    assert admin.get(f"/v1/webhooks/{hook['id']}").json()["active"] is False
    gone = post(browser, f"/admin/webhooks/{hook['id']}/delete")
    assert "The webhook for https://hooks.example.com/v2 is deleted" in text(gone)
    assert admin.get(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert browser.get(f"/admin/webhooks/{hook['id']}").status_code == 404


def test_the_audit_log_filters_pages_and_shows_an_entrys_changes(
    boss: tuple[Person, TestClient], admin: Actor, people: Any
) -> None:
    me, browser = boss
    rep = people("rep", "Ravi")
    post(browser, f"/admin/people/{rep.id}/role", role="marketer")

    page = browser.get("/admin/audit")
    assert page.status_code == 200
    rows = re.findall(r'<a href="/admin/audit/(\d+)">', page.text)
    assert [int(r) for r in rows] == sorted((int(r) for r in rows), reverse=True)

    filtered = browser.get("/admin/audit", params={"actor": me.id, "action": "user.updated"})
    said = text(filtered)
    assert "1 entry" in said and "user.updated" in said and "user.signed_in" not in said
    (entry_id,) = re.findall(r'<a href="/admin/audit/(\d+)">', filtered.text)
    # The exports carry the same filters.
    exported = re.search(r'<a href="(/v1/audit\?[^"]*format=csv[^"]*)"', filtered.text)
    assert exported
    answer = browser.get(html.unescape(exported.group(1)))
    assert answer.status_code == 200
    (line,) = list(csv.DictReader(io.StringIO(answer.text)))
    assert line["action"] == "user.updated"

    entry = browser.get(f"/admin/audit/{entry_id}")
    said = text(entry)
    assert "user.updated" in said and me.email in said
    assert re.search(
        r"<th scope=\"row\">role</th>\s*<td><pre>rep</pre></td>\s*<td><pre>marketer</pre></td>",
        entry.text,
    )
    assert f'href="/admin/people/{rep.id}"' in entry.text

    bad = browser.get("/admin/audit", params={"from": "yesterday"})
    assert bad.status_code == 422
    assert "from: a date like 2026-11-30" in text(bad)
    backwards = browser.get("/admin/audit", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert "since must be before until" in text(backwards)
    assert browser.get("/admin/audit/999999").status_code == 404
    assert "no audit entry with id 999999" in text(browser.get("/admin/audit/999999"))


@pytest.mark.slow
@pytest.mark.one_database
def test_an_admin_invites_changes_a_role_adds_a_webhook_and_reads_the_audit_log(
    web: Web, people: Any
) -> None:
    boss = people("admin", "Ada Boss")
    rep = people("rep", "Rui Rep")
    page = web.signed_in(boss)

    page.set_viewport_size({"width": 900, "height": 900})  # a laptop's split screen
    page.goto(web.base + "/admin/people")
    web.check(page, "people-900")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(web.base + "/admin/people")
    web.check(page, "people")
    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Name").fill("Nia New")
    page.get_by_label("Role").select_option("marketer")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_label("Invite link")
    assert "/account/invite/" in link.input_value()
    page.get_by_role("button", name="Copy link").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    web.check(page, "invited")

    page.goto(web.base + "/admin/people")
    page.get_by_role("link", name="Rui Rep").click()
    page.get_by_label("New role").select_option("marketer")
    page.get_by_role("button", name="Change role").click()
    page.get_by_text(f"{rep.email}'s role is now marketer.").wait_for()
    web.check(page, "person")

    page.goto(web.base + "/admin/keys")
    web.check(page, "keys")

    page.goto(web.base + "/admin/webhooks")
    web.check(page, "webhooks")
    page.get_by_label("URL").fill("https://hooks.example.com/baton")
    page.get_by_label("asset.approved").check()
    page.get_by_role("button", name="Create webhook").click()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    web.check(page, "webhook")
    page.goto(web.base + "/admin/webhooks")  # the webhook again: its secret is not shown
    page.get_by_role("link", name="https://hooks.example.com/baton").click()
    page.get_by_role("heading", name="Deliveries").wait_for()
    assert secret not in page.content()

    page.goto(web.base + "/admin/audit")
    web.check(page, "audit")
    page.get_by_label("Action").fill("user.invite_link_created")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(lambda url: "action=user.invite_link_created" in url)
    page.get_by_role("link", name=re.compile("Details of entry .*user.invite_link_created")).click()
    page.get_by_role("heading", name="Changes").wait_for()
    assert "nia@example.com" in page.locator("main").inner_text()
    web.check(page, "audit-entry")
    web.assert_clean()


def test_the_audit_log_pages_newest_first_and_keeps_its_filters(
    app: FastAPI, boss: tuple[Person, TestClient], admin: Actor
) -> None:
    _, browser = boss
    for n in range(30):  # each: user.created and key.created
        made = admin.post("/v1/users", json={"email": f"p{n}@example.com", "role": "rep"})
        assert made.status_code == 201
    today = app.state.clock().date()
    created = browser.get("/admin/audit", params={"action": "user.created"})
    ids = [int(i) for i in re.findall(r'<a href="/admin/audit/(\d+)">', created.text)]
    assert len(ids) == 31 and ids == sorted(ids, reverse=True)  # the 30 and the boss
    assert 'rel="next"' not in created.text

    first = browser.get("/admin/audit", params={"from": today.isoformat()})
    ids = [int(i) for i in re.findall(r'<a href="/admin/audit/(\d+)">', first.text)]
    assert len(ids) == 50
    assert "Showing 1–50 of" in text(first)
    link = re.search(r'href="(/admin/audit\?[^"]*)" rel="next"', first.text)
    assert link
    assert html.unescape(link.group(1)) == f"/admin/audit?from={today.isoformat()}&offset=50"
    second = browser.get(html.unescape(link.group(1)))
    more = [int(i) for i in re.findall(r'<a href="/admin/audit/(\d+)">', second.text)]
    assert more and max(more) < min(ids)
    assert 'rel="prev"' in second.text

    yesterday = date.fromordinal(today.toordinal() - 1).isoformat()
    before = browser.get("/admin/audit", params={"to": yesterday})
    assert "0 entries" in text(before) and "No entries match these filters." in text(before)


def test_the_last_possible_day_is_a_message_not_an_error(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("admin"))
    for params in ({"to": "9999-12-31"}, {"from": "9999-12-31"}, {"to": "0001-01-01"}):
        page = browser.get("/admin/audit", params=params)
        assert page.status_code in {200, 422}, (params, page.text)
        assert page.headers["content-type"].startswith("text/html"), params
    refused = browser.get("/admin/audit", params={"to": "9999-12-31"})
    assert refused.status_code == 422 and "a date before 9999-12-31" in refused.text


def test_an_admin_who_gives_up_the_role_goes_back_to_the_app(app: FastAPI, people: Any) -> None:
    people("admin")  # another admin: the last one could not step down
    me = people("admin")
    browser = signed_in_client(app, me)
    page = browser.get(f"/admin/people/{me.id}")
    assert "This is your own role" in page.text  # the form asks first
    answer = browser.post(
        f"/admin/people/{me.id}/role",
        data={"role": "marketer", "csrf_token": browser.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
