"""Hybrid retrieval with LlamaIndex: dense (Chroma) + BM25, fused by reciprocal rank."""

from __future__ import annotations

import json
import threading
from collections.abc import Collection
from typing import Any

import numpy as np

from index.embed import Embedder
from index.store import Store
from index.types import Chunk
from rag.types import Passage

__all__ = ["HybridRetriever", "as_llama_embedding", "node_to_passage"]


def as_llama_embedding(embedder: Embedder) -> Any:
    """Wrap our ``Embedder`` as a LlamaIndex ``BaseEmbedding`` (so notebooks can reuse it)."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class _Adapter(BaseEmbedding):
        _inner: Any = PrivateAttr()

        def __init__(self, inner: Embedder) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=32)
            self._inner = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in self._inner.embed([query])[0]]

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_query_embedding(text)

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in v] for v in self._inner.embed(texts)]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return _Adapter(embedder)


def _chunks_as_they_are() -> Any:
    """A LlamaIndex transformation that returns nodes unchanged."""
    from llama_index.core.schema import TransformComponent

    class _AsIs(TransformComponent):
        def __call__(self, nodes: Any, **kwargs: Any) -> Any:
            return nodes

    return _AsIs()


def node_to_passage(node: Any, score: float, rank: int) -> Passage:
    """Turn a retrieved LlamaIndex node back into our ``Passage`` (offsets come from its metadata)."""
    m = node.metadata
    chunk = Chunk(
        id=node.node_id,
        doc_id=str(m["doc_id"]),
        text=node.get_content(),
        start=int(m["start"]),
        end=int(m["end"]),
        sentences=tuple((int(a), int(b)) for a, b in json.loads(m["spans"])),
        first_sentence=int(m.get("s_first", 0)),
    )
    return Passage(
        chunk=chunk,
        score=float(score),
        rank=rank,
        source=str(m.get("source", "")),
        title=str(m.get("title", "")),
        publisher=str(m.get("publisher", "")),
    )


class HybridRetriever:
    """Dense + BM25 retrievers over the committed generation of one store, fused by ``QueryFusionRetriever``.

    The store's space holds exactly one committed generation (``index.generation``), so no query needs
    a generation filter. BM25 is the persisted index of that generation (``index.bm25``), loaded in
    ~0.1 s; when it is missing the index is opened without it until ``index.publish.repair`` re-makes it.
    """

    def __init__(self, store: Store, embedder: Embedder, k: int = 5, candidates: int = 10) -> None:
        from llama_index.core import VectorStoreIndex

        self.store, self.embedder, self.k = store, embedder, k
        self.size = store.committed_chunks
        self.dense: Any = None
        self.bm25: Any = None
        if self.size:
            # Chunks are made by index.chunk, so the index never splits: an explicit no-op transformation keeps
            # LlamaIndex from building its default SentenceSplitter (which loads a tiktoken vocabulary, ~0.3 s).
            index = VectorStoreIndex.from_vector_store(
                store.vector_store, embed_model=as_llama_embedding(embedder), transformations=[_chunks_as_they_are()]
            )
            self.dense = index.as_retriever(similarity_top_k=candidates)
            self.bm25 = self._bm25(candidates)
        self._bm25_docs: np.ndarray | None = None  # document id of each BM25 corpus row, read on first filter
        self.fusion = self._fuse() if self.size else None
        # bm25s and the fusion retriever keep per-call state; serialise calls (they take ~ms).
        self._lock = threading.Lock()

    def _fuse(self) -> Any:
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever

        # num_queries=1: no LLM query rewriting; MockLLM keeps LlamaIndex from resolving a default LLM.
        return QueryFusionRetriever(
            [self.dense] + ([self.bm25] if self.bm25 is not None else []),
            similarity_top_k=self.k,
            num_queries=1,
            mode="reciprocal_rerank",  # type: ignore[arg-type]
            use_async=False,
            llm=MockLLM(),
        )

    def _bm25(self, candidates: int) -> Any:
        from index.bm25 import bm25_dir, load_bm25

        return load_bm25(bm25_dir(self.store.home, self.store.name, self.store.space), candidates, self.size)

    def retrieve(
        self,
        question: str,
        query_vec: np.ndarray | None = None,
        k: int | None = None,
        documents: Collection[str] | None = None,
    ) -> list[Passage]:
        """Top-``k`` passages for ``question`` (``query_vec`` avoids embedding it twice).

        ``documents`` (ids), when given, is the only documents passages may come from: Chroma filters the
        dense search by ``doc_id`` and BM25 scores other documents' chunks zero, so the top hits are
        searched among the allowed documents only (not cut from the unfiltered top); hits are checked
        against it again after fusion.
        """
        from llama_index.core.schema import QueryBundle

        if self.fusion is None or (documents is not None and not documents):
            return []
        if query_vec is None:
            query_vec = self.embedder.embed([question])[0]
        bundle = QueryBundle(query_str=question, embedding=[float(x) for x in query_vec])
        allowed = None if documents is None else {str(d) for d in documents}
        with self._lock:
            self.fusion.similarity_top_k = k or self.k
            self._scope(allowed)
            try:
                hits = self.fusion.retrieve(bundle)
            finally:
                self._scope(None)
        if allowed is not None:
            hits = [h for h in hits if str(h.node.metadata.get("doc_id")) in allowed]
        return [node_to_passage(h.node, h.score or 0.0, i + 1) for i, h in enumerate(hits)]

    def _scope(self, allowed: set[str] | None) -> None:
        """Restrict the dense and BM25 retrievers to ``allowed`` documents (``None``: all). Under ``_lock``."""
        from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

        if allowed is None:
            self.dense._filters = None
        else:
            only = MetadataFilter(key="doc_id", value=sorted(allowed), operator=FilterOperator.IN)
            self.dense._filters = MetadataFilters(filters=[only])
        if self.bm25 is None:
            return
        if allowed is None:
            self.bm25.corpus_weight_mask = None
            return
        if self._bm25_docs is None:
            self._bm25_docs = np.array([str(row.get("doc_id", "")) for row in self.bm25.corpus], dtype=object)
        # Rows of other documents score zero; if they still fill the top hits, the post-fusion check drops them.
        self.bm25.corpus_weight_mask = np.isin(self._bm25_docs, list(allowed)).astype(np.int32).tolist()
