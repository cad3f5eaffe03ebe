"""A query asked as a question also finds the assets whose linked customer questions ask
the same thing ("how long does it take to roll out" and "How long does rollout take?").

Two questions are near-duplicates when the information they share outweighs what only
one of them says: the query's informative groups (weighted as in the partial-match
fallback) that a linked question matches, over all of the query's groups plus the linked
question's own words the query lacks (weighted by their IDF). Stop words do not count.
Word forms, synonyms, typo corrections and joined words match as the groups do.

Cost: the linked questions of at most SCAN of the most recently indexed documents whose
questions share a word with the query are read, then each near-duplicate wording (at
most WORDINGS) is looked up as a phrase in the questions column: every asset linking it,
however many, is found.
"""

from __future__ import annotations

from search.fts5.candidates import rarest, visible, word_weight
from search.fts5.plan import Group, Plan, where
from search.fts5.state import Cursor
from search.highlight import stem
from search.text import STOP_WORDS, phrase, words

NEAR_DUPLICATE = 0.6
SCAN = 200
WORDINGS = 5
QUESTIONS = "{questions}"
LINKED = (
    "SELECT rowid, questions FROM fts_docs WHERE rowid IN (SELECT rowid FROM fts_assets"
    " WHERE fts_assets MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY rowid DESC"
)


def near_duplicates(cursor: Cursor, plan: Plan) -> dict[int, float]:
    """Visible rowids whose linked questions are near-duplicates of the query, with the
    similarity (NEAR_DUPLICATE to 1)."""
    content = [g for g in plan.required if not g.stop]
    if not content:
        return {}
    expression = where(" OR ".join(g.expression() for g in content), None, QUESTIONS)
    assert expression is not None
    rows = cursor.memo.get(
        ("linked", expression),
        cursor.generation,
        lambda: cursor.conn.execute(LINKED, (expression, SCAN)).fetchall(),
    )
    # Weighed from the vocabulary's counts (no list is fetched for a question).
    documents = max(cursor.mirror.count, 1)
    weights = {
        id(g): word_weight(rarest(g), min(g.frequency, documents), documents) for g in content
    }
    total = sum(weights.values())
    scored: dict[str, float] = {}
    for _, text in rows:
        for wording in (text or "").split("\n"):
            if wording.strip() and wording not in scored:
                scored[wording] = _similarity(cursor, content, weights, total, wording)
    near = sorted(
        ((s, w) for w, s in scored.items() if s >= NEAR_DUPLICATE), key=lambda pair: -pair[0]
    )
    found: dict[int, float] = {}
    for similarity, wording in near[:WORDINGS]:
        question = where(phrase(words(wording)), plan.filters, QUESTIONS)
        for rowid in visible(cursor, question, plan.scope).tolist():
            found.setdefault(int(rowid), similarity)
    return found


def _stems(group: Group) -> tuple[set[str], list[tuple[str, ...]]]:
    """The stems a group matches one word at a time, and its phrases (as stems)."""
    single = {stem(t) for t in group.terms}
    phrases = [tuple(stem(w) for w in p) for p in group.phrases]
    return single, phrases


def _similarity(
    cursor: Cursor, content: list[Group], weights: dict[int, float], total: float, text: str
) -> float:
    """How much of the query and of one linked question the two share (0 to 1)."""
    meaningful = [w for w in words(text) if w not in STOP_WORDS]
    if not meaningful:
        return 0.0
    stems = {stem(w): w for w in meaningful}
    shared = 0.0
    used: set[str] = set()
    for group in content:
        single, phrases = _stems(group)
        hit = single & stems.keys()
        for p in phrases:
            if set(p) <= stems.keys():
                hit |= set(p)
        if hit:
            shared += weights[id(group)]
            used |= hit
    if not shared:
        return 0.0
    documents = max(cursor.mirror.count, 1)
    extra = sum(
        word_weight(word, cursor.vocabulary.docs(word), documents)
        for word_stem, word in stems.items()
        if word_stem not in used
    )
    return shared / (total + extra)
