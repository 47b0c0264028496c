"""Gathering a question's evidence from one view: the passages the facade retrieves, their sentences as
candidates, and re-ranking only where the depth and the index size call for it."""

from __future__ import annotations

import pytest

from rag.retrieval.evidence import Depth, gather, top_passages

QUESTION = "How long are Chinese rare-earth export licences valid at the moment?"


class _NoReranking:
    def rerank(self, *args, **kwargs):  # logic test: the seeds are far below the re-ranking threshold
        raise AssertionError("re-ranked")


def test_gather_reads_the_passages_the_facade_retrieves(assistant) -> None:
    view = assistant._live.current()
    depth = Depth(4, rerank=20, rerank_min_chunks=1000)
    got = gather(view, QUESTION, assistant.embedder, depth, _NoReranking(), None)  # type: ignore[arg-type]
    assert [p.chunk.id for p in got.passages] == [p.chunk.id for p in assistant.retrieve(QUESTION, k=4)]
    texts = {p.chunk.doc_id: p for p in got.passages}
    assert got.candidates and all(s.doc_id in texts for s, _, _ in got.candidates)
    assert got.qvec.ndim == 1 and len(got.term_vecs) == len(got.terms.terms)


@pytest.mark.parametrize("depth", [Depth(4, rerank=4, rerank_min_chunks=0), Depth(4, rerank=20, rerank_min_chunks=9)])
def test_no_reranking_when_it_would_not_reach_deeper_or_the_index_is_small(assistant, depth) -> None:
    view = assistant._live.current()
    qvec = assistant.embedder.embed([QUESTION])[0]
    got = top_passages(view, QUESTION, qvec, depth, _NoReranking())  # type: ignore[arg-type]
    assert len(got) == 4
