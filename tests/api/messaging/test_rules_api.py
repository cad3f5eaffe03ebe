"""GET/PUT /v1/messaging/rules and POST /v1/messaging/check."""

from __future__ import annotations

from typing import Any

from tests.catalogue import create, publish
from tests.conftest import Actor

RULES: list[dict[str, Any]] = [
    {
        "type": "banned",
        "phrase": "guarantee*",
        "severity": "error",
        "reason": "Legal: we never promise outcomes",
    },
    {
        "type": "deprecated",
        "phrase": "Field  App",
        "replacement": "FieldPro",
        "severity": "warning",
    },
    {
        "type": "required",
        "phrase": "Results vary by customer.",
        "kinds": ["case_study", "testimonial"],
        "severity": "error",
    },
]


def put_rules(marketer: Actor, rules: list[dict[str, Any]]) -> Any:
    return marketer.put("/v1/messaging/rules", json={"rules": rules})


def check(marketer: Actor, text: str, kind: str | None = None) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"text": text}
    if kind:
        body["kind"] = kind
    response = marketer.post("/v1/messaging/check", json=body)
    assert response.status_code == 200, response.text
    findings: list[dict[str, Any]] = response.json()["findings"]
    return findings


def test_no_rules_at_first(marketer: Actor) -> None:
    response = marketer.get("/v1/messaging/rules")
    assert response.status_code == 200
    assert response.json() == {"rules": []}


def test_put_replaces_the_rules_and_get_returns_them_in_order(marketer: Actor) -> None:
    response = put_rules(marketer, RULES)
    assert response.status_code == 200, response.text
    expected = [
        {
            "type": "banned",
            "phrase": "guarantee*",
            "replacement": None,
            "kinds": None,
            "severity": "error",
            "reason": "Legal: we never promise outcomes",
        },
        {
            "type": "deprecated",
            "phrase": "Field App",
            "replacement": "FieldPro",
            "kinds": None,
            "severity": "warning",
            "reason": None,
        },
        {
            "type": "required",
            "phrase": "Results vary by customer.",
            "replacement": None,
            "kinds": ["case_study", "testimonial"],
            "severity": "error",
            "reason": None,
        },
    ]
    assert response.json() == {"rules": expected}
    assert marketer.get("/v1/messaging/rules").json() == {"rules": expected}

    # What GET returns can be sent back as it is.
    assert put_rules(marketer, expected).json() == {"rules": expected}

    assert put_rules(marketer, [RULES[0]]).status_code == 200
    assert [r["phrase"] for r in marketer.get("/v1/messaging/rules").json()["rules"]] == [
        "guarantee*"
    ]
    assert put_rules(marketer, []).json() == {"rules": []}
    assert check(marketer, "We guarantee it.") == []


