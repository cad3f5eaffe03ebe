"""Stemming is safe from many threads at once: suggestions and searches stem words in the
server's worker threads (a shared snowball stemmer once raised IndexError under load and
could return another thread's stem)."""

from __future__ import annotations

import random
import string
import threading

import snowballstemmer

from search.highlight import stem

SUFFIXES = ("ational", "izations", "fulness", "iveness", "ically", "ements", "ing", "edly")


def _words(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) + rng.choice(SUFFIXES)
        for _ in range(n)
    ]


def test_many_threads_stem_as_one_does() -> None:
    reference = snowballstemmer.stemmer("porter")
    batches = [_words(seed, 3000) for seed in range(8)]
    expected = [[reference.stemWord(w) for w in batch] for batch in batches]
    got: list[list[str]] = [[] for _ in batches]
    errors: list[BaseException] = []
    start = threading.Barrier(len(batches))

    def work(i: int) -> None:
        try:
            start.wait()
            got[i] = [stem(w) for w in batches[i]]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert got == expected
