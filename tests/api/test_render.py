"""POST /v1/assets/{id}/render: email templates filled with a rep's values, and only that."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalogue import create, publish, transition
from tests.conftest import Actor

SUBJECT = "Next steps for {{ company }}"
BODY = (
    "Hi {{first_name}},\n\n"
    "Thanks for showing us how {{ company }} runs its {{\tseats }} crews.\n"
    "Best,\n{{ rep_name }}"
)
VALUES = {"first_name": "Ana", "company": "Harbor Construction", "seats": 40, "rep_name": "Ben"}


def template(
    marketer: Actor, body: str = BODY, subject: str | None = SUBJECT, **extra: Any
) -> dict[str, Any]:
    fields = {"subject": subject} if subject is not None else {}
    return publish(
        marketer, title="Demo follow-up", kind="email_template", body=body, fields=fields, **extra
    )


def render(actor: Actor, asset_id: str, variables: Any) -> Any:
    return actor.post(f"/v1/assets/{asset_id}/render", json={"variables": variables})


def test_fills_subject_and_body(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer)
    response = render(rep, asset["id"], {**VALUES, "unused": "ignored"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": "Next steps for Harbor Construction",
        "body": (
            "Hi Ana,\n\nThanks for showing us how Harbor Construction runs its 40 crews.\n"
            "Best,\nBen"
        ),
    }


def test_numbers_read_as_numbers(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer, body="{{ a }} / {{ b }} / {{ c }} / {{ d }}", subject=None)
    response = render(rep, asset["id"], {"a": 40, "b": 40.0, "c": 12.5, "d": -3})
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "", "body": "40 / 40 / 12.5 / -3"}


def test_empty_text_is_a_value(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer, body="Hi {{ first_name }}{{ suffix }}!", subject=None)
    response = render(rep, asset["id"], {"first_name": "Ana", "suffix": ""})
    assert response.json()["body"] == "Hi Ana!"


def test_missing_variables_are_named(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer)
    response = render(rep, asset["id"], {"seats": 40, "first_name": None})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    # Each once, in the order they first appear: subject, then body. Null counts as missing.
    assert problem["missing"] == ["company", "first_name", "rep_name"]
    assert problem["type"] == "/problems/invalid"
    assert "company" in problem["detail"]
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "variables", name] for name in problem["missing"]
    ]


def test_no_body_means_no_variables(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer)
    response = rep.post(f"/v1/assets/{asset['id']}/render", json={})
    assert response.status_code == 422
    assert response.json()["missing"] == ["company", "first_name", "seats", "rep_name"]

    plain = template(marketer, body="No placeholders here.", subject="Hello")
    response = rep.post(f"/v1/assets/{plain['id']}/render", json={})
    assert response.json() == {"subject": "Hello", "body": "No placeholders here."}


INJECTIONS = (
    "{% for x in range(3) %}loop{% endfor %}|"
    "{{ a.b }}|{{ name.__class__ }}|{{ x | upper }}|{{ 7*7 }}|{{ a['b'] }}|"
    "{{ ''.__class__.__mro__[1].__subclasses__() }}|{{ lipsum.__globals__ }}|"
    "{# comment #}|{{ first name }}|{{ }}|{{ name() }}|${name}|{name}|%(name)s"
)


def test_anything_but_a_plain_name_is_text(marketer: Actor, rep: Actor) -> None:
    body = INJECTIONS
    asset = template(marketer, body=body, subject="{{ a.b }} {% if 1 %}yes{% endif %}")
    response = render(rep, asset["id"], {"name": "Ana", "a": "A", "x": "X"})
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "{{ a.b }} {% if 1 %}yes{% endif %}", "body": body}


def test_dunder_names_are_only_variable_names(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer, body="{{ __class__ }}-{{ __init__ }}-{{__globals__}}", subject=None)
    missing = render(rep, asset["id"], {})
    assert missing.status_code == 422
    assert missing.json()["missing"] == ["__class__", "__init__", "__globals__"]

    filled = render(rep, asset["id"], {"__class__": "c", "__init__": "i", "__globals__": "g"})
    assert filled.json()["body"] == "c-i-g"


def test_values_are_inserted_once_and_never_expanded(marketer: Actor, rep: Actor) -> None:
    asset = template(
        marketer, body="Hi {{ first_name }}, from {{ company }}.", subject="{{ company }}"
    )
    hostile = {
        "first_name": "{{ company }}",
        "company": r"{% for x in y %}\1\g<0>{{ __class__ }}$&",
    }
    response = render(rep, asset["id"], hostile)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": r"{% for x in y %}\1\g<0>{{ __class__ }}$&",
        "body": r"Hi {{ company }}, from {% for x in y %}\1\g<0>{{ __class__ }}$&.",
    }


def test_whitespace_inside_braces(marketer: Actor, rep: Actor) -> None:
    body = "[{{name}}][{{ name }}][{{   name\t}}][{{\nname }}][{ { name } }][{{ na me }}]"
    asset = template(marketer, body=body, subject=None)
    response = render(rep, asset["id"], {"name": "X"})
    # Spaces and tabs are forgiven; a line break or a split brace is not a placeholder.
    assert response.json()["body"] == "[X][X][X][{{\nname }}][{ { name } }][{{ na me }}]"


def test_names_are_case_sensitive(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer, body="{{ Name }} {{ name }}", subject=None)
    response = render(rep, asset["id"], {"name": "low"})
    assert response.json()["missing"] == ["Name"]


@pytest.mark.parametrize(
    "variables",
    [
        {"first_name": {"nested": "object"}},
        {"first_name": ["a", "list"]},
        {"first_name": True},
        {"first_name": "x" * 10_001},
        {"": "empty name"},
        {f"v{i}": "x" for i in range(201)},
        "not an object",
    ],
)
def test_bad_variables_are_422(marketer: Actor, rep: Actor, variables: Any) -> None:
    asset = template(marketer)
    response = render(rep, asset["id"], variables)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


def test_unknown_fields_are_422(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer)
    response = rep.post(
        f"/v1/assets/{asset['id']}/render", json={"variables": VALUES, "strict": True}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == "unknown field"


def test_a_render_cannot_blow_up(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer, body="{{ v }}" * 101, subject=None)
    response = render(rep, asset["id"], {"v": "x" * 10_000})  # 1,010,000 characters
    assert response.status_code == 422
    assert "at most" in response.json()["detail"]
    assert render(rep, asset["id"], {"v": "x" * 9_000}).status_code == 200


@pytest.mark.parametrize("kind", ["case_study", "one_pager", "talking_point", "battlecard"])
def test_other_kinds_do_not_render(marketer: Actor, rep: Actor, kind: str) -> None:
    asset = publish(marketer, title="Not a template", kind=kind, body="Hi {{ first_name }}")
    response = render(rep, asset["id"], {"first_name": "Ana"})
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["kind"] == kind


def test_visibility(marketer: Actor, rep: Actor) -> None:
    draft = create(marketer, title="Draft template", kind="email_template", body="Hi {{ n }}")
    archived = template(marketer)
    transition(marketer, archived["id"], "archive")
    for asset in (draft, archived):
        response = render(rep, asset["id"], {"n": "Ana", **VALUES})
        assert response.status_code == 404, response.text
        # Marketers preview what they are still writing.
        assert render(marketer, asset["id"], {"n": "Ana", **VALUES}).status_code == 200
    assert render(rep, "no-such-asset", {}).status_code == 404


def test_rendering_does_not_change_the_template(marketer: Actor, rep: Actor) -> None:
    asset = template(marketer)
    render(rep, asset["id"], VALUES)
    again = rep.get(f"/v1/assets/{asset['id']}").json()
    assert (again["body"], again["fields"]["subject"], again["version"]) == (BODY, SUBJECT, 1)
