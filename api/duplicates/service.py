"""Duplicate and near-duplicate assets, judged on their text (title and body).

Normalised text: the words of the title and the body, folded (case and accents) by the
search library's `words`, joined by single spaces: punctuation, spacing, line breaks and
the file format that carried the text do not count.

- **Exact duplicates** share the sha256 of that text (`text_key`). A new asset with the
  text of a live or pending (draft, in review) one is refused (409, `DuplicateText`,
  naming it) unless forced. Texts under `MIN_WORDS` words are not judged: a title alone
  ("Pricing") is not content two assets can duplicate.
- **Near duplicates**: the MinHash (datasketch, 128 permutations) of the text's word
  3-grams estimates the Jaccard similarity of two texts; pairs at or above `THRESHOLD`
  are reported. LSH finds the candidates without comparing every pair: the signature is
  cut into bands (datasketch picks their number and width for the threshold, minimising
  false positives and negatives), each band hashed to a bucket stored in
  `asset_signature_bands`; assets sharing a bucket are compared on their signatures.

Signatures are written on every flush that writes an asset's title or body (an ORM
event, so every path that changes text keeps them current: create, edit, upload, import,
approval of a revision); an asset's removal cascades to them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import numpy as np
import sqlalchemy as sa
from datasketch import MinHash, MinHashLSH
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, col, select

from api.assets.models import Asset, Status
from api.assets.visibility import live_clause
from api.db import take_turn
from api.duplicates.models import AssetSignature, AssetSignatureBand
from api.duplicates.schemas import NearDuplicatePair, SimilarAsset
from api.errors import Conflict
from search.text import words

# Measured on bench/eval/corpus.yaml (bench/near_duplicates.py): of its 11,935 pairs of
# distinct hand-written assets the most alike share 6% of their 3-grams, so none is
# reported (no false positive); each asset with one sentence added is found (137 of 137),
# with one sentence of its (short) body rewritten 128 of 137 at 0.6 (106 at 0.7, 136 at
# 0.5). 3-grams rather than words or pairs: shared vocabulary ("the customer", "field
# app") does not make two texts alike; the order of the words does.
NUM_PERM = 128
SEED = 1
SHINGLE_WORDS = 3
THRESHOLD = 0.6
MIN_WORDS = 10
# Enough to judge any document; a 5-million-character body is not hashed whole.
MAX_SHINGLES = 50_000
MOST_SIMILAR = 10

# The permutation scheme, named: stored signatures stay comparable with new ones whatever
# a later datasketch makes its default (a change of scheme means recomputing them all).
SCHEME = "affine32"
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
_LSH = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
BANDS: int = _LSH.b
ROWS: int = _LSH.r


class DuplicateText(Conflict):
    """The same normalised text (title and body) as an existing live or pending asset."""

    slug, title = "duplicate-text", "Duplicate text"


def normalised_words(title: str, body: str) -> list[str]:
    return words(title) + words(body)


def text_key(all_words: Sequence[str]) -> str | None:
    """The hash exact duplicates share; None for a text too short to judge."""
    if len(all_words) < MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(all_words).encode()).hexdigest()


def shingles(all_words: Sequence[str]) -> list[bytes]:
    """The text's distinct word 3-grams (its words alone when it has fewer)."""
    if len(all_words) <= SHINGLE_WORDS:
        return [" ".join(all_words).encode()]
    grams = dict.fromkeys(
        " ".join(all_words[i : i + SHINGLE_WORDS])
        for i in range(len(all_words) - SHINGLE_WORDS + 1)
    )
    return [gram.encode() for gram in list(grams)[:MAX_SHINGLES]]


def signature(all_words: Sequence[str]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    minhash = MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_TEMPLATE.permutations
    )
    minhash.update_batch(shingles(all_words))
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def buckets(values: np.ndarray[Any, np.dtype[np.uint64]]) -> list[tuple[int, int]]:
    """(band, bucket) of each LSH band: a signed 64-bit hash of the band's values."""
    out = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "big", signed=True)))
    return out


