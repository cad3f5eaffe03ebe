"""Text rules shared by every backend: words, typo distance, FTS5 quoting, highlight markup.

A *word* is a run of letters and digits (Unicode-aware), folded to lower case with
diacritics removed; everything else separates words. This is what SQLite's `unicode61`
tokenizer (remove_diacritics 2) does, so that what Python sees as a word is what FTS5
indexed. User text is only ever handed to FTS5 as quoted string tokens built here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

# A word: a run of letters and digits (Unicode-aware); everything else separates words.
WORD = re.compile(r"[^\W_]+")
# Markers FTS5 and Meilisearch put around matched words; removed from indexed text so
# that no document can forge one.
MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"
MARK_TAG = "<mark>"
MARK_END_TAG = "</mark>"
_PIECES = re.compile(r"<mark>|</mark>|&[a-zA-Z0-9#]+;|[^<&]+|[<&]")
_MARKERS = str.maketrans({MARK_OPEN: " ", MARK_CLOSE: " "})


def fold(text: str) -> str:
    """Lower case without diacritics: `Résumé` -> `resume`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The words of `text`, folded, in order (repeats kept)."""
    return WORD.findall(fold(text))


def strip_markers(text: str) -> str:
    """Text safe to index: the highlight markers cannot appear in it."""
    return text.translate(_MARKERS)


def quote(word: str) -> str:
    """One FTS5 string token: whatever the word holds, FTS5 reads it as a plain word."""
    return '"' + word.replace('"', '""') + '"'


def phrase(parts: Sequence[str]) -> str:
    """An FTS5 phrase of several words (adjacent, in order)."""
    return quote(" ".join(parts))


def typo_budget(word: str) -> int:
    """Edits a query word may be away from an indexed word: 1 from 5 letters, 2 from 9."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


def typo_candidates(
    word: str, vocabulary: Iterable[str], *, budget: int, limit: int = 8
) -> list[tuple[str, int]]:
    """Words of `vocabulary` at most `budget` edits from `word` (an edit inserts, deletes or
    replaces a letter, or swaps two adjacent ones), nearest first, with their distance."""
    if budget <= 0:
        return []
    found = extract(
        word,
        vocabulary,
        scorer=OSA.distance,  # type: ignore[arg-type]
        score_cutoff=budget,
        limit=None,
    )
    pairs = [(str(choice), int(distance)) for choice, distance, _ in found if choice != word]
    pairs.sort(key=lambda pair: pair[1])
    return pairs[:limit]


def marked_html(text: str) -> str:
    """Escape text for HTML, then turn the highlight markers into `<mark>` tags."""
    return (
        html.escape(text, quote=False)
        .replace(MARK_OPEN, MARK_TAG)
        .replace(MARK_CLOSE, MARK_END_TAG)
    )


def clip_marked(text: str, limit: int) -> str:
    """Marked HTML of at most `limit` characters, markup included, ending with an
    ellipsis when cut; never cuts inside a tag or an entity, and closes an open mark."""
    if len(text) <= limit:
        return text
    ellipsis = "…"
    out: list[str] = []
    size = 0
    open_mark = False
    for piece in _PIECES.findall(text):
        reserve = len(ellipsis) + (len(MARK_END_TAG) if open_mark or piece == MARK_TAG else 0)
        room = limit - size - reserve
        if len(piece) > room:
            if piece[0] not in "<&" and room > 0:
                cut = piece[:room]
                out.append(cut[: cut.rfind(" ")] if " " in cut else cut)
            break
        out.append(piece)
        size += len(piece)
        if piece == MARK_TAG:
            open_mark = True
        elif piece == MARK_END_TAG:
            open_mark = False
    if open_mark:
        out.append(MARK_END_TAG)
    clipped = "".join(out).replace(MARK_TAG + MARK_END_TAG, "")
    return clipped.rstrip() + ellipsis


# --- what a query's words say beyond themselves --------------------------------------------

# English words that carry grammar, not meaning (a short list in the spirit of the usual
# IR stop lists). They still match, and a query made only of them still finds titles that
# hold them, but in a partial match they count for little.
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during
    each either few for from further get gets got had has have having he her here hers him
    his how i if in into is it its itself just let me more most my no nor not of off on once
    only or other our ours out over own per please same she should so some such than that
    the their theirs them then there these they this those through to too under until up
    us very was we were what when where which while who whom whose why will with would you
    your yours""".split()
)
# A query starting with one of these (or holding a "?") is asked as a question.
QUESTION_STARTS = frozenset(
    """how what which who whom whose when where why can could do does did is are was were
    will would should shall may might has have any""".split()
)
# Words naming a kind of collateral, as reps type them, by kind. Compared by Porter stem,
# so plurals match ("case studies", "decks").
KIND_PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "case_study": (("case", "study"), ("customer", "story"), ("success", "story")),
    "testimonial": (("testimonial",),),
    "email_template": (("email", "template"), ("email",), ("e", "mail"), ("template",)),
    "ebook": (("ebook",), ("e", "book")),
    "white_paper": (("white", "paper"), ("whitepaper",)),
    "talking_point": (("talking", "point"),),
    "one_pager": (("one", "pager"), ("onepager",), ("1", "pager")),
    "battlecard": (("battlecard",), ("battle", "card")),
    "presentation": (("presentation",), ("deck",), ("slide", "deck"), ("slides",)),
}


def is_question(text: str) -> bool:
    """Whether a query is asked as a question: a "?", or a question word first and at
    least three words."""
    found = words(text)
    return "?" in text or (len(found) >= 3 and found[0] in QUESTION_STARTS)


def kind_spans(
    query_words: Sequence[str], stem: Callable[[str], str]
) -> list[tuple[int, int, str]]:
    """Where the query names a kind of collateral: (start, number of words, kind), longest
    phrase first at each position, words compared by `stem` (a Porter stemmer)."""
    phrases = sorted(
        (
            (tuple(stem(w) for w in phrase), kind)
            for kind, options in KIND_PHRASES.items()
            for phrase in options
        ),
        key=lambda pair: -len(pair[0]),
    )
    stems = [stem(w) for w in query_words]
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(stems):
        for phrase, kind in phrases:
            if tuple(stems[i : i + len(phrase)]) == phrase:
                spans.append((i, len(phrase), kind))
                i += len(phrase)
                break
        else:
            i += 1
    return spans
