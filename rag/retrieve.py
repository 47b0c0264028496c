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

    BM25 is the persisted index of that generation (``index.bm25``), loaded in ~0.1 s, built from the
    store only when missing (then persisted for the next process unless ``persist`` is false).

    Dense retrieval must not return records of a build that has not committed (or superseded records it
    has not swept yet). The generation filter (``index.generation.live_filters``) guarantees that, but
    Chroma pays for a metadata filter on every record (~75 ms a query at 10,000 documents instead of
    ~3 ms). Such records exist only while a build journal exists: a build writes its journal before
    its first record and deletes it after its sweep. So a query is filtered only while a journal
    exists, and one that ran unfiltered is run again filtered if a journal appeared meanwhile.
    """

    def __init__(
        self, store: Store, embedder: Embedder, k: int = 5, candidates: int = 10, persist: bool = True
    ) -> None:
        from llama_index.core import VectorStoreIndex

        from index.generation import live_filters

        self.store, self.embedder, self.k = store, embedder, k
        manifest = store.committed
        self.filters = live_filters(manifest.get("gen"), manifest.get("retired", ()))
        self.size = sum(int(e.get("chunks", 0)) for e in manifest["docs"].values())
        # Chunks are made by index.chunk, so the index never splits: an explicit no-op transformation keeps
        # LlamaIndex from building its default SentenceSplitter (which loads a tiktoken vocabulary, ~0.3 s).
        self.index = VectorStoreIndex.from_vector_store(
            store.vector_store, embed_model=as_llama_embedding(embedder), transformations=[_chunks_as_they_are()]
        )
        self.dense = self.index.as_retriever(similarity_top_k=candidates, filters=self.filters)
        self.bm25: Any = self._bm25(candidates, persist) if self.size else None
        self.fusion = self._fuse(self.dense)
        # Version 1 indexes have no generations to filter on.
        self._unfiltered = self._fuse(self.index.as_retriever(similarity_top_k=candidates)) if self.filters else None
        # bm25s and the fusion retriever keep per-call state; serialise calls (they take ~ms).
        self._lock = threading.Lock()

    def _fuse(self, dense: Any) -> Any:
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever

        # num_queries=1: no LLM query rewriting; MockLLM keeps LlamaIndex from resolving a default LLM.
        return QueryFusionRetriever(
            [dense] + ([self.bm25] if self.bm25 is not None else []),
            similarity_top_k=self.k,
            num_queries=1,
            mode="reciprocal_rerank",  # type: ignore[arg-type]
            use_async=False,
            llm=MockLLM(),
        )

    def _bm25(self, candidates: int, persist: bool) -> Any:
        from index.bm25 import bm25_dir, bm25_key, build_bm25, load_bm25, save_bm25

        path = bm25_dir(self.store.home, self.store.name, bm25_key(self.store.committed))
        loaded = load_bm25(path, candidates, self.size)
        if loaded is not None:
            return loaded
        built = build_bm25(self.store.live_nodes(self.filters), candidates)
        if built is not None and persist:
            try:
                save_bm25(built, path, replace=False)
            except OSError:  # a read-only index folder: answer anyway, just start slower
                pass
        return built

    def retrieve(self, question: str, query_vec: np.ndarray | None = None, k: int | None = None) -> list[Passage]:
        """Top-``k`` passages for ``question`` (``query_vec`` avoids embedding it twice)."""
        from llama_index.core.schema import QueryBundle

        if self.size == 0:
            return []
        if query_vec is None:
            query_vec = self.embedder.embed([question])[0]
        bundle = QueryBundle(query_str=question, embedding=[float(x) for x in query_vec])
        journal = self.store.journal_path
        with self._lock:
            fast = self._unfiltered is not None and not journal.exists()
            fusion: Any = self._unfiltered if fast else self.fusion
            fusion.similarity_top_k = k or self.k
            hits = fusion.retrieve(bundle)
            if fast and journal.exists():  # a build started meanwhile: its records may be among the hits
                self.fusion.similarity_top_k = k or self.k
                hits = self.fusion.retrieve(bundle)
        return [node_to_passage(h.node, h.score or 0.0, i + 1) for i, h in enumerate(hits)]
