"""How well one live asset fits a deal: a score in 0..1 and the reasons, in a rep's words.

The score is a weighted mean of the signals the deal gives, each in 0..1:

- facet fit (weight 0.35, when the deal names a stage, industry, persona or product):
  per facet 1 when the asset is tagged to the deal's term, 0.5 when it is tagged to no term
  of that facet (made for everyone: a weaker fit, not a mismatch), 0.35 for a stage next
  to the deal's, 0 when it is tagged only to other terms; the facets weigh stage 0.35,
  industry 0.30, persona 0.20, product 0.15 among those the deal names;
- text relevance (0.35, when the deal's text has salient words): the search backend's
  relevance for those words, relative to the best candidate's;
- questions (0.30, when the deal asks known questions): 0.7 for answering one of them,
  up to 1 for answering all;
- kind (0.20, when the deal's notes ask for a kind, "send a customer story"): 1 for an
  asset of a kind asked for;
- track record (0.15, always): helpful against not-helpful ratings and won against lost
  deals, between -1 and 1, so a piece reps rated unhelpful drops;
- freshness (0.04, always): 1 when approved today, halving every 180 days; it mostly
  breaks ties.

Signals the deal does not give are left out of the mean, so a perfect fit scores near 1
whatever the deal names; the mean is clamped to 0..1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from api.assets.kinds import Kind, rules_for
from api.events.service import TrackRecord

FACET_WEIGHT = 0.35
TEXT_WEIGHT = 0.35
QUESTION_WEIGHT = 0.30
KIND_WEIGHT = 0.20
TRACK_WEIGHT = 0.15
FRESH_WEIGHT = 0.04

FACET_SHARES = {"stage": 0.35, "industry": 0.30, "persona": 0.20, "product": 0.15}
UNTAGGED_FIT = 0.5
NEIGHBOUR_STAGE_FIT = 0.35
HALF_LIFE_DAYS = 180.0
FRESH_REASON_DAYS = 30


@dataclass(frozen=True)
class Deal:
    """The deal's facets as slugs, and the stages next to its stage."""

    # Only the facets the deal gives, by their parameter name ("stage"), in FACETS order.
    facets: Mapping[str, str] = field(default_factory=dict)
    neighbour_stages: frozenset[str] = frozenset()
    has_text: bool = False
    questions_asked: int = 0  # known questions the deal asks
    kinds: tuple[Kind, ...] = ()  # kinds of collateral the deal's notes ask for


@dataclass(frozen=True)
class Candidate:
    """What is known of one live asset when it is scored."""

    id: str
    kind: Kind
    approved_at: datetime | None
    terms: Mapping[str, Sequence[str]] = field(default_factory=dict)  # facet -> slugs
    text_relevance: float = 0.0  # 0..1
    answers: Sequence[str] = ()  # texts of the matched questions it answers
    track: TrackRecord = field(default_factory=TrackRecord)
    # Overdue for review: the score is multiplied by (1 - this) (BATON_OVERDUE_DEMOTION).
    overdue_demotion: float = 0.0


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    reasons: list[str]


def _facet_fit(deal: Deal, candidate: Candidate) -> tuple[float, list[str]] | None:
    if not deal.facets:
        return None
    total = weight = 0.0
    reasons = []
    for name, value in deal.facets.items():
        tagged = candidate.terms.get(name, ())
        if value in tagged:
            fit = 1.0
            reasons.append(f"{name}: {value}")
        elif not tagged:
            fit = UNTAGGED_FIT
        elif name == "stage" and deal.neighbour_stages.intersection(tagged):
            fit = NEIGHBOUR_STAGE_FIT
        else:
            fit = 0.0
        total += FACET_SHARES[name] * fit
        weight += FACET_SHARES[name]
    return total / weight, reasons


def _track(track: TrackRecord) -> tuple[float, list[str]]:
    rated = track.helpful + track.not_helpful
    rating = (track.helpful - track.not_helpful) / (rated + 2)
    decided = track.won + track.lost
    winning = (track.won - 0.5 * track.lost) / (decided + 2)
    reasons = []
    if track.won:
        reasons.append(f"won {track.won} deal{'s' if track.won != 1 else ''}")
    if track.helpful > track.not_helpful:
        times = "once" if track.helpful == 1 else f"{track.helpful} times"
        reasons.append(f"rated helpful {times}")
    return max(-1.0, min(1.0, 0.5 * rating + winning)), reasons


def _age_days(candidate: Candidate, now: datetime) -> float | None:
    if candidate.approved_at is None:
        return None
    return max(0.0, (now - candidate.approved_at).total_seconds() / 86400)


def _freshness(age: float | None) -> float:
    return 0.0 if age is None else 0.5 ** (age / HALF_LIFE_DAYS)


def _approved_reason(age: float | None) -> str | None:
    """ "approved 3 days ago" for a fresh piece (`age` is None when it is not approved)."""
    if age is None:
        return None
    days = int(age)
    if days == 0:
        return "approved today"
    if days <= FRESH_REASON_DAYS:
        return f"approved {days} day{'s' if days != 1 else ''} ago"
    return None


def score(
    deal: Deal, candidate: Candidate, *, now: datetime, mentions: Sequence[str] = ()
) -> Scored:
    """The candidate's score for the deal and the reasons a rep reads.

    `mentions` are the deal's salient words the asset contains (found for the few
    suggestions shown, so they only add a reason)."""
    parts: list[tuple[float, float]] = []
    reasons: list[str] = []
    fit = _facet_fit(deal, candidate)
    if fit is not None:
        parts.append((FACET_WEIGHT, fit[0]))
        reasons += fit[1]
    if deal.questions_asked:
        answered = min(len(candidate.answers), deal.questions_asked)
        share = answered / deal.questions_asked
        parts.append((QUESTION_WEIGHT, 0.7 + 0.3 * share if answered else 0.0))
        reasons += [f"answers: {text}" for text in candidate.answers]
    if deal.kinds:
        asked_for = candidate.kind in deal.kinds
        parts.append((KIND_WEIGHT, 1.0 if asked_for else 0.0))
        if asked_for:
            reasons.append(f"kind: {rules_for(candidate.kind).label.lower()}")
    if deal.has_text:
        parts.append((TEXT_WEIGHT, candidate.text_relevance))
        if mentions:
            reasons.append("mentions: " + ", ".join(mentions))
    track, track_reasons = _track(candidate.track)
    parts.append((TRACK_WEIGHT, track))
    reasons += track_reasons
    age = _age_days(candidate, now)
    parts.append((FRESH_WEIGHT, _freshness(age)))
    fresh = _approved_reason(age)
    if fresh and (not reasons or (not deal.facets and not deal.has_text)):
        reasons.append(fresh)
    if not reasons and candidate.approved_at is not None:
        reasons.append(f"approved {candidate.approved_at.date().isoformat()}")
    value = sum(w * s for w, s in parts) / sum(w for w, _ in parts)
    if candidate.overdue_demotion > 0.0:
        value *= 1.0 - candidate.overdue_demotion
        reasons.append("overdue for review: ranked lower")
    return Scored(candidate, round(max(0.0, min(1.0, value)), 4), reasons)
