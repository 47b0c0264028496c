"""The Chroma store: chunk vectors (through LlamaIndex's ChromaVectorStore), sentence vectors, a manifest.

Embedded (``PersistentClient`` under ``home/chroma``) or a Chroma server (``url``, e.g. from
``RAG_CHROMA_URL``; ``make chroma`` starts one). In server mode the vectors live on the server, while the
manifest, the vocabulary (``*_vocab.npz``), the build lock and PDF text copies stay in the local ``home``:
every machine that indexes into the same server collection needs its own ``home`` with them (or a shared
one), and a ``home`` points at one server collection.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexCorruptError, StoreUnavailableError
from index.types import Chunk, Document, Sentence

__all__ = ["Store", "MANIFEST_VERSION", "MAX_BATCH"]

MANIFEST_VERSION = 1
MAX_BATCH = 5000  # records per Chroma call: below its limit (5,461 for the default SQLite build)
_REBUILD_HINT = "run `rag index --rebuild` to rebuild it from your documents"


def _unreachable(url: str, exc: BaseException) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"cannot reach the Chroma server at {url} ({type(exc).__name__}: {exc}); "
        "start it (`make chroma`) or unset RAG_CHROMA_URL to use the embedded store"
    )


def _client(home: Path, url: str | None) -> Any:
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
            raise _unreachable(url, exc) from exc
        return client
    path = home / "chroma"
    if not path.exists():
        # chromadb caches one client per folder; a folder deleted under a live process must not
        # be served from that stale cache (it would write into a vanished database).
        from chromadb.api.shared_system_client import SharedSystemClient

        stale = SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
        if stale is not None:
            stale.stop()
    return chromadb.PersistentClient(path=str(path), settings=settings)


class Store:
    """Chunks, sentences and the per-document manifest of one index (``home`` folder)."""

    def __init__(self, home: Path, url: str | None = None, collection: str = "rag") -> None:
        self.home = Path(home)
        self.url = url
        self.name = collection
        self.home.mkdir(parents=True, exist_ok=True)
        self.client = _client(self.home, url)
        try:
            meta = {"hnsw:space": "cosine"}
            self.chunks = self.client.get_or_create_collection(f"{collection}_chunks", metadata=meta)
            self.sents = self.client.get_or_create_collection(f"{collection}_sentences", metadata=meta)
        except Exception as exc:  # chromadb raises many unrelated types for a damaged folder
            if url:
                raise _unreachable(url, exc) from exc
            raise IndexCorruptError(
                f"the index at {self.home} cannot be opened ({type(exc).__name__}: {exc}); {_REBUILD_HINT}"
            ) from exc
        self._vector_store: Any = None

    # -- manifest -------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        """Where the per-document manifest lives."""
        return self.home / f"{self.name}_manifest.json"

    def manifest(self) -> dict[str, Any]:
        """``{"version", "embedder", "docs": {source: {...}}}``; empty docs when none yet."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": MANIFEST_VERSION, "docs": {}}
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(
                f"the index manifest {self.manifest_path} is unreadable ({exc}); {_REBUILD_HINT}"
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("docs"), dict):
            raise IndexCorruptError(f"the index manifest {self.manifest_path} is malformed; {_REBUILD_HINT}")
        return data

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Atomic replace: a crash leaves the old manifest or the new one, never half of one."""
        tmp = self.manifest_path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.manifest_path)

    # -- writes ---------------------------------------------------------------------------
    @property
    def vector_store(self) -> Any:
        """LlamaIndex's ``ChromaVectorStore`` over the chunk collection."""
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        return self._vector_store

    def _batch(self) -> int:
        if getattr(self, "_max_batch", None) is None:
            try:
                self._max_batch = max(1, min(int(self.client.get_max_batch_size()), MAX_BATCH))
            except Exception:
                self._max_batch = 1000
        return int(self._max_batch)

    def add_document(
        self,
        doc: Document,
        chunks: Sequence[Chunk],
        chunk_vecs: np.ndarray,
        sentences: Sequence[Sentence],
        sent_vecs: np.ndarray,
    ) -> None:
        """Write one document's chunks (as LlamaIndex nodes) and sentences, replacing older copies."""
        self.add_documents([(doc, chunks, chunk_vecs, sentences, sent_vecs)])

    def add_documents(self, items: Sequence[DocVectors]) -> None:
        """Write several documents at once (one delete, then writes of at most ``MAX_BATCH`` records).

        Older copies of each document (any version, or part of one left by a killed build) go first,
        so a resumed build never duplicates chunks.
        """
        if not items:
            return
        self.delete_documents([doc.id for doc, *_ in items])
        nodes: list[Any] = []
        sent_ids: list[str] = []
        sent_texts: list[str] = []
        sent_meta: list[dict[str, Any]] = []
        sent_vecs: list[np.ndarray] = []
        for doc, chunks, chunk_vecs, sentences, svecs in items:
            nodes.extend(_nodes(doc, chunks, chunk_vecs))
            sent_ids.extend(f"{doc.id}-{doc.sha256[:12]}-s{i:05d}" for i in range(len(sentences)))
            sent_texts.extend(s.text for s in sentences)
            sent_meta.extend(
                {"doc_id": doc.id, "start": s.start, "end": s.end, "heading": s.heading, "idx": i}
                for i, s in enumerate(sentences)
            )
            if len(sentences):
                sent_vecs.append(np.asarray(svecs, dtype=np.float32).reshape(len(sentences), -1))
        step = self._batch()
        for i in range(0, len(nodes), step):
            self.vector_store.add(nodes[i : i + step])
        vecs = np.concatenate(sent_vecs) if sent_vecs else np.zeros((0, 0), dtype=np.float32)
        for i in range(0, len(sent_ids), step):
            self.sents.add(
                ids=sent_ids[i : i + step],
                embeddings=vecs[i : i + step],
                documents=sent_texts[i : i + step],
                metadatas=sent_meta[i : i + step],  # type: ignore[arg-type]
            )

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk and sentence of ``doc_id`` (all versions)."""
        self.delete_documents([doc_id])

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Remove every chunk and sentence of each of ``doc_ids`` (all versions)."""
        ids = list(dict.fromkeys(doc_ids))
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            where: Any = {"doc_id": part[0]} if len(part) == 1 else {"doc_id": {"$in": part}}
            self.chunks.delete(where=where)
            self.sents.delete(where=where)

    def sentence_texts_of(self, doc_ids: Sequence[str]) -> list[str]:
        """Text of the stored sentences of ``doc_ids`` (to take them out of the vocabulary counts)."""
        out: list[str] = []
        ids = list(dict.fromkeys(doc_ids))
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            where: Any = {"doc_id": part[0]} if len(part) == 1 else {"doc_id": {"$in": part}}
            out.extend(self.sents.get(where=where, include=["documents"])["documents"] or [])
        return out

    # -- reads ----------------------------------------------------------------------------
    def count(self) -> tuple[int, int]:
        """``(chunks, sentences)`` currently stored."""
        return self.chunks.count(), self.sents.count()

    def all_nodes(self) -> list[Any]:
        """Every chunk as a LlamaIndex ``TextNode`` (to build the BM25 retriever)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        out = []
        total = self.chunks.count()
        step = self._batch()
        for offset in range(0, total, step):
            got = self.chunks.get(include=["metadatas", "documents"], limit=step, offset=offset)
            for meta, text in zip(got["metadatas"] or [], got["documents"] or []):
                node = metadata_dict_to_node(dict(meta), text=text)
                out.append(node)
        return out

    @property
    def vocab_path(self) -> Path:
        """Where the corpus vocabulary (word stems, frequencies, vectors) is kept."""
        return self.home / f"{self.name}_vocab.npz"

    def sentence_texts(self) -> list[str]:
        """Text of every stored sentence (to rebuild the vocabulary)."""
        return _iter_sentence_texts(self)

    def sentences_for(self, ids: Sequence[str]) -> tuple[list[Sentence], np.ndarray]:
        """Sentences (with their vectors) by id, in the order asked; unknown ids are left out."""
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        got = self.sents.get(ids=list(ids), include=["metadatas", "documents", "embeddings"])
        by_id = {i: (m, d, e) for i, m, d, e in zip(got["ids"], got["metadatas"], got["documents"], got["embeddings"])}
        sents, vecs = [], []
        for i in ids:
            if i in by_id:
                m, d, e = by_id[i]
                sents.append(Sentence(str(m["doc_id"]), int(m["start"]), int(m["end"]), d, bool(m["heading"])))
                vecs.append(e)
        return sents, np.asarray(vecs, dtype=np.float32)


DocVectors = tuple[Document, Sequence[Chunk], np.ndarray, Sequence[Sentence], np.ndarray]


def _nodes(doc: Document, chunks: Sequence[Chunk], vecs: np.ndarray) -> list[Any]:
    """One document's chunks as LlamaIndex ``TextNode``s (offsets and spans in their metadata)."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    base = {
        "doc_id": doc.id,
        "source": doc.path,
        "title": doc.title,
        "publisher": doc.publisher,
        "date": doc.meta.get("date", ""),
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


def _iter_sentence_texts(store: Store) -> list[str]:
    out: list[str] = []
    total = store.sents.count()
    step = store._batch()
    for offset in range(0, total, step):
        got = store.sents.get(include=["documents"], limit=step, offset=offset)
        out.extend(got["documents"] or [])
    return out
