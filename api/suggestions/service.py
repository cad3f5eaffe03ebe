"""Suggestions: the few live assets that fit an open deal, each with its reasons.

A request is answered in three steps:

1. Read the deal: the salient words of its text and the customer's questions
   (`deal_text`; words common in the catalogue left out, `vocabulary`), and the known
   questions they ask (`question_matching`).
2. Gather a bounded set of candidates through the search backend (so it works the same on
   every backend): live assets matching *any* salient word, BM25-ranked; the newest live
   assets of the deal's facets; the answers to the matched questions; and the assets with
   the best track record.
3. Score every live candidate (`scoring`) and present the best.

Asking for suggestions records nothing: a matched question is not counted as asked again
(the extension is not a customer asking; it posts to `/v1/questions` when one does), and
no search is logged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.assets.kinds import Kind, field_text
from api.assets.models import Asset, AssetTerm
from api.assets.presentation import present_brief
from api.assets.visibility import hidden_ids, is_live, live_state, search_audiences
from api.collections.service import fitting
from api.errors import Invalid, Unavailable
from api.events.service import TrackRecord, sent_in_deal, track_records
from api.freshness.clock import due_at, is_overdue, review_days, verifications
from api.questions.models import Question
from api.questions.service import live_answers
from api.suggestions.deal_text import DealReading, mentioned, read_deal
from api.suggestions.memory import SuggestionMemory
from api.suggestions.question_matching import QuestionMatch
from api.suggestions.schemas import (
    AlreadySentOut,
    MatchedQuestionOut,
    SuggestionOut,
    SuggestionRequest,
    SuggestionsOut,
)
from api.suggestions.scoring import Candidate, Deal, Scored, score
from api.suggestions.vocabulary import WordShares
from api.taxonomy.facets import BY_FACET, BY_PARAM, FACETS, INDUSTRY, STAGE
from api.taxonomy.models import Facet, Term
from api.taxonomy.service import list_terms, slugify
from api.users.service import Caller
from search.base import (
    MatchMode,
    SearchBackend,
    SearchFilters,
    SearchQuery,
    SearchUnavailable,
)

# How many candidates each source gives (the scoring reads all of them).
TEXT_CANDIDATES = 30
FACET_CANDIDATES = 15
# BM25 scores at most this many of the documents matching the salient words.
TEXT_SCORED = 300
# In a catalogue of TEXT_BUDGET_FROM pieces or more, the words searched for are in at most
# this share of its pieces, summed (a search costs a pass over the pieces of its words).
TEXT_SHARE_BUDGET = 0.3
TEXT_BUDGET_FROM = 10_000
MAX_QUESTIONS_SHOWN = 10
# A question's live answers listed (newest approved first) and taken as candidates.
ANSWERS_SHOWN = 20
# The text of a shown asset searched for the deal's words ("mentions: overtime").
MENTION_SCAN_CHARS = 100_000


def _deal(session: Session, request: SuggestionRequest) -> Deal:
    """The deal's facets as slugs. An unknown stage is 422, as everywhere; an unknown
    industry, persona or product is kept and simply fits no asset (nothing is created)."""
    values = {spec.param: getattr(request, spec.param) for spec in FACETS}
    facets = {name: slugify(v) or v.strip().lower() for name, v in values.items() if v is not None}
    neighbours: frozenset[str] = frozenset()
    if request.stage is not None:
        stages = [t.slug for t in list_terms(session, STAGE.facet)]
        stage = facets[STAGE.param]
        if stage not in stages:
            raise Invalid(
                f"unknown stage '{request.stage}'; known: {', '.join(stages)}",
                loc=["body", "stage"],
            )
        at = stages.index(stage)
        neighbours = frozenset(stages[max(0, at - 1) : at] + stages[at + 1 : at + 2])
    return Deal(facets=facets, neighbour_stages=neighbours)


def _search(backend: SearchBackend, query: SearchQuery) -> dict[str, float]:
    try:
        result = backend.search(query)
    except SearchUnavailable as exc:
        raise Unavailable(f"search is unavailable: {exc}") from exc
    return {hit.id: hit.score for hit in result.hits}


def search_words(reading: DealReading, shares: WordShares | None) -> list[str]:
    """The salient words to search for, most salient first. In a large catalogue, the
    rarest of them as long as the pieces they are in add up to at most TEXT_SHARE_BUDGET
    of it: each word costs a pass over its pieces, and the rarer words tell the most."""
    if shares is None or shares.documents < TEXT_BUDGET_FROM:
        return [k.word for k in reading.keywords]
    chosen: set[str] = set()
    spent = 0.0
    for keyword in sorted(reading.keywords, key=lambda k: shares.share(k.stem)):
        share = shares.share(keyword.stem)
        if chosen and spent + share > TEXT_SHARE_BUDGET:
            break
        chosen.add(keyword.stem)
        spent += share
    return [k.word for k in reading.keywords if k.stem in chosen]


def _text_candidates(
    backend: SearchBackend,
    reading: DealReading,
    shares: WordShares | None,
    *,
    now: datetime,
    extra: int,
    audiences: tuple[str, ...] | None = None,
) -> dict[str, float]:
    """Live assets matching any salient word, with relevance relative to the best (0..1);
    with `audiences`, those for no audience or one of them (`SearchQuery.audiences`)."""
    words = search_words(reading, shares)
    if not words:
        return {}
    found = _search(
        backend,
        SearchQuery(
            text=" ".join(words),
            match=MatchMode.ANY,
            live_at=now,
            audiences=audiences,
            limit=TEXT_CANDIDATES + extra,
            candidate_limit=TEXT_SCORED,
            facets=False,
            highlights=False,
        ),
    )
    best = max(found.values(), default=0.0)
    return {asset_id: (s / best if best > 0 else 0.0) for asset_id, s in found.items()}


def _newest(
    backend: SearchBackend,
    facets: Mapping[str, str],
    *,
    kinds: tuple[Kind, ...] = (),
    now: datetime,
    limit: int,
    audiences: tuple[str, ...] | None = None,
) -> list[str]:
    """The newest live assets tagged to all these facets and of one of these kinds."""
    filters = SearchFilters(
        kinds=tuple(k.value for k in kinds),
        **{BY_PARAM[name].document: (value,) for name, value in facets.items()},
    )
    query = SearchQuery(
        filters=filters,
        live_at=now,
        audiences=audiences,
        limit=limit,
        facets=False,
        highlights=False,
    )
    return list(_search(backend, query))


def _facet_candidates(
    backend: SearchBackend,
    deal: Deal,
    *,
    now: datetime,
    extra: int,
    audiences: tuple[str, ...] | None = None,
) -> list[str]:
    """The newest live assets tagged to all the deal's facets, to its stage and to its
    industry alone (the facets that matter most), and of the kinds it asks for."""
    given = deal.facets
    if not given and not deal.kinds:
        return []
    limit = FACET_CANDIDATES + extra
    ids = _newest(backend, given, now=now, limit=limit, audiences=audiences)
    if len(given) > 1:
        for name in (STAGE.param, INDUSTRY.param):
            if name in given:
                ids += _newest(
                    backend, {name: given[name]}, now=now, limit=limit, audiences=audiences
                )
    if deal.kinds:
        ids += _newest(backend, given, kinds=deal.kinds, now=now, limit=limit, audiences=audiences)
    return ids


def _matched_questions(
    session: Session,
    matches: Sequence[QuestionMatch],
    *,
    now: datetime,
    caller: Caller | None = None,
) -> tuple[list[Question], dict[str, list[str]]]:
    """The matched questions, strongest match first, and their live answers."""
    wanted = [m.question_id for m in matches[:MAX_QUESTIONS_SHOWN]]
    if not wanted:
        return [], {}
    rows = {q.id: q for q in session.exec(select(Question).where(col(Question.id).in_(wanted)))}
    questions = [rows[i] for i in wanted if i in rows]
    return questions, live_answers(session, [q.id for q in questions], now=now, caller=caller)


# What scoring reads of each candidate. Visibility is judged on the rows rather than in
# SQL: with `status = 'approved'` in the WHERE clause SQLite walks the status index (every
# approved asset) instead of looking up these few ids by primary key. Built once.
_CANDIDATE_ROWS = sa.select(
    col(Asset.id), col(Asset.kind), col(Asset.approved_at), col(Asset.status), col(Asset.expires_at)
).where(col(Asset.id).in_(sa.bindparam("ids", expanding=True)))
_CANDIDATE_TERMS = (
    sa.select(col(AssetTerm.asset_id), col(Term.facet), col(Term.slug))
    .join(Term, col(Term.id) == col(AssetTerm.term_id))
    .where(col(AssetTerm.asset_id).in_(sa.bindparam("ids", expanding=True)))
)


def _live_candidates(
    session: Session,
    ids: Iterable[str],
    *,
    now: datetime,
    text: dict[str, float],
    answers: dict[str, list[str]],
    overdue_demotion: float = 0.0,
    caller: Caller | None = None,
) -> list[Candidate]:
    """The live ones among `ids`, with their facets and track records (and, those overdue
    for review at `now`, the demotion their score takes)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {
        row.id: row
        for row in session.execute(_CANDIDATE_ROWS, {"ids": wanted})
        if live_state(row.status, row.expires_at, now)
    }
    hidden = hidden_ids(session, caller, found) if caller is not None else set()
    live = [i for i in wanted if i in found and i not in hidden]
    terms: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if live:
        for asset_id, facet, slug in session.execute(_CANDIDATE_TERMS, {"ids": live}):
            terms[asset_id][BY_FACET[Facet(facet)].param].append(slug)
    records = track_records(session, live)
    overdue: set[str] = set()
    if live and overdue_demotion > 0.0:
        days, verified = review_days(session), verifications(session, live)
        for asset_id in live:
            row = found[asset_id]
            due = due_at(row.kind, row.status, row.approved_at, verified.get(asset_id), days)
            if is_overdue(due, now):
                overdue.add(asset_id)
    return [
        Candidate(
            id=asset_id,
            kind=Kind(found[asset_id].kind),
            approved_at=found[asset_id].approved_at,
            terms=terms[asset_id],
            text_relevance=text.get(asset_id, 0.0),
            answers=answers.get(asset_id, []),
            track=records.get(asset_id, TrackRecord()),
            overdue_demotion=overdue_demotion if asset_id in overdue else 0.0,
        )
        for asset_id in live
    ]


