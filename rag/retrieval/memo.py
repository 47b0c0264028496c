"""One question's reads of the stored sentences, so each sentence is fetched from Chroma once.

Re-ranking (``rag.retrieval.rerank``) reads every sentence of the fused top passages, and the candidate
stage (``rag.retrieval.candidates``) then reads those of the top ``k`` again: the same ids, a second
round trip (about 14 ms at 10k documents on 2 cores, measured). A sentence id names its document's
version and its place in it (``<doc>-<sha>-s<n>``), so what was read for an id stays right for the
question; the memo lives for one question only, so nothing outlives the view it was read from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.store import Store
from index.types import Sentence

__all__ = ["SentenceMemo"]


class SentenceMemo:
    """``Store.sentences_for`` and ``Store.heading_ids`` over ``store``, each sentence read once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read: dict[str, tuple[Sentence, np.ndarray] | None] = {}  # None: asked for, not in the store

    def sentences_for(self, ids: Sequence[str]) -> tuple[list[Sentence], np.ndarray]:
        """As ``Store.sentences_for``: sentences (with vectors) by id, in the order asked, unknown ids left out."""
        missing = [i for i in dict.fromkeys(ids) if i not in self._read]
        if missing:
            found = self.store.sentences_by_id(missing)
            self._read.update({i: found.get(i) for i in missing})
        got = [hit for hit in (self._read[i] for i in ids) if hit is not None]
        if not got:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [s for s, _ in got], np.asarray([v for _, v in got], dtype=np.float32)

    def heading_ids(self, doc_ids: Sequence[str]) -> list[str]:
        """As ``Store.heading_ids`` (not memoised: asked at most once a question)."""
        return self.store.heading_ids(doc_ids)
