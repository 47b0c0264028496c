"""The sentences a question's answer is chosen from: those of its retrieved passages (and, for a
question about headings, the headings of the documents read)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from index.store import Store
from index.types import Sentence
from rag.answer.headings import asks_heading
from rag.retrieval.memo import SentenceMemo
from rag.types import Passage

__all__ = ["candidates"]


def candidates(
    question: str, passages: Sequence[Passage], store: Store | SentenceMemo, documents: Collection[str] | None = None
) -> list[tuple[Sentence, np.ndarray, int]]:
    """``(sentence, vector, passage rank)`` for every sentence of ``passages``, in passage order.

    ``documents`` (ids), when given, is the only documents a sentence may come from: retrieval is
    already scoped to them, and this keeps the answer stage from ever citing another one.
    """
    if documents is not None:
        allowed = set(documents)
        passages = [p for p in passages if p.chunk.doc_id in allowed]
    ids: list[str] = []
    ranks: dict[str, int] = {}
    for p in passages:
        for sid in p.chunk.sentence_ids:
            if sid not in ranks:
                ranks[sid] = p.rank
                ids.append(sid)
    if asks_heading(question):
        # The headings of the documents read, wherever they are; only of the version retrieved (a
        # sentence id is "<doc>-<sha>-s<n>").
        versions = {sid.rsplit("-s", 1)[0]: ranks[sid] for sid in ids}
        for hid in store.heading_ids(sorted({p.chunk.doc_id for p in passages})):
            version = hid.rsplit("-s", 1)[0]
            if hid not in ranks and version in versions:
                ranks[hid] = versions[version]
                ids.append(hid)
    sents, vecs = store.sentences_for(ids)
    out = [(s, v, ranks[i]) for s, v, i in zip(sents, vecs, ids)]
    return out if documents is None else [c for c in out if c[0].doc_id in allowed]
