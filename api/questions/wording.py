"""Telling when two customer questions are the same question.

"How long does rollout take?" and "how long does the roll-out take" are one question:
case, punctuation, filler words and plural endings do not change what is asked.
"""

from __future__ import annotations

import re
import unicodedata

from search.text import WORD as _WORD

# Words that carry grammar, not meaning, in a short question. Negations, question
# words ("how", "what", "when", "why") and modal verbs stay: they change the question.
FILLER = frozenset(
    """a an the is are was were be been being am do does did doing done to of for in on at
    by with from into onto about as it its it's this that these those there here your you
    our we us i me my mine please just really actually kindly any some so very""".split()
)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case words of `text`; hyphenated and apostrophe forms joined (roll-out = rollout)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"(?<=\w)[-'’](?=\w)", "", folded)
    return _WORD.findall(folded)


def question_key(text: str) -> str:
    """The normalised wording used to deduplicate questions."""
    all_words = words(text)
    meaningful = [_stem(w) for w in all_words if w not in FILLER]
    return " ".join(meaningful or all_words)
