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

from index.store import Store, in_order
from index.types import Sentence

__all__ = ["SentenceMemo"]


class SentenceMemo:
    """``Store.sentences_for`` and ``Store.heading_ids`` over ``store``, each sentence read once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read: dict[str, tuple[Sentence, np.ndarray]] = {}
        self._absent: set[str] = set()  # asked for, not in the store

    def sentences_for(self, ids: Sequence[str]) -> tuple[list[Sentence], np.ndarray]:
        """As ``Store.sentences_for``: sentences (with vectors) by id, in the order asked, unknown ids left out."""
        missing = [i for i in dict.fromkeys(ids) if i not in self._read and i not in self._absent]
        if missing:
            self._read.update(self.store.sentences_by_id(missing))
            self._absent.update(i for i in missing if i not in self._read)
        return in_order(self._read, ids)

    def heading_ids(self, doc_ids: Sequence[str]) -> list[str]:
        """As ``Store.heading_ids`` (not memoised: asked at most once a question)."""
        return self.store.heading_ids(doc_ids)
