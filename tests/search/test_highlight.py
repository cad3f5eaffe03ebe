"""Marking matched words: found by substring search in the lower-cased text, or by the
regular expression where that cannot be used; both mark the same words."""

from __future__ import annotations

from search.highlight import Highlighter

TEXT = (
    "Scheduling nurses: the SCHEDULER schedules shifts. Rescheduling is not a match; "
    "single sign-on (SSO) setup_schedules too. Ship relationships."
)


def _marked(html: str) -> list[str]:
    return [part.split("</mark>")[0] for part in html.split("<mark>")[1:]]


def test_words_are_marked_by_stem_prefix_and_phrase_whatever_their_case() -> None:
    marks = Highlighter(["schedule", "ship"], prefixes=["shif"], phrases=[["single", "sign"]])
    assert marks._literals is not None  # the substring search
    assert _marked(marks.mark(TEXT)) == [
        "Scheduling",
        "SCHEDULER",
        "schedules",
        "shifts",
        "single",
        "sign",
        "schedules",  # after an underscore, as a word character would not allow
        "Ship",
    ]


def test_the_regular_expression_marks_the_same_words() -> None:
    """A literal under 3 letters (here the prefix "zq") sends the search to the regular
    expression: same marks, same snippet."""
    found = Highlighter(["schedule", "ship"], prefixes=["shif"], phrases=[["single", "sign"]])
    fallback = Highlighter(
        ["schedule", "ship"], prefixes=["shif", "zq"], phrases=[["single", "sign"]]
    )
    assert found._literals is not None and fallback._literals is None
    assert fallback.mark(TEXT) == found.mark(TEXT)
    assert fallback.snippet(TEXT, 300) == found.snippet(TEXT, 300)


def test_a_text_whose_lower_case_is_longer_is_still_marked() -> None:
    """ "İ" lower-cases to two characters: places in the lower-cased text would not be
    places in the text, so it is searched with the regular expression."""
    marks = Highlighter(["schedule"])
    html = marks.mark("İstanbul team: the SCHEDULER schedules shifts")
    assert _marked(html) == ["SCHEDULER", "schedules"]
    assert html.startswith("İstanbul team")


def test_a_snippet_starts_near_the_first_matched_word() -> None:
    body = "Intro words. " * 40 + "The rollout plan for the warehouse. " + "Tail. " * 40
    snippet = Highlighter(["rollout"]).snippet(body, 300)
    assert snippet.startswith("…") and "<mark>rollout</mark>" in snippet
    assert Highlighter(["absent"]).snippet(body, 300).startswith("Intro words.")
