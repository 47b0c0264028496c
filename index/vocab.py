"""Corpus vocabulary: sentence frequencies of word stems and one MiniLM vector per word.

The answerer uses it to tell a paraphrase (a question word close to some corpus word) from a
question about something the documents never mention (no corpus word comes close).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embed import Embedder
from index.text import STOPWORDS, stem, words

__all__ = ["Vocab", "build_vocab", "MAX_WORDS"]

MAX_WORDS = 50_000


@dataclass(frozen=True)
class Vocab:
    """Stem sentence-frequencies plus word vectors (rows of ``vecs`` match ``words``)."""

    words: tuple[str, ...]
    vecs: np.ndarray
    df: dict[str, int]
    n: int

    def idf(self, term: str) -> float:
        """Smoothed inverse sentence frequency of ``term``'s stem (unseen terms get the maximum)."""
        return math.log((self.n + 1) / (self.df.get(stem(term), 0) + 0.5))

    def has(self, term: str) -> bool:
        """Whether ``term``'s stem occurs anywhere in the corpus."""
        return stem(term) in self.df

    def save(self, path: Path) -> None:
        """Write atomically next to the store."""
        tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
        stems, counts = zip(*sorted(self.df.items())) if self.df else ((), ())
        np.savez(
            tmp,
            words=np.array(self.words, dtype=str),
            vecs=self.vecs.astype(np.float16),
            stems=np.array(stems, dtype=str),
            counts=np.array(counts, dtype=np.int64),
            n=np.array(self.n),
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Vocab:
        """Read a vocabulary written by ``save``."""
        with np.load(path) as z:
            return cls(
                words=tuple(str(w) for w in z["words"]),
                vecs=z["vecs"].astype(np.float32),
                df={str(s): int(c) for s, c in zip(z["stems"], z["counts"])},
                n=int(z["n"]),
            )


def build_vocab(sentences: Iterable[str], embedder: Embedder, previous: Vocab | None = None) -> Vocab:
    """Count stems per sentence and embed each distinct word (reusing ``previous`` vectors)."""
    df: Counter[str] = Counter()
    freq: Counter[str] = Counter()
    n = 0
    for text in sentences:
        n += 1
        toks = [w.lower() for w in words(text)]
        df.update({stem(w) for w in toks})
        freq.update(w for w in toks if w not in STOPWORDS and w.isalpha() and len(w) > 2)
    keep = [w for w, _ in freq.most_common(MAX_WORDS)]
    known = {}
    if previous is not None:
        known = {w: i for i, w in enumerate(previous.words)}
    new = [w for w in keep if w not in known]
    new_vecs = embedder.embed(new) if new else np.zeros((0, embedder.dim), dtype=np.float32)
    rows = []
    fresh = {w: i for i, w in enumerate(new)}
    for w in keep:
        if w in fresh:
            rows.append(new_vecs[fresh[w]])
        else:
            assert previous is not None
            rows.append(previous.vecs[known[w]])
    vecs = np.asarray(rows, dtype=np.float32).reshape(len(keep), embedder.dim)
    return Vocab(words=tuple(keep), vecs=vecs, df=dict(df), n=n)