def test_invalid_rules_are_refused_with_every_problem_located(marketer: Actor) -> None:
    put_rules(marketer, RULES)
    response = put_rules(
        marketer,
        [
            {"type": "banned", "phrase": "   ", "severity": "error"},
            {"type": "deprecated", "phrase": "Field App", "severity": "warning"},
            {"type": "banned", "phrase": "gua*rantee", "severity": "error"},
            {"type": "required", "phrase": "Terms apply", "replacement": "x", "severity": "error"},
            {"type": "banned", "phrase": "cheap", "kinds": [], "severity": "error"},
            {"type": "banned", "phrase": "free", "severity": "error"},
            {"type": "banned", "phrase": "FREE", "severity": "warning"},
        ],
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/invalid"
    assert problem["detail"] == "rules.0.phrase: the phrase must not be empty (and 5 more)"
    assert [(e["loc"], e["msg"]) for e in problem["errors"]] == [
        (["body", "rules", 0, "phrase"], "the phrase must not be empty"),
        (
            ["body", "rules", 1, "replacement"],
            "a deprecated rule needs a replacement: the current term",
        ),
        (
            ["body", "rules", 2, "phrase"],
            "'*' may only end a word (as in 'guarantee*'), not appear inside 'gua*rantee'",
        ),
        (["body", "rules", 3, "replacement"], "a required rule has no replacement"),
        (
            ["body", "rules", 4, "kinds"],
            "list at least one kind, or leave kinds out for every kind",
        ),
        (["body", "rules", 6, "phrase"], "the same rule is already at position 5"),
    ]
    # Nothing changed.
    assert len(marketer.get("/v1/messaging/rules").json()["rules"]) == 3


def test_malformed_rules_are_422(marketer: Actor) -> None:
    cases: list[Any] = [
        {"rules": [{"type": "forbidden", "phrase": "x", "severity": "error"}]},
        {"rules": [{"type": "banned", "phrase": "x", "severity": "fatal"}]},
        {"rules": [{"type": "banned", "phrase": "x"}]},
        {"rules": [{"type": "banned", "phrase": "x", "severity": "error", "kinds": ["memo"]}]},
        {"rules": [{"type": "banned", "phrase": "x" * 501, "severity": "error"}]},
        {"rules": [{"type": "banned", "phrase": "x", "severity": "error", "colour": "red"}]},
        {"rules": "guarantee"},
        {},
    ]
    for body in cases:
        response = marketer.put("/v1/messaging/rules", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"], body
    assert marketer.get("/v1/messaging/rules").json() == {"rules": []}


def test_only_marketers_and_admins_manage_rules(
    marketer: Actor, rep: Actor, admin: Actor, anonymous: Actor
) -> None:
    assert put_rules(admin, RULES).status_code == 200
    assert rep.get("/v1/messaging/rules").status_code == 403
    assert put_rules(rep, []).status_code == 403
    assert rep.post("/v1/messaging/check", json={"text": "x"}).status_code == 403
    assert anonymous.get("/v1/messaging/rules").status_code == 401
    assert marketer.get("/v1/messaging/rules").json()["rules"][0]["phrase"] == "guarantee*"


def test_check_finds_banned_and_deprecated_phrases_with_offsets(marketer: Actor) -> None:
    put_rules(marketer, RULES)
    text = "Our field\napp is guaranteed to pay off. GUARANTEE!"
    assert check(marketer, text) == [
        {
            "type": "deprecated",
            "severity": "warning",
            "phrase": "Field App",
            "message": 'Replace "field app" with "FieldPro": "Field App" is an old term.',
            "start": 4,
            "end": 13,
            "replacement": "FieldPro",
            "field": None,
        },
        {
            "type": "banned",
            "severity": "error",
            "phrase": "guarantee*",
            "message": 'Remove "guaranteed": it is a banned phrase. '
            "Legal: we never promise outcomes.",
            "start": 17,
            "end": 27,
            "replacement": None,
            "field": None,
        },
        {
            "type": "banned",
            "severity": "error",
            "phrase": "guarantee*",
            "message": 'Remove "GUARANTEE": it is a banned phrase. '
            "Legal: we never promise outcomes.",
            "start": 40,
            "end": 49,
            "replacement": None,
            "field": None,
        },
    ]
    assert text[4:13] == "field\napp"


def test_required_phrases_apply_to_their_kinds(marketer: Actor) -> None:
    put_rules(marketer, RULES)
    text = "Acme cut rework by 30%."
    missing = check(marketer, text, kind="case_study")
    assert missing == [
        {
            "type": "required",
            "severity": "error",
            "phrase": "Results vary by customer.",
            "message": 'Add "Results vary by customer.": it is required in every case study.',
            "start": len(text),
            "end": len(text),
            "replacement": None,
            "field": None,
        }
    ]
    assert check(marketer, text + "\nResults  vary by\ncustomer.", kind="case_study") == []
    assert check(marketer, text, kind="ebook") == []
    assert check(marketer, text) == []


def test_check_of_an_empty_text_and_bad_requests(marketer: Actor) -> None:
    put_rules(marketer, RULES)
    assert check(marketer, "") == []
    assert marketer.post("/v1/messaging/check", json={"text": "x", "kind": "memo"}).status_code == (
        422
    )
    assert marketer.post("/v1/messaging/check", json={}).status_code == 422
    assert marketer.post("/v1/messaging/check", json={"text": 5}).status_code == 422
    response = marketer.post(
        "/v1/messaging/check", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_violations_are_listed_a_page_at_a_time(marketer: Actor) -> None:
    breaking = sorted(
        publish(marketer, title=f"Field  App checklist {n}", body="Crews sign off jobs.")["id"]
        for n in range(5)
    )
    publish(marketer, title="FieldPro checklist", body="Crews sign off jobs.")  # compliant
    create(marketer, title="Field  App draft")  # not live
    assert put_rules(marketer, RULES[1:2]).status_code == 200

    whole = marketer.get("/v1/messaging/violations")
    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 20, 0)
    assert [item["asset"]["id"] for item in body["items"]] == breaking  # by id
    version = body["rules_version"]

    seen: list[str] = []
    for offset in (0, 2, 4):
        page = marketer.get("/v1/messaging/violations", params={"limit": 2, "offset": offset})
        assert page.status_code == 200, page.text
        data = page.json()
        assert (data["total"], data["limit"], data["offset"]) == (5, 2, offset)
        assert data["rules_version"] == version
        assert all(item["findings"][0]["replacement"] == "FieldPro" for item in data["items"])
        seen += [item["asset"]["id"] for item in data["items"]]
    assert seen == breaking
    past = marketer.get("/v1/messaging/violations", params={"offset": 10}).json()
    assert (past["total"], past["items"]) == (5, [])
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert marketer.get("/v1/messaging/violations", params=bad).status_code == 422
