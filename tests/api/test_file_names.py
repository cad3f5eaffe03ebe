"""What a client names a file, and how a title reads, cannot mislead the people who see it."""

from __future__ import annotations

from typing import Any

from tests.api.test_conventions import assert_problem
from tests.conftest import Actor

TEXT = b"Renewal talking points for hospital networks facing overtime fatigue."


def _upload(marketer: Actor, name: str, data: bytes = TEXT) -> dict[str, Any]:
    response = marketer.post("/v1/assets/upload", files={"file": (name, data, "text/plain")})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_very_long_file_name_is_shortened_keeping_its_extension(marketer: Actor) -> None:
    for length in (300, 1000, 3000):
        asset = _upload(marketer, "q" * length + ".txt", TEXT + str(length).encode())
        name = asset["file"]["filename"]
        assert name.endswith(".txt") and len(name) == 255


def test_a_file_name_too_long_for_the_multipart_headers_is_refused_saying_so(
    marketer: Actor,
) -> None:
    response = marketer.post(
        "/v1/assets/upload", files={"file": ("q" * 5000 + ".txt", TEXT, "text/plain")}
    )
    problem = assert_problem(response, 422)
    assert "file name" in problem["detail"]  # type: ignore[operator]
    assert "255 characters" in problem["detail"]  # type: ignore[operator]


def test_right_to_left_overrides_are_removed_from_file_names_and_titles(
    marketer: Actor,
) -> None:
    # "invoice\u202efdp.exe" displays as "invoiceexe.pdf".
    asset = _upload(marketer, "invoice\u202efdp.exe.txt")
    assert asset["file"]["filename"] == "invoicefdp.exe.txt"
    assert "\u202e" not in asset["title"]

    created = marketer.post(
        "/v1/assets",
        json={
            "title": "Pricing \u202e2202 \u2066isolated\u2069",
            "kind": "one_pager",
            "tags": ["\u200fpricing"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "Pricing 2202 isolated"
    assert created.json()["tags"] == ["pricing"]


def test_text_that_is_utf8_with_a_broken_byte_is_not_read_as_a_legacy_code_page(
    marketer: Actor,
) -> None:
    text = "Café-style onboarding for Zürich clinics: naïve résumé screening, déjà vu."
    data = text.encode() + b"\xff broken tail"
    asset = _upload(marketer, "clinics.txt", data)
    body = marketer.get(f"/v1/assets/{asset['id']}").json()["body"]
    assert "Café-style onboarding for Zürich clinics" in body
    assert "déjà vu" in body
