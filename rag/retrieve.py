"""Hybrid retrieval with LlamaIndex: dense (Chroma) + BM25, fused by reciprocal rank."""

from __future__ import annotations

import json
import threading
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
    """Dense + BM25 retrievers over one store, fused with LlamaIndex's ``QueryFusionRetriever``."""

    def __init__(self, store: Store, embedder: Embedder, k: int = 5, candidates: int = 10) -> None:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever

        self.store, self.embedder, self.k = store, embedder, k
        self.index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=as_llama_embedding(embedder))
        self.dense = self.index.as_retriever(similarity_top_k=candidates)
        nodes = store.all_nodes()
        self.bm25: Any = None
        retrievers: list[Any] = [self.dense]
        if nodes:
            from llama_index.retrievers.bm25 import BM25Retriever

            self.bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(candidates, len(nodes)))
            retrievers.append(self.bm25)
        self.size = len(nodes)
        # num_queries=1: no LLM query rewriting; MockLLM keeps LlamaIndex from resolving a default LLM.
        self.fusion = QueryFusionRetriever(
            retrievers,
            similarity_top_k=k,
            num_queries=1,
            mode="reciprocal_rerank",  # type: ignore[arg-type]
            use_async=False,
            llm=MockLLM(),
        )
        # bm25s and the fusion retriever keep per-call state; serialise calls (they take ~ms).
        self._lock = threading.Lock()

    def retrieve(self, question: str, query_vec: np.ndarray | None = None, k: int | None = None) -> list[Passage]:
        """Top-``k`` passages for ``question`` (``query_vec`` avoids embedding it twice)."""
        from llama_index.core.schema import QueryBundle

        if self.size == 0:
            return []
        if query_vec is None:
            query_vec = self.embedder.embed([question])[0]
        bundle = QueryBundle(query_str=question, embedding=[float(x) for x in query_vec])
        with self._lock:
            self.fusion.similarity_top_k = k or self.k
            hits = self.fusion.retrieve(bundle)
        return [node_to_passage(h.node, h.score or 0.0, i + 1) for i, h in enumerate(hits)]
