"""The ranking test set: realistic deals over the Fieldline library, each with the pieces
a seasoned rep expects on top. Every expected piece must be in the top three; the top-1
and top-3 hit rates are printed (run with `-s` to see them)."""

from __future__ import annotations

from tests.conftest import Actor
from tests.suggestions.conftest import HIDDEN_KEYS, Library, suggest, suggested_ids
from tests.suggestions.corpus import LIVE
from tests.suggestions.deals import DEALS


def test_the_set_is_realistic() -> None:
    assert len(DEALS) >= 15
    assert len(LIVE) >= 36
    kinds = {d["request"].keys() >= {"text"} for d in DEALS}
    assert kinds == {True, False}  # deals with and without text
    assert any("wrote:" in d["request"].get("text", "") for d in DEALS)  # quoted replies
    assert any(set(d["request"]) == {"questions"} for d in DEALS)  # questions only
    assert any(not {"text", "questions"} & set(d["request"]) for d in DEALS)  # facets only


def test_seasoned_reps_picks_are_in_the_top_three(rep: Actor, library: Library) -> None:
    hidden = {library[key]["id"] for key in HIDDEN_KEYS}
    names = {asset["id"]: key for key, asset in library.items()}
    top1 = top3 = 0
    misses = []
    for deal in DEALS:
        result = suggest(rep, **deal["request"], limit=5)
        ids = suggested_ids(result)
        assert not hidden & set(ids), deal["name"]
        expected = [library[key]["id"] for key in deal["expected"]]
        top1 += ids[:1] == expected[:1] or bool(ids[:1] and ids[0] in expected)
        found = all(e in ids[:3] for e in expected)
        top3 += found
        if not found:
            misses.append((deal["name"], deal["expected"], [names[i] for i in ids]))
    print(
        f"\nranking set: {len(DEALS)} deals, top-1 hit rate {top1 / len(DEALS):.0%} "
        f"({top1}/{len(DEALS)}), top-3 hit rate {top3 / len(DEALS):.0%} ({top3}/{len(DEALS)})"
    )
    assert misses == []
