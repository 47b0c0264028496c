"""What a question retrieves from one view of the index, handed to the answer stage as ``Evidence``.

The question's terms and vectors, its top passages (the fused top ``depth`` re-ranked by the learned
ranker in an index of at least ``rerank_min_chunks`` chunks) and their sentences as candidates. The
facade (``rag.Assistant``) picks the view and the scope and retries when a generation is swept; this
module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.embed import Embedder
from rag.answer.protocol import Evidence
from rag.answer.question import question_terms
from rag.retrieval.candidates import candidates
from rag.retrieval.live import View
from rag.retrieval.memo import SentenceMemo
from rag.retrieval.rerank import PassageReranker
from rag.types import Passage

__all__ = ["Depth", "gather", "top_passages"]


@dataclass(frozen=True)
class Depth:
    """How deep to read: ``k`` passages kept, re-ranked from the fused top ``rerank`` when the index
    holds at least ``rerank_min_chunks`` chunks (``rerank <= k``: never)."""

    k: int
    rerank: int
    rerank_min_chunks: int

    def reranks(self, chunks: int) -> bool:
        """Whether questions to an index of ``chunks`` chunks are re-ranked."""
        return self.rerank > self.k and chunks >= self.rerank_min_chunks


def top_passages(
    view: View,
    q: str,
    qvec: np.ndarray,
    depth: Depth,
    reranker: PassageReranker,
    scope: frozenset[str] | None = None,
    reads: SentenceMemo | None = None,
) -> list[Passage]:
    """The top ``depth.k`` passages for ``q`` (only from ``scope``, document ids, when given)."""
    if not depth.reranks(view.retriever.size):
        return view.retriever.retrieve(q, qvec, k=depth.k, documents=scope)
    fused = view.retriever.retrieve(q, qvec, k=depth.rerank, documents=scope)
    return reranker.rerank(q, qvec, fused, reads or SentenceMemo(view.store), depth.k)


def gather(
    view: View,
    q: str,
    embedder: Embedder,
    depth: Depth,
    reranker: PassageReranker,
    scope: frozenset[str] | None = None,
) -> Evidence:
    """What ``q`` retrieves: its terms and vectors, passages and candidate sentences.

    ``scope`` (document ids) limits both retrieval and the candidate sentences."""
    qterms = question_terms(q, view.aliases)
    vecs = embedder.embed([q, *[t.lower() for t in qterms.terms]])
    qvec, term_vecs = vecs[0], vecs[1:]
    reads = SentenceMemo(view.store)  # re-ranking and the candidates read the same sentences
    passages = top_passages(view, q, qvec, depth, reranker, scope, reads)
    cands = candidates(q, passages, reads, scope)
    return Evidence(q, qterms, qvec, term_vecs, tuple(passages), tuple(cands))
