"""Chroma plumbing for ``index.store``: clients (shared or private), ``where`` helpers, chunks as nodes."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import StoreUnavailableError
from index.types import Chunk, Document

__all__ = ["SEARCH_EF", "connect", "unreachable", "widened", "in_", "and_", "split_in", "chunk_nodes"]

_IDS_PER_WHERE = 500  # doc ids per `$in` filter
# Chroma's default HNSW search width (ef_search 100) returned only 2 of the true 10 nearest chunks
# for an acceptance question among 3,500 filler files, and which ones depended on insertion order;
# 500 gave 10/10 (random 384-d vectors, 12k records: recall@10 0.43 -> 0.90 for ~1 ms per query).
SEARCH_EF = 500


def unreachable(url: str, exc: BaseException) -> StoreUnavailableError:
    """The error for a Chroma server that does not answer, naming the URL and the fix."""
    return StoreUnavailableError(
        f"cannot reach the Chroma server at {url} ({type(exc).__name__}: {exc}); "
        "start it (`make chroma`) or unset RAG_CHROMA_URL to use the embedded store"
    )


_CACHE_LOCK = threading.Lock()


def connect(home: Path, url: str | None, private: bool = False) -> tuple[Any, Any]:
    """A Chroma client, and the client's own ``System`` when ``private`` (else ``None``: the shared one)."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if url:
        from urllib.parse import urlparse

        u = urlparse(url)
        try:
            client = chromadb.HttpClient(
                host=u.hostname or "127.0.0.1",
                port=u.port or 8000,
                ssl=u.scheme == "https",
                settings=settings,
            )
            client.heartbeat()
        except Exception as exc:  # ValueError("Could not connect ..."), httpx errors, ...
            raise unreachable(url, exc) from exc
        return client, None
    path = home / "chroma"
    from chromadb.api.shared_system_client import SharedSystemClient as Shared

    key = str(path)
    with _CACHE_LOCK:
        if not path.exists():
            # chromadb caches one client per folder; a folder deleted under a live process must not
            # be served from that stale cache (it would write into a vanished database).
            stale = Shared._identifier_to_system.pop(key, None)
            Shared._identifier_to_refcount.pop(key, None)
            if stale is not None:
                stale.stop()
        if not private:
            return chromadb.PersistentClient(path=key, settings=settings), None
        # An embedded client keeps what it loaded of a collection and never sees vectors another
        # process added since: a reader opening a newly committed generation needs a System of its
        # own. It is kept out of chromadb's per-folder cache (clients only look it up when created),
        # so the shared one stays as it is for everyone else, and it can be stopped with its store.
        shared = Shared._identifier_to_system.pop(key, None), Shared._identifier_to_refcount.pop(key, None)
        try:
            client = chromadb.PersistentClient(path=key, settings=settings)
            own = Shared._identifier_to_system.pop(key)
            Shared._identifier_to_refcount.pop(key, None)
        finally:
            if shared[0] is not None:
                Shared._identifier_to_system[key] = shared[0]
                Shared._identifier_to_refcount[key] = shared[1] or 1
        return client, own


def in_(key: str, values: Sequence[str]) -> dict[str, Any]:
    """``key`` equal to one of ``values``."""
    return {key: values[0]} if len(values) == 1 else {key: {"$in": list(values)}}


def and_(*clauses: dict[str, Any] | None) -> dict[str, Any] | None:
    """All of ``clauses`` (empty ones left out; ``None`` when none is left)."""
    parts = [c for c in clauses if c]
    return None if not parts else parts[0] if len(parts) == 1 else {"$and": parts}


def split_in(where: dict[str, Any] | None) -> list[dict[str, Any] | None]:
    """``where`` as several filters when it is one long ``{"doc_id": {"$in": [...]}}``."""
    if not where or "doc_id" not in where or not isinstance(where["doc_id"], dict):
        return [where]
    ids = where["doc_id"]["$in"]
    return [in_("doc_id", ids[i : i + _IDS_PER_WHERE]) for i in range(0, len(ids), _IDS_PER_WHERE)]


def chunk_nodes(doc: Document, chunks: Sequence[Chunk], vecs: np.ndarray, gen: int) -> list[Any]:
    """One document's chunks as LlamaIndex ``TextNode``s (offsets, spans and generation in their metadata)."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    base = {
        "doc_id": doc.id,
        "source": doc.path,
        "title": doc.title,
        "publisher": doc.publisher,
        "date": doc.meta.get("date", ""),
        "gen": gen,
    }
    nodes = []
    for chunk, vec in zip(chunks, vecs):
        meta = dict(base, start=chunk.start, end=chunk.end, spans=json.dumps(chunk.sentences))
        meta["s_first"] = chunk.first_sentence
        node = TextNode(
            id_=chunk.id,
            text=chunk.text,
            metadata=meta,
            embedding=[float(x) for x in vec],
            excluded_embed_metadata_keys=list(meta),
            excluded_llm_metadata_keys=list(meta),
        )
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc.id)
        nodes.append(node)
    return nodes


def widened(collection: Any) -> Any:
    """``collection`` with a search width of at least ``SEARCH_EF`` (older indexes were made with 100)."""
    try:
        hnsw = (collection.configuration or {}).get("hnsw") or {}
        if int(hnsw.get("ef_search") or 0) < SEARCH_EF:
            collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    except Exception:  # a server or version without configurable HNSW: searches stay narrower
        pass
    return collection
