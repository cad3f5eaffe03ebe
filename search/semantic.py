"""Sentence embeddings for semantic search, offline: all-MiniLM-L6-v2 as int8 ONNX.

The model (`search/models/minilm-l6-int8/`, 23 MB, built by `make semantic-model`; its
provenance and sha256 are in `build-info.json`) runs with onnxruntime and tokenizers on
the CPU; no torch, nothing downloaded. Its output `sentence_embedding` is already
mean-pooled and L2-normalised (384 float32), so cosine similarity is a dot product.

A document is embedded as a few chunks of at most `CHUNK_TOKENS` tokens (title, tags,
summary, linked questions, then the start of the body); its similarity to a query is that
of its best chunk (search/fts5/semantic.py). Below `FLOOR` a document is not close in
meaning: a query with nothing close finds nothing by meaning.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from search.base import SearchDocument
from search.text import strip_markers

MODEL_DIR = Path(__file__).parent / "models" / "minilm-l6-int8"
MODEL_ID = "minilm-l6-int8:b80332b4"
DIMENSIONS = 384
# The model was trained on 128-token inputs: longer chunks dilute the meaning and cost
# 2-2.5x more to embed.
CHUNK_TOKENS = 128
# Title, summary and questions, then at most this many chunks of the body (~450 words:
# the whole of most collateral's text; `make eval-search`, hit@3 over 111 queries, exact
# cosines: 1 chunk 0.919, 2 0.928, 4 0.937, 5 and more 0.946 (paraphrases 0.83 -> 0.86),
# and questions a rep asks are often answered past the first paragraph).
BODY_CHUNKS = 5
# Words per body chunk (~1.3 tokens a word keeps a chunk under CHUNK_TOKENS).
CHUNK_WORDS = 90
# Best-chunk cosine below which a document is not close in meaning to the query (probe:
# targets 0.17-0.22 at the lowest, median 0.42; nonsense queries at most 0.12-0.16).
FLOOR = 0.3
QUERY_CACHE = 1024
# What a document's vectors depend on besides its text: the model and how a document is
# cut into chunks. An index embedded another way is embedded again (search/fts5/schema.py).
# "alone": each text is run through the model by itself (see `Embedder.embed`).
EMBEDDING = f"{MODEL_ID}/head+{BODY_CHUNKS}x{CHUNK_WORDS}/alone"


def availability() -> str | None:
    """None when the runtime and the model are installed, else why not."""
    for module in ("onnxruntime", "tokenizers"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    for name in ("model.onnx", "tokenizer.json"):
        if not (MODEL_DIR / name).is_file():
            return f"the model file {name} is missing"
    return None


class Embedder:
    """Embeds texts with the model, loaded on first use. Thread-safe: one onnxruntime
    session serves concurrent calls; queries are cached by text."""

    def __init__(self, model_dir: Path = MODEL_DIR, *, threads: int = 1) -> None:
        self.model_dir = model_dir
        self.threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (it loads on first use otherwise)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            # Loaded on first use: importing onnxruntime costs ~0.2 s and ~30 MB.
            import onnxruntime as ort  # type: ignore[import-untyped]  # noqa: PLC0415
            from tokenizers import Tokenizer  # type: ignore[import-untyped]  # noqa: PLC0415

            options = ort.SessionOptions()
            # One thread: under load two spin and double the CPU time per query.
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(self.model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            # Never pad to a fixed length: a short query would cost 128 tokens.
            tokenizer.no_padding()
            tokenizer.enable_truncation(CHUNK_TOKENS)
            self._tokenizer = tokenizer
            self._session = session

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit vector (float32, 384) per text, each text run by itself.

        Never in batches: the int8 model quantises its activations with one scale per
        tensor, so a text's vector would depend on the texts batched with it (cosine
        0.983-0.99 between two batchings of the same text, measured on the evaluation
        corpus: enough to reorder close matches from one indexing to the next, and to
        tell a document from the same text asked as a query). One at a time is also no
        slower: nothing is padded (40 against 27 texts a second, batches of 32)."""
        self.load()
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        for i, text in enumerate(texts):
            out[i] = self._run([text])[0]
        return out

    def query(self, text: str) -> NDArray[np.float32]:
        """The vector of a query, remembered for the next time the same text is asked."""
        key = " ".join(text.lower().split())
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        vector = self.embed([key])[0]
        vector.setflags(write=False)
        with self._cache_lock:
            self._cache[key] = vector
            while len(self._cache) > QUERY_CACHE:
                self._cache.popitem(last=False)
        return vector

    def _run(self, texts: list[str]) -> NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(encodings):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        result = self._session.run(["sentence_embedding"], feed)
        return np.asarray(result[0], np.float32)


def chunks(doc: SearchDocument) -> list[str]:
    """The texts a document is embedded as: its title, tags, summary and linked questions, then
    up to BODY_CHUNKS chunks of its body (each at most ~CHUNK_TOKENS)."""
    head = ". ".join(
        part.strip()
        for part in (
            strip_markers(doc.title),
            ", ".join(doc.tags),
            strip_markers(doc.summary),
            *doc.questions,
        )
        if part and part.strip()
    )
    texts = [head] if head else []
    body = strip_markers(doc.body).split()
    title = strip_markers(doc.title).strip()
    for i in range(BODY_CHUNKS):
        part = body[i * CHUNK_WORDS : (i + 1) * CHUNK_WORDS]
        if not part:
            break
        # The title keeps a chunk of the body about its document.
        texts.append(f"{title}. {' '.join(part)}" if title else " ".join(part))
    return texts or [doc.id]


def fingerprint(texts: Sequence[str]) -> str:
    """What the vectors of `texts` depend on (the texts and the model): unchanged text is
    never embedded again."""
    digest = hashlib.sha256(EMBEDDING.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()[:32]
