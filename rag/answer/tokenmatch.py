"""Token-level matching of a question against candidate sentences (BERTScore recall, ColBERT's MaxSim).

One vector per sentence averages every word in it, so a long sentence whose one clause answers the
question ranks below a topical lead sentence. Matching word pieces *in context* keeps the clause:
each question term's pieces take their best match among the sentence's pieces, weighted by the
term's idf. It re-ranks the few best candidates only, since encoding sentences per question costs
about 6 ms each (sentences seen before come from a cache).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from index.embed import TokenEmbedder, TokenVectors
from index.lang import stem
from index.text import word_spans

__all__ = ["TokenMatcher"]

_ALNUM = re.compile(r"\w")


class TokenMatcher:
    """Scores ``texts`` by how well their word pieces match a question's term pieces (0-1, higher is closer)."""

    def __init__(self, embedder: TokenEmbedder, cache_size: int = 1024) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()  # sentence -> fp16 piece vectors
        self._lock = threading.Lock()

    def _pieces(self, texts: Sequence[str]) -> list[np.ndarray]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = dict(zip(missing, self.embedder.embed_tokens(missing))) if missing else {}
        with self._lock:
            for text, tv in fresh.items():
                keep = [i for i, (a, b) in enumerate(tv.spans) if _ALNUM.search(text[a:b])]
                self._cache[text] = tv.vecs[keep].astype(np.float16)
                self._cache.move_to_end(text)
            out = []
            for t in texts:
                if t in self._cache:
                    self._cache.move_to_end(t)
                    out.append(self._cache[t])
                else:  # evicted meanwhile by a large batch: still answer from what was computed
                    out.append(fresh[t].vecs.astype(np.float16))
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return out

    def _question(
        self, question: str, terms: Sequence[str], idf: Callable[[str], float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The question's pieces that belong to one of ``terms``, and each one's weight (its term's idf)."""
        tv: TokenVectors = self.embedder.embed_tokens([question])[0]
        wanted = {stem(t) for t in terms}
        spans = [(a, b, w) for a, b, w in word_spans(question) if stem(w) in wanted]
        rows, weights = [], []
        for i, (a, b) in enumerate(tv.spans):
            for ws, we, w in spans:
                if ws <= a and b <= we:
                    rows.append(i)
                    weights.append(idf(w))
                    break
        return tv.vecs[rows], np.asarray(weights, dtype=np.float32)

    def recall(
        self, question: str, terms: Sequence[str], groups: Sequence[tuple[str, ...]], idf: Callable[[str], float]
    ) -> list[float]:
        """For each group of texts, the idf-weighted mean over the question's term pieces of their best
        cosine among the group's pieces."""
        if not groups:
            return []
        qvecs, weights = self._question(question, terms, idf)
        if not len(qvecs) or weights.sum() <= 0:
            return [0.0] * len(groups)
        texts = list(dict.fromkeys(t for g in groups for t in g))
        by_text = dict(zip(texts, self._pieces(texts)))
        out = []
        for group in groups:
            pieces = np.concatenate([by_text[t] for t in group]) if group else np.zeros((0, qvecs.shape[1]))
            if not len(pieces):
                out.append(0.0)
                continue
            best = (qvecs @ pieces.T.astype(np.float32)).max(axis=1)
            out.append(float((best * weights).sum() / weights.sum()))
        return out
