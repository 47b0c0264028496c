"""Corpus vocabulary: sentence frequencies of word stems and one MiniLM vector per word.

The answerer uses it to tell a paraphrase (a question word close to some corpus word) from a
question about something the documents never mention (no corpus word comes close).

Each generation recounts its sentences (from the durable vectors: no Chroma read), and only words
that the durable word cache (``index.vectors``) lacks are embedded, so a build embeds each word once.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.embed import Embedder
from index.lang import STOPWORDS, stem
from index.text import compound_parts, words

__all__ = ["Vocab", "TermCounts", "WordCache", "build_vocab", "vocab_from_counts", "MAX_WORDS", "VOCAB_FORMAT"]

MAX_WORDS = 50_000
# Part of the file name (``Store.vocab_file``): a vocabulary counted by older tokenisation is "missing"
# to newer code, so opening the index re-makes it once from the durable vectors, with no re-embedding of
# chunks. 2: words of any script, compound parts counted.
VOCAB_FORMAT = 2


@dataclass(frozen=True)
class Vocab:
    """Stem sentence-frequencies plus word vectors (rows of ``vecs`` match ``words``)."""

    words: tuple[str, ...]
    vecs: np.ndarray
    df: dict[str, int]
    n: int
    counts: TermCounts | None = field(default=None, compare=False)

    @cached_property
    def rows(self) -> dict[str, int]:
        """Row of each word in ``vecs``."""
        return {w: i for i, w in enumerate(self.words)}

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
        extra: dict[str, Any] = {}
        if self.counts is not None:
            fwords, fcounts = zip(*sorted(self.counts.freq.items())) if self.counts.freq else ((), ())
            extra = {"fwords": np.array(fwords, dtype=str), "fcounts": np.array(fcounts, dtype=np.int64)}
        np.savez(
            tmp,
            words=np.array(self.words, dtype=str),
            vecs=self.vecs.astype(np.float16),
            stems=np.array(stems, dtype=str),
            counts=np.array(counts, dtype=np.int64),
            n=np.array(self.n),
            **extra,
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, with_counts: bool = False) -> Vocab:
        """Read a vocabulary written by ``save`` (``with_counts``: also the word counts a build updates)."""
        with np.load(path) as z:
            df = {str(s): int(c) for s, c in zip(z["stems"].tolist(), z["counts"].tolist())}
            counts = None
            if with_counts and "fwords" in z.files:
                freq = Counter(dict(zip(z["fwords"].tolist(), z["fcounts"].tolist())))
                counts = TermCounts(Counter(df), freq, int(z["n"]))
            return cls(
                words=tuple(z["words"].tolist()),
                vecs=z["vecs"].astype(np.float32),
                df=df,
                n=int(z["n"]),
                counts=counts,
            )


@dataclass
class TermCounts:
    """Raw counts behind a vocabulary: stem sentence-frequencies, word frequencies, sentence count."""

    df: Counter[str] = field(default_factory=Counter)
    freq: Counter[str] = field(default_factory=Counter)
    n: int = 0

    def add(self, sentences: Iterable[str], sign: int = 1) -> None:
        """Count ``sentences`` in (``sign`` 1) or out (``sign`` -1, for removed documents)."""
        for text in sentences:
            self.n += sign
            toks = [w.lower() for w in words(text)]
            # A compound's parts count too: a question about "Clair" or "Qaeda" is about a word the corpus
            # uses, inside "Saint-Clair-sur-Epte" or "al-Qaeda".
            for st in {stem(p) for w in toks for p in compound_parts(w)}:
                self.df[st] += sign
            for w in toks:
                if w not in STOPWORDS and w.isalpha() and len(w) > 2:
                    self.freq[w] += sign
        if sign < 0:  # drop what reached zero, so the saved file doesn't grow forever
            self.df = Counter({k: v for k, v in self.df.items() if v > 0})
            self.freq = Counter({k: v for k, v in self.freq.items() if v > 0})


class WordCache(Protocol):
    """Where word vectors outlive a build (``index.vectors.Vectors``): no word is embedded twice."""

    def words(self, words: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_words(self, vecs: dict[str, np.ndarray]) -> None: ...


def build_vocab(sentences: Iterable[str], embedder: Embedder, cache: WordCache | None = None) -> Vocab:
    """Count stems per sentence and embed each distinct word (reusing vectors ``cache`` holds)."""
    counts = TermCounts()
    counts.add(sentences)
    return vocab_from_counts(counts, embedder, cache)


def vocab_from_counts(counts: TermCounts, embedder: Embedder, cache: WordCache | None = None) -> Vocab:
    """The vocabulary of ``counts``: its top ``MAX_WORDS`` words, embedding only those ``cache`` lacks."""
    keep = [w for w, _ in sorted(counts.freq.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS]]
    known = cache.words(keep) if cache is not None else {}
    new = [w for w in keep if w not in known]
    new_vecs = embedder.embed(new) if new else np.zeros((0, embedder.dim), dtype=np.float32)
    fresh = dict(zip(new, new_vecs))
    if cache is not None and fresh:
        cache.put_words(fresh)
    vecs = np.zeros((len(keep), embedder.dim), dtype=np.float32)
    for row, w in enumerate(keep):
        vecs[row] = fresh[w] if w in fresh else known[w]
    df = {k: v for k, v in counts.df.items() if v > 0}
    return Vocab(words=tuple(keep), vecs=vecs, df=df, n=counts.n, counts=counts)
