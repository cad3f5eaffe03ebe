"""What suggestions keep between requests of one running app (one per catalogue)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from api.db import session_scope
from api.events.service import proven_assets
from api.questions.models import Question
from api.suggestions.question_matching import QuestionIndex
from api.suggestions.vocabulary import WordShares, count_live, sample_word_shares

log = logging.getLogger("baton.suggestions")

PROVEN_SECONDS = 60.0
PROVEN_COUNT = 20
SHARES_SECONDS = 600.0
# Larger catalogues are sampled in the background (the first requests go without).
SAMPLE_IN_REQUEST_AT_MOST = 200


class SuggestionMemory:
    """The known questions, indexed for matching (rebuilt as soon as one is added); the
    ids of the assets with the best track record (recounted at most once a minute: they
    only widen the candidates; every candidate's own record is read fresh); and how
    common words are in the live catalogue (sampled again every ten minutes)."""

    def __init__(
        self,
        *,
        proven_seconds: float = PROVEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._proven_seconds = proven_seconds
        self._questions: tuple[tuple[int, str | None], QuestionIndex] | None = None
        self._proven: tuple[float, list[str]] | None = None
        self._shares: tuple[float, WordShares] | None = None
        self._sampling: threading.Thread | None = None

    def questions(self, session: Session) -> QuestionIndex:
        """The index of every known question as the session sees them."""
        count, last = session.exec(select(func.count(), func.max(col(Question.id)))).one()
        version = (int(count), last)
        with self._lock:
            if self._questions is not None and self._questions[0] == version:
                return self._questions[1]
        rows = session.exec(select(Question.id, Question.text)).all()
        index = QuestionIndex(rows)
        with self._lock:
            self._questions = (version, index)
        return index

    def proven(self, session: Session) -> list[str]:
        """Ids of the assets with the best track record (visibility not judged)."""
        now = self._clock()
        with self._lock:
            if self._proven is not None and now - self._proven[0] < self._proven_seconds:
                return self._proven[1]
        ids = proven_assets(session, limit=PROVEN_COUNT)
        with self._lock:
            self._proven = (now, ids)
        return ids

    def word_shares(self, session: Session, *, now: datetime) -> WordShares | None:
        """How common words are in the live catalogue; None until a large catalogue's
        first sample is ready (it is taken in the background)."""
        with self._lock:
            current = self._shares
            if current is not None and self._clock() - current[0] < SHARES_SECONDS:
                return current[1]
            if self._sampling is not None:
                return current[1] if current else None
        documents = current[1].documents if current else count_live(session, now=now)
        if documents <= SAMPLE_IN_REQUEST_AT_MOST:
            shares = sample_word_shares(session, now=now)
            with self._lock:
                self._shares = (self._clock(), shares)
            return shares
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        with self._lock:
            if self._sampling is None:
                self._sampling = threading.Thread(
                    target=self._sample, args=(engine, now), name="baton-word-shares", daemon=True
                )
                self._sampling.start()
        return current[1] if current else None

    def _sample(self, engine: Engine, now: datetime) -> None:
        try:
            with session_scope(engine) as session:
                shares = sample_word_shares(session, now=now)
            with self._lock:
                self._shares = (self._clock(), shares)
        except Exception:
            log.exception("sampling the catalogue's words failed; suggestions go without")
        finally:
            with self._lock:
                self._sampling = None