def similarity(
    a: np.ndarray[Any, np.dtype[np.uint64]], b: np.ndarray[Any, np.dtype[np.uint64]]
) -> float:
    """The estimated Jaccard similarity of two signatures."""
    return round(float(np.count_nonzero(a == b)) / NUM_PERM, 3)


def _values(raw: bytes) -> np.ndarray[Any, np.dtype[np.uint64]]:
    return np.frombuffer(raw, dtype=np.uint64)


def signature_rows(
    asset_id: str, title: str, body: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    all_words = normalised_words(title, body)
    key = text_key(all_words)
    if key is None:
        return {"asset_id": asset_id, "text_key": None, "words": len(all_words)}, []
    values = signature(all_words)
    row = {"asset_id": asset_id, "text_key": key, "words": len(all_words)}
    row["minhash"] = values.tobytes()
    bands = [{"band": b, "bucket": k, "asset_id": asset_id} for b, k in buckets(values)]
    return row, bands


def _text_changed(asset: Asset) -> bool:
    state = sa.inspect(asset)
    return any(state.attrs[name].history.has_changes() for name in ("title", "body"))


@event.listens_for(OrmSession, "after_flush")
def _keep_signatures(session: OrmSession, _context: UOWTransaction) -> None:
    """Write the signature of every asset this flush created or whose text it changed."""
    written = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Asset) and obj not in session.deleted
    ]
    changed = [a for a in written if a in session.new or _text_changed(a)]
    if not changed:
        return
    connection = session.connection()
    ids = [asset.id for asset in changed]
    bands_table = cast(sa.Table, AssetSignatureBand.__table__)  # type: ignore[attr-defined]
    signatures_table = cast(sa.Table, AssetSignature.__table__)  # type: ignore[attr-defined]
    connection.execute(sa.delete(bands_table).where(bands_table.c.asset_id.in_(ids)))
    connection.execute(sa.delete(signatures_table).where(signatures_table.c.asset_id.in_(ids)))
    rows, band_rows = [], []
    for asset in changed:
        row, bands = signature_rows(asset.id, asset.title or "", asset.body or "")
        rows.append({"minhash": None, **row})
        band_rows.extend(bands)
    connection.execute(sa.insert(signatures_table), rows)
    if band_rows:
        connection.execute(sa.insert(bands_table), band_rows)


def _judged(now: datetime) -> sa.ColumnElement[bool]:
    """Live or pending: the assets a new one must not repeat."""
    return sa.or_(
        live_clause(now),
        col(Asset.status).in_([Status.draft.value, Status.in_review.value]),
    )


def find_same_text(
    session: Session, title: str, body: str, *, now: datetime, exclude: str | None = None
) -> Asset | None:
    """A live or pending asset with this exact normalised text, oldest first."""
    key = text_key(normalised_words(title, body))
    if key is None:
        return None
    # The hash's index first, then those few assets: never a walk of the catalogue.
    same = session.exec(
        select(AssetSignature.asset_id).where(col(AssetSignature.text_key) == key)
    ).all()
    ids = [asset_id for asset_id in same if asset_id != exclude]
    if not ids:
        return None
    return session.exec(
        select(Asset)
        .where(col(Asset.id).in_(ids), _judged(now))
        .order_by(col(Asset.created_at), col(Asset.id))
    ).first()


def ensure_new_text(
    session: Session, title: str, body: str, *, now: datetime, exclude: str | None = None
) -> None:
    """409 naming the live or pending asset (other than `exclude`: an asset revising its
    own text) with the same normalised text, if there is one; race-proof: of two requests
    writing the same text at once, the second waits for the first to commit and is refused."""
    key = text_key(normalised_words(title, body))
    if key is None:
        return
    # Check and write as one step per text: of two requests creating the same text at once,
    # the second waits for the first to commit. (A unique index cannot say "live or
    # pending": expiry is judged against the clock.)
    take_turn(session, f"same-text:{key}")
    existing = find_same_text(session, title, body, now=now, exclude=exclude)
    if existing is not None:
        raise DuplicateText(
            f"asset {existing.id} ({existing.title!r}) has the same text; "
            "send force=true to create this one anyway",
            asset_id=existing.id,
        )


