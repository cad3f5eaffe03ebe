"""Words only hidden pieces use never reach a rep, not even as a typo correction."""

from __future__ import annotations

import pytest

from tests.catalogue import create, publish, transition
from tests.conftest import Actor
from tests.search.conftest import ids, search


@pytest.fixture
def embedded(search_backend: str) -> None:
    """Only the embedded index offers corrections (Meilisearch's `corrected_query` is null)."""
    if search_backend != "sqlite":
        pytest.skip("only the embedded index offers corrections")


def test_a_correction_to_a_word_only_a_draft_holds_is_not_offered_to_reps(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    publish(marketer, title="Heat pump servicing", body="Fieldline.")
    draft = create(marketer, title="Geothermal drilling", body="Borehole permits.")

    seen_by_rep = search(rep, "geothermel")
    assert seen_by_rep["corrected_query"] is None
    assert ids(seen_by_rep) == []
    assert search(marketer, "geothermel")["corrected_query"] == "geothermal"

    transition(marketer, draft["id"], "submit")
    transition(marketer, draft["id"], "approve")
    live = search(rep, "geothermel")
    assert live["corrected_query"] == "geothermal"
    assert ids(live) == [draft["id"]]


def test_only_the_visible_corrections_of_a_query_are_offered(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    publish(marketer, title="Crane inspection checklist", body="Rigging.")
    create(marketer, title="Geothermal drilling", body="Borehole permits.")
    result = search(rep, "crane inspektion geothermel")
    assert result["corrected_query"] == "crane inspection geothermel"
