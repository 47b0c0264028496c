"""The Chroma store: chunk vectors (through LlamaIndex's ChromaVectorStore), sentence vectors, a manifest."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexCorruptError
from index.types import Chunk, Document, Sentence

__all__ = ["Store", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1
_REBUILD_HINT = "run `rag index --rebuild` to rebuild it from your documents"


def _client(home: Path, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if url:
        from urllib.parse import urlparse

        u = urlparse(url)
        return chromadb.HttpClient(
            host=u.hostname or "127.0.0.1",
            port=u.port or 8000,
            ssl=u.scheme == "https",
            settings=settings,
        )
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
        try:
            self.client = _client(self.home, url)
            meta = {"hnsw:space": "cosine"}
            self.chunks = self.client.get_or_create_collection(f"{collection}_chunks", metadata=meta)
            self.sents = self.client.get_or_create_collection(f"{collection}_sentences", metadata=meta)
        except Exception as exc:  # chromadb raises many unrelated types for a damaged folder
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
        try:
            return max(1, min(int(self.client.get_max_batch_size()), 4096))
        except Exception:
            return 1000

    def add_document(
        self,
        doc: Document,
        chunks: Sequence[Chunk],
        chunk_vecs: np.ndarray,
        sentences: Sequence[Sentence],
        sent_vecs: np.ndarray,
    ) -> None:
        """Write one document's chunks (as LlamaIndex nodes) and sentences, replacing older copies."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        self.delete_document(doc.id)
        base = {
            "doc_id": doc.id,
            "source": doc.path,
            "title": doc.title,
            "publisher": doc.publisher,
            "date": doc.meta.get("date", ""),
        }
        nodes = []
        for chunk, vec in zip(chunks, chunk_vecs):
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
        step = self._batch()
        for i in range(0, len(nodes), step):
            self.vector_store.add(nodes[i : i + step])
        ids = [f"{doc.id}-{doc.sha256[:12]}-s{i:05d}" for i in range(len(sentences))]
        for i in range(0, len(sentences), step):
            part = sentences[i : i + step]
            self.sents.add(
                ids=ids[i : i + step],
                embeddings=sent_vecs[i : i + step],
                documents=[s.text for s in part],
                metadatas=[
                    {"doc_id": doc.id, "start": s.start, "end": s.end, "heading": s.heading, "idx": i + j}
                    for j, s in enumerate(part)
                ],
            )

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk and sentence of ``doc_id`` (all versions)."""
        self.chunks.delete(where={"doc_id": doc_id})
        self.sents.delete(where={"doc_id": doc_id})

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


def _iter_sentence_texts(store: Store) -> list[str]:
    out: list[str] = []
    total = store.sents.count()
    step = store._batch()
    for offset in range(0, total, step):
        got = store.sents.get(include=["documents"], limit=step, offset=offset)
        out.extend(got["documents"] or [])
    return out
