"""How common each word is in the live catalogue, estimated from a sample of it.

General English says "overtime" is a topic word; only the catalogue can say that every
piece of a field-service vendor mentions "technicians" and its own brand name. A word in
a quarter of the live pieces or more cannot tell them apart (BM25 gives it almost no
weight), and searching for it costs a pass over a quarter of the index, so suggestions
leave such words out of the text search and out of their reasons. The shares come from
a random sample of live pieces (their title, summary and the start of their body), or
from all of them in a small catalogue.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from api.assets.models import Asset
from api.assets.visibility import live_clause
from search.base import COMMON_SHARE
from search.highlight import stem
from search.text import words

SAMPLE_SIZE = 1000
SAMPLE_BODY_CHARS = 3000
# Below this many live pieces a share says little ("1 of 3"): nothing is left out.
MIN_DOCUMENTS = 20


@dataclass(frozen=True)
class WordShares:
    """The share of live pieces that contain each stem (0 for stems never seen)."""

    documents: int  # live pieces in the catalogue when sampled
    sampled: int
    counts: Counter[str]

    def share(self, word_stem: str) -> float:
        if not self.sampled:
            return 0.0
        return self.counts[word_stem] / self.sampled

    def telling(self, word_stem: str) -> bool:
        """Whether the word is rare enough in the catalogue to tell pieces apart."""
        # The same share at which the search treats a word as common (selects, never ranks).
        return self.documents < MIN_DOCUMENTS or self.share(word_stem) < COMMON_SHARE


def count_live(session: Session, *, now: datetime) -> int:
    return int(session.exec(select(func.count()).select_from(Asset).where(live_clause(now))).one())


def sample_word_shares(
    session: Session, *, now: datetime, size: int = SAMPLE_SIZE, seed: int | None = None
) -> WordShares:
    """Word shares from `size` random live pieces (all of them when there are fewer)."""
    ids = list(session.exec(select(Asset.id).where(live_clause(now))).all())
    # A sample for statistics, not a secret.
    chosen = ids if len(ids) <= size else random.Random(seed).sample(ids, size)  # noqa: S311
    counts: Counter[str] = Counter()
    for start in range(0, len(chosen), 500):
        rows = session.exec(
            select(Asset.title, Asset.summary, func.substr(Asset.body, 1, SAMPLE_BODY_CHARS)).where(
                col(Asset.id).in_(chosen[start : start + 500])
            )
        ).all()
        for title, summary, body in rows:
            counts.update({stem(w) for w in words(f"{title} {summary} {body}")})
    return WordShares(documents=len(ids), sampled=len(chosen), counts=counts)