def similar_to(session: Session, asset_id: str, *, now: datetime) -> list[SimilarAsset]:
    """Live or pending assets whose text is nearly the asset's own, most similar first."""
    mine = session.get(AssetSignature, asset_id)
    if mine is None or mine.minhash is None:
        return []
    return _similar(session, _values(mine.minhash), now=now, exclude=asset_id)


def similar_text(
    session: Session, title: str, body: str, *, now: datetime, exclude: str
) -> list[SimilarAsset]:
    """Live or pending assets but `exclude` whose text is nearly this one (a revision's
    text, which has no stored signature: its asset's is the approved text)."""
    all_words = normalised_words(title, body)
    if text_key(all_words) is None:
        return []
    return _similar(session, signature(all_words), now=now, exclude=exclude)


def _similar(
    session: Session,
    values: np.ndarray[Any, np.dtype[np.uint64]],
    *,
    now: datetime,
    exclude: str,
) -> list[SimilarAsset]:
    # One lookup of the primary key per band (an OR of them would scan the table).
    lookups = [
        sa.select(col(AssetSignatureBand.asset_id)).where(
            col(AssetSignatureBand.band) == band, col(AssetSignatureBand.bucket) == bucket
        )
        for band, bucket in buckets(values)
    ]
    candidates = {found for found in session.scalars(sa.union(*lookups)) if found != exclude}
    if not candidates:
        return []
    rows = session.execute(
        sa.select(col(Asset.id), col(Asset.title), col(Asset.status), col(AssetSignature.minhash))
        .join(AssetSignature, col(AssetSignature.asset_id) == col(Asset.id))
        .where(col(Asset.id).in_(sorted(candidates)), _judged(now))
    ).all()
    found = []
    for row in rows:
        if row.minhash is None:
            continue
        score = similarity(values, _values(row.minhash))
        if score >= THRESHOLD:
            found.append(
                SimilarAsset(id=row.id, title=row.title, status=row.status, similarity=score)
            )
    found.sort(key=lambda s: (-s.similarity, s.id))
    return found[:MOST_SIMILAR]


def near_duplicate_pairs(
    session: Session, *, now: datetime, limit: int
) -> tuple[list[NearDuplicatePair], int]:
    """Pairs of live or pending assets whose texts are nearly the same, most similar first;
    and how many there are in all."""
    first, second = sa.orm.aliased(AssetSignatureBand), sa.orm.aliased(AssetSignatureBand)
    judged = select(Asset.id).where(_judged(now))
    candidates = session.execute(
        sa.select(col(first.asset_id), col(second.asset_id))
        .join(
            second,
            sa.and_(
                col(second.band) == col(first.band),
                col(second.bucket) == col(first.bucket),
                col(second.asset_id) > col(first.asset_id),
            ),
        )
        .where(col(first.asset_id).in_(judged), col(second.asset_id).in_(judged))
        .distinct()
    ).all()
    if not candidates:
        return [], 0
    ids = {asset_id for pair in candidates for asset_id in pair}
    rows = session.execute(
        sa.select(
            col(Asset.id),
            col(Asset.title),
            col(Asset.status),
            col(Asset.created_at),
            col(AssetSignature.minhash),
        )
        .join(AssetSignature, col(AssetSignature.asset_id) == col(Asset.id))
        .where(col(Asset.id).in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    found = []
    for a, b in candidates:
        one, other = by_id.get(a), by_id.get(b)
        if one is None or other is None or one.minhash is None or other.minhash is None:
            continue
        score = similarity(_values(one.minhash), _values(other.minhash))
        if score < THRESHOLD:
            continue
        older, newer = sorted((one, other), key=lambda r: (r.created_at, r.id))
        found.append(
            NearDuplicatePair(
                first=SimilarAsset(
                    id=older.id, title=older.title, status=older.status, similarity=score
                ),
                second=SimilarAsset(
                    id=newer.id, title=newer.title, status=newer.status, similarity=score
                ),
                similarity=score,
            )
        )
    found.sort(key=lambda p: (-p.similarity, p.first.id, p.second.id))
    return found[:limit], len(found)