def _ranked(scored: Iterable[Scored]) -> list[Scored]:
    def key(s: Scored) -> tuple[float, float, str]:
        approved = s.candidate.approved_at
        return (-s.score, -(approved.timestamp() if approved else 0.0), s.candidate.id)

    return sorted(scored, key=key)


def suggest(
    session: Session,
    request: SuggestionRequest,
    *,
    now: datetime,
    backend: SearchBackend,
    memory: SuggestionMemory,
    caller: Caller | None = None,
    overdue_demotion: float = 0.0,
) -> SuggestionsOut:
    """The live assets that best fit the deal, best first, and the known questions it asks.
    With the deal's `opportunity_id`, what was sent or shared in it is left out and listed
    (`already_sent`: what `caller` may see; live assets only without a caller)."""
    # A rep's suggestions come from what the rep may see: their audiences' and everyone's.
    audiences = search_audiences(session, caller) if caller is not None else None
    shares = memory.word_shares(session, now=now)
    reading = read_deal(request.text, request.questions, telling=shares.telling if shares else None)
    deal = replace(_deal(session, request), kinds=reading.kinds)
    excluded = set(request.exclude)
    already_sent: list[AlreadySentOut] = []
    if request.opportunity_id is not None:
        sent, shown = sent_in_deal(session, caller, request.opportunity_id, now=now)
        excluded |= sent
        already_sent = [
            AlreadySentOut(asset_id=s.asset_id, title=s.title, sent_at=s.sent_at) for s in shown
        ]
    extra = len(excluded)

    matches = memory.questions(session).match(reading.sentences) if reading.sentences else []
    questions, answer_ids = _matched_questions(session, matches, now=now, caller=caller)
    answers: dict[str, list[str]] = defaultdict(list)
    for question in questions:
        for asset_id in answer_ids.get(question.id, []):
            answers[asset_id].append(question.text)
    # Every answer counts for a candidate; the newest answers of each question are taken
    # as candidates.
    answering = [a for q in questions for a in answer_ids.get(q.id, [])[:ANSWERS_SHOWN]]

    text = _text_candidates(backend, reading, shares, now=now, extra=extra, audiences=audiences)
    ids = [
        *text,
        *answering,
        *_facet_candidates(backend, deal, now=now, extra=extra, audiences=audiences),
    ]
    ids += memory.proven(session)
    if len(set(ids) - excluded) < request.limit + FACET_CANDIDATES:
        # No facets, or facets nothing is tagged to, and few words matched: the newest too.
        ids += _newest(
            backend,
            {},
            now=now,
            limit=request.limit + FACET_CANDIDATES + extra,
            audiences=audiences,
        )
    candidates = _live_candidates(
        session,
        (i for i in ids if i not in excluded),
        now=now,
        text=text,
        answers=answers,
        overdue_demotion=overdue_demotion,
        caller=caller,
    )
    deal = replace(deal, has_text=bool(text), questions_asked=len(questions))
    best = _ranked(score(deal, c, now=now) for c in candidates)[: request.limit]
    return SuggestionsOut(
        suggestions=_present(session, deal, reading, best, now=now, caller=caller),
        collections=fitting(session, deal.facets, now=now, caller=caller),
        questions=[
            MatchedQuestionOut(
                id=q.id,
                text=q.text,
                asked_count=q.asked_count,
                assets=answer_ids.get(q.id, [])[:ANSWERS_SHOWN],
            )
            for q in questions
        ],
        already_sent=already_sent,
    )


