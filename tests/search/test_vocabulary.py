"""The in-memory vocabulary: completions and corrections as documents arrive."""

from __future__ import annotations

from search.vocabulary import Vocabulary


def test_words_added_later_complete_and_correct_like_words_loaded_at_start() -> None:
    vocabulary = Vocabulary({"onboarding": 3, "onboard": 1, "overtime": 2})
    vocabulary.add(["onboarded", "onboarding", "overtime"])
    vocabulary.add(["onboarded", "onboarder"])

    # Most common first; the prefix itself is not a completion of itself.
    assert vocabulary.completions("onboard") == ["onboarding", "onboarded", "onboarder"]
    assert vocabulary.docs("onboarding") == 4
    assert "overtim" not in vocabulary
    assert vocabulary.corrections("overtmie")[0] == "overtime"


def test_a_document_with_a_huge_vocabulary_is_absorbed_whole() -> None:
    vocabulary = Vocabulary({"renewal": 5})
    flood = [f"zz{i:06d}" for i in range(200_000, 0, -1)]  # arriving in reverse order
    vocabulary.add(flood)

    assert len(vocabulary) == 200_001
    assert vocabulary.completions("zz00000") == [f"zz00000{d}" for d in range(1, 10)]
    assert vocabulary.completions("renew") == ["renewal"]


def test_a_remembered_correction_gives_way_to_a_nearer_word_added_since() -> None:
    """Corrections are remembered between additions, never past one: a word a new
    document brings is a correction at once, and the order follows the counts."""
    vocabulary = Vocabulary({"schedule": 4})
    assert vocabulary.corrections("schedulle") == ["schedule"]
    assert vocabulary.corrections("schedulle") == ["schedule"]  # remembered

    vocabulary.add(["schedulled"])  # one edit away, as "schedule" is
    assert vocabulary.corrections("schedulle") == ["schedule", "schedulled"]
    for _ in range(4):  # four more documents: now the more common of the two
        vocabulary.add(["schedulled"])
    assert vocabulary.corrections("schedulle") == ["schedulled", "schedule"]
