"""Chroma plumbing for ``index.store``: clients, ``where`` helpers, chunks as LlamaIndex nodes."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.errors import StoreUnavailableError
from index.vectors import Record

__all__ = ["SEARCH_EF", "connect", "unreachable", "widened", "in_", "and_", "chunk_nodes"]

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


def connect(path: Path | None, url: str | None) -> tuple[Any, Any]:
    """A Chroma client for the server at ``url``, or for the embedded folder ``path`` with a ``System`` of its own.

    Returns ``(client, system)``; ``system`` is ``None`` for a server client. An embedded client gets
    its own ``System``, kept out of chromadb's per-folder cache, so that it can be stopped with its
    store and a folder deleted and made again (a killed build's space) is never served from a stale one.
    """
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
    assert path is not None, "an embedded store needs a folder"
    from chromadb.api.shared_system_client import SharedSystemClient as Shared

    key = str(path)
    with _CACHE_LOCK:
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


def chunk_nodes(base: dict[str, Any], chunks: Sequence[Record]) -> list[Any]:
    """One document's stored chunks as LlamaIndex ``TextNode``s.

    ``base`` is the document's part of the metadata (``doc_id``, ``source``, ``title``, ``publisher``,
    ``date``: from the manifest, so an edited title needs no re-embedding); each record adds its offsets
    and sentence spans.
    """
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    nodes = []
    for rec in chunks:
        meta = dict(base, start=rec.meta["start"], end=rec.meta["end"], spans=json.dumps(rec.meta["spans"]))
        meta["s_first"] = rec.meta["s_first"]
        node = TextNode(
            id_=rec.id,
            text=rec.text,
            metadata=meta,
            embedding=[float(x) for x in rec.vec],
            excluded_embed_metadata_keys=list(meta),
            excluded_llm_metadata_keys=list(meta),
        )
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=str(base["doc_id"]))
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
