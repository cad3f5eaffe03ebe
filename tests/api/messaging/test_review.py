"""The messaging check in the review lifecycle: findings at submit, approval refused on errors."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from api.messaging import service
from api.messaging.schemas import RuleIn
from tests.catalogue import create, transition
from tests.conftest import Actor

RULES: list[dict[str, Any]] = [
    {"type": "banned", "phrase": "guarantee*", "severity": "error", "reason": "Legal says no"},
    {"type": "deprecated", "phrase": "Field App", "replacement": "FieldPro", "severity": "warning"},
    {
        "type": "required",
        "phrase": "Results vary by customer",
        "kinds": ["case_study"],
        "severity": "error",
    },
    {"type": "banned", "phrase": "act now", "kinds": ["email_template"], "severity": "error"},
]


def submit(marketer: Actor, asset_id: str) -> dict[str, Any]:
    response = marketer.post(f"/v1/assets/{asset_id}/submit")
    assert response.status_code == 200, response.text
    return dict(response.json())


def brief(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(f["field"], f["type"], f["severity"], f["start"], f["end"]) for f in findings]


def test_submit_reports_findings_in_every_part_of_an_email(marketer: Actor) -> None:
    assert marketer.put("/v1/messaging/rules", json={"rules": RULES}).status_code == 200
    asset = create(
        marketer,
        kind="email_template",
        title="Field App update",
        summary="Guaranteed savings",
        body="Hi {{ first_name }},\nour field app is guaranteed to help. Act\nnow!",
        fields={"subject": "Act now: Field App pricing"},
    )
    result = submit(marketer, asset["id"])
    assert result["asset"]["status"] == "in_review"
    findings = result["findings"]
    assert brief(findings) == [
        ("title", "deprecated", "warning", 0, 9),
        ("summary", "banned", "error", 0, 10),
        ("subject", "banned", "error", 0, 7),
        ("subject", "deprecated", "warning", 9, 18),
        ("body", "deprecated", "warning", 25, 34),
        ("body", "banned", "error", 38, 48),
        ("body", "banned", "error", 58, 65),
    ]
    parts = {
        "title": asset["title"],
        "summary": asset["summary"],
        "body": asset["body"],
        "subject": asset["fields"]["subject"],
    }
    assert [parts[f["field"]][f["start"] : f["end"]] for f in findings] == [
        "Field App",
        "Guaranteed",
        "Act now",
        "Field App",
        "field app",
        "guaranteed",
        "Act\nnow",
    ]
    assert findings[5]["message"] == ('Remove "guaranteed": it is a banned phrase. Legal says no.')
    assert findings[4]["replacement"] == "FieldPro"


def test_approval_is_refused_while_an_error_remains(marketer: Actor, rep: Actor) -> None:
    marketer.put("/v1/messaging/rules", json={"rules": RULES})
    asset = create(
        marketer,
        kind="case_study",
        title="Acme rollout",
        body="Acme's crews are guaranteed to finish early with Field App.",
    )
    findings = submit(marketer, asset["id"])["findings"]
    assert brief(findings) == [
        ("body", "banned", "error", 17, 27),
        ("body", "deprecated", "warning", 49, 58),
        ("body", "required", "error", 59, 59),
    ]
    assert findings[2]["message"] == (
        'Add "Results vary by customer": it is required in every case study.'
    )

    refused = marketer.post(f"/v1/assets/{asset['id']}/approve")
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "/problems/invalid"
    assert problem["detail"].startswith("2 messaging rule error(s) must be fixed before approval")
    assert [(f["type"], f["phrase"], f["field"]) for f in problem["findings"]] == [
        ("banned", "guarantee*", "body"),
        ("required", "Results vary by customer", "body"),
    ]
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["status"] == "in_review"
    assert rep.get(f"/v1/assets/{asset['id']}").status_code == 404

    # Fixing the text sends it back to draft; resubmitted, only the warning is left.
    fixed = marketer.patch(
        f"/v1/assets/{asset['id']}",
        json={"body": "Acme's crews finish early with Field App.\n\nResults vary by customer."},
    )
    assert fixed.json()["status"] == "draft"
    assert brief(submit(marketer, asset["id"])["findings"]) == [
        ("body", "deprecated", "warning", 31, 40)
    ]
    approved = marketer.post(f"/v1/assets/{asset['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert rep.get(f"/v1/assets/{asset['id']}").status_code == 200


def test_approval_judges_the_rules_in_force_at_approval(marketer: Actor) -> None:
    asset = create(marketer, kind="one_pager", title="Why us", body="We are the #1 choice.")
    assert submit(marketer, asset["id"])["findings"] == []
    marketer.put(
        "/v1/messaging/rules",
        json={"rules": [{"type": "banned", "phrase": "#1 choice", "severity": "error"}]},
    )
    refused = marketer.post(f"/v1/assets/{asset['id']}/approve")
    assert refused.status_code == 422
    assert [(f["start"], f["end"]) for f in refused.json()["findings"]] == [(11, 20)]

    # Turned into a warning, the phrase no longer blocks approval.
    marketer.put(
        "/v1/messaging/rules",
        json={"rules": [{"type": "banned", "phrase": "#1 choice", "severity": "warning"}]},
    )
    assert transition(marketer, asset["id"], "approve")["status"] == "approved"


def test_rules_limited_to_other_kinds_do_not_apply(marketer: Actor) -> None:
    marketer.put("/v1/messaging/rules", json={"rules": RULES})
    asset = create(marketer, kind="ebook", title="Act now", body="Buyer's guide.")
    assert submit(marketer, asset["id"])["findings"] == []
    assert transition(marketer, asset["id"], "approve")["status"] == "approved"


def test_replace_rules_is_callable_without_http(app: FastAPI, marketer: Actor) -> None:
    """The demo loader sets the rules through the service with the request's rule objects."""
    with Session(app.state.engine) as session:
        service.replace_rules(
            session,
            [
                RuleIn(type="banned", phrase="cheap", severity="error"),
                RuleIn(
                    type="deprecated",
                    phrase="Field App",
                    replacement="FieldPro",
                    severity="warning",
                ),
            ],
        )
        session.commit()
    rules = marketer.get("/v1/messaging/rules").json()["rules"]
    assert [(r["type"], r["phrase"]) for r in rules] == [
        ("banned", "cheap"),
        ("deprecated", "Field App"),
    ]
    findings = marketer.post("/v1/messaging/check", json={"text": "Cheap Field App"}).json()
    assert [f["phrase"] for f in findings["findings"]] == ["cheap", "Field App"]