def _present(
    session: Session,
    deal: Deal,
    reading: DealReading,
    best: list[Scored],
    *,
    now: datetime,
    caller: Caller | None = None,
) -> list[SuggestionOut]:
    """The suggestions as the API shows them; the reasons name the deal's words each
    asset mentions (searched in the few shown)."""
    if not best:
        return []
    ids = [s.candidate.id for s in best]
    found = session.exec(select(Asset).where(col(Asset.id).in_(ids))).all()
    # An asset deleted or retired since the candidates were read is left out.
    hidden = hidden_ids(session, caller, ids) if caller is not None else set()
    assets = {a.id: a for a in found if is_live(a, now) and a.id not in hidden}
    best = [s for s in best if s.candidate.id in assets]
    briefs = {
        b.id: b
        for b in present_brief(
            session, [assets[s.candidate.id] for s in best], now=now, caller=caller
        )
    }
    out = []
    for scored in best:
        asset, brief = assets[scored.candidate.id], briefs[scored.candidate.id]
        texts = [
            asset.title,
            " ".join(q.text for q in brief.questions),
            " ".join(brief.tags),
            *field_text(asset.kind, asset.fields or {}),
            asset.summary,
            asset.body,
        ]
        mentions = mentioned(reading.keywords, texts, scan_chars=MENTION_SCAN_CHARS)
        shown = score(deal, scored.candidate, now=now, mentions=mentions[:3])
        out.append(SuggestionOut(asset=brief, score=shown.score, reasons=shown.reasons))
    return out
