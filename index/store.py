"""The Chroma store: chunk vectors (through LlamaIndex's ChromaVectorStore), sentence vectors, a manifest.

Embedded (``PersistentClient`` under ``home/chroma``) or a Chroma server (``url``, e.g. from
``RAG_CHROMA_URL``; ``make chroma`` starts one). In server mode the vectors live on the server, while the
manifest, the vocabulary, the BM25 index, the build lock and PDF text copies stay in the local ``home``:
every machine that indexes into the same server collection needs its own ``home`` with them (or a shared
one), and a ``home`` points at one server collection.

Generations (see ``index.generation``): every record carries the number of the build that wrote it
(metadata ``gen``); the manifest names the committed generation and the collection pair (``space``) it
lives in, and readers only look at committed records.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.chroma import SEARCH_EF, and_, chunk_nodes, connect, in_, split_in, unreachable, widened
from index.errors import IndexCorruptError
from index.generation import Stamp, file_stamp
from index.types import Chunk, Document, Sentence

__all__ = ["Store", "MANIFEST_VERSION", "MAX_BATCH", "DocVectors"]

DocVectors = tuple[Document, Sequence[Chunk], np.ndarray, Sequence[Sentence], np.ndarray]

MANIFEST_VERSION = 2  # 2: records carry `gen`; the manifest names the committed generation and space
MAX_BATCH = 5000  # records per Chroma call: below its limit (5,461 for the default SQLite build)
_REBUILD_HINT = "run `rag index --rebuild` to rebuild it from your documents"


class Store:
    """Chunks, sentences and the manifest of one index (``home`` folder), opened on its committed space.

    ``private``: an embedded store gets a Chroma ``System`` of its own instead of the process-wide one,
    so that it sees what other processes wrote since that one was opened; ``close`` stops it.
    """

    def __init__(self, home: Path, url: str | None = None, collection: str = "rag", *, private: bool = False) -> None:
        self.home = Path(home)
        self.url = url
        self.name = collection
        self.home.mkdir(parents=True, exist_ok=True)
        self.client, self._system = connect(self.home, url, private)
        self.committed: dict[str, Any] = {}
        self.stamp: Stamp | None = None
        self.manifest()
        self.use_space(str(self.committed.get("space", "")))

    def close(self) -> None:
        """Stop a private Chroma ``System`` (its memory is freed; calls still running on it fail)."""
        if self._system is not None:
            self._system.stop()
            self._system = None

    # -- collections ----------------------------------------------------------------------
    def names(self, space: str) -> tuple[str, str]:
        """Chroma collection names (chunks, sentences) of ``space`` ("" is the original pair)."""
        suffix = f"_{space}" if space else ""
        return f"{self.name}_chunks{suffix}", f"{self.name}_sentences{suffix}"

    def use_space(self, space: str) -> None:
        """Point ``chunks``/``sents``/``vector_store`` at the collections of ``space`` (created if missing)."""
        chunks, sents = self.names(space)
        try:
            meta = {"hnsw:space": "cosine", "hnsw:search_ef": SEARCH_EF}
            self.chunks = widened(self.client.get_or_create_collection(chunks, metadata=meta))
            self.sents = widened(self.client.get_or_create_collection(sents, metadata=meta))
        except Exception as exc:  # chromadb raises many unrelated types for a damaged folder
            if self.url:
                raise unreachable(self.url, exc) from exc
            raise IndexCorruptError(
                f"the index at {self.home} cannot be opened ({type(exc).__name__}: {exc}); {_REBUILD_HINT}"
            ) from exc
        self.space = space
        self._vector_store: Any = None

    def spaces(self) -> set[str]:
        """Spaces that have collections in this store (other homes' collections are not matched)."""
        pattern = re.compile(rf"^{re.escape(self.name)}_(?:chunks|sentences)(?:_(g\d+))?$")
        found = set()
        for col in self.client.list_collections():
            m = pattern.match(col if isinstance(col, str) else col.name)
            if m:
                found.add(m.group(1) or "")
        return found

    def drop_space(self, space: str) -> None:
        """Delete both collections of ``space`` (callers never drop the committed ones)."""
        for name in self.names(space):
            try:
                self.client.delete_collection(name)
            except Exception:  # already gone (NotFoundError / ValueError, by chromadb version)
                pass

    # -- manifest and build journal --------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        """Where the committed manifest lives."""
        return self.home / f"{self.name}_manifest.json"

    @property
    def journal_path(self) -> Path:
        """Where a running (or killed) build records its progress; readers only check whether it exists."""
        return self.home / f"{self.name}_build.json"

    def manifest(self) -> dict[str, Any]:
        """``{"version", "gen", "space", "embedder", "docs": {source: {...}}, ...}``; empty docs when none yet.

        Also remembers it as ``committed``, with the file's ``stamp`` (read twice around the
        read, so a manifest replaced meanwhile is read again rather than paired with the wrong stamp).
        """
        for _ in range(5):
            before = file_stamp(self.manifest_path)
            data = self._read_json(self.manifest_path)
            if file_stamp(self.manifest_path) == before:
                break
        if data is None:
            data = {"version": MANIFEST_VERSION, "docs": {}}
        if not isinstance(data.get("docs"), dict):
            raise IndexCorruptError(f"the index manifest {self.manifest_path} is malformed; {_REBUILD_HINT}")
        self.committed, self.stamp = data, before
        return data

    def _read_json(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"the index file {path} is unreadable ({exc}); {_REBUILD_HINT}") from exc
        if not isinstance(data, dict):
            raise IndexCorruptError(f"the index file {path} is malformed; {_REBUILD_HINT}")
        return data

    def _write_json(self, path: Path, data: dict[str, Any]) -> None:
        """Atomic replace: a crash leaves the old file or the new one, never half of one."""
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Commit ``data`` (atomic replace): from now on readers see exactly what it names."""
        self._write_json(self.manifest_path, data)
        self.committed, self.stamp = data, file_stamp(self.manifest_path)

    def journal(self) -> dict[str, Any] | None:
        """The progress record of an unfinished build, if any (a damaged one counts as none)."""
        try:
            return self._read_json(self.journal_path)
        except IndexCorruptError:
            return None

    def write_journal(self, data: dict[str, Any]) -> None:
        """Record build progress (atomic replace)."""
        self._write_json(self.journal_path, data)

    def drop_journal(self) -> None:
        """Forget the build record (after its generation is committed or given up)."""
        self.journal_path.unlink(missing_ok=True)

    def vocab_file(self, gen: int | None) -> Path:
        """The vocabulary of generation ``gen`` (``None``: the single file of a version-1 index)."""
        return self.home / (f"{self.name}_vocab.npz" if gen is None else f"{self.name}_vocab.g{gen}.npz")

    @property
    def vocab_path(self) -> Path:
        """The committed vocabulary (word stems, frequencies, vectors)."""
        return self.vocab_file(self.committed.get("gen"))

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

    def add_documents(self, items: Sequence[DocVectors], gen: int) -> None:
        """Write several documents' chunks (as LlamaIndex nodes) and sentences, tagged ``gen``.

        A copy of one of them already tagged ``gen`` (part of one left by a killed build) goes first,
        so a resumed build never duplicates chunks; versions of older generations are left alone,
        since readers of the committed generation still use them.
        """
        if not items:
            return
        self.delete_where(in_("doc_id", [doc.id for doc, *_ in items]), gen=gen)
        nodes: list[Any] = []
        sent_ids: list[str] = []
        sent_texts: list[str] = []
        sent_meta: list[dict[str, Any]] = []
        sent_vecs: list[np.ndarray] = []
        for doc, chunks, chunk_vecs, sentences, svecs in items:
            nodes.extend(chunk_nodes(doc, chunks, chunk_vecs, gen))
            sent_ids.extend(f"{doc.id}-{doc.sha256[:12]}-s{i:05d}" for i in range(len(sentences)))
            sent_texts.extend(s.text for s in sentences)
            sent_meta.extend(
                {"doc_id": doc.id, "start": s.start, "end": s.end, "heading": s.heading, "idx": i, "gen": gen}
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

    def delete_where(self, where: dict[str, Any] | None = None, gen: int | None = None, below: bool = False) -> None:
        """Delete chunks and sentences matching ``where`` and, if given, tagged ``gen`` (``below``: older).

        Doc-id lists are split so no single filter grows past a few hundred ids.
        """
        gen_clause = None if gen is None else {"gen": {"$lt": gen} if below else gen}
        for part in split_in(where):
            clause = and_(part, gen_clause)
            assert clause, "refusing to delete every record"
            self.chunks.delete(where=clause)
            self.sents.delete(where=clause)

    def delete_documents(self, doc_ids: Sequence[str], gen: int | None = None, below: bool = False) -> None:
        """Delete the records of ``doc_ids`` (all versions, or those of generation ``gen`` / below it)."""
        ids = list(dict.fromkeys(doc_ids))
        if ids:
            self.delete_where(in_("doc_id", ids), gen, below)

    def delete_ids(self, chunk_ids: Sequence[str], sent_ids: Sequence[str]) -> None:
        """Delete records by id."""
        step = self._batch()
        for col, ids in ((self.chunks, list(chunk_ids)), (self.sents, list(sent_ids))):
            for i in range(0, len(ids), step):
                col.delete(ids=ids[i : i + step])

    def records(self, which: str, where: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """``(id, metadata)`` of every record of ``which`` ("chunks" or "sents") matching ``where``."""
        col = self.chunks if which == "chunks" else self.sents
        out: list[tuple[str, dict[str, Any]]] = []
        step = self._batch()
        offset = 0
        while True:
            got = col.get(where=where, include=["metadatas"], limit=step, offset=offset)
            out.extend(zip(got["ids"], [dict(m or {}) for m in got["metadatas"] or []]))
            if len(got["ids"]) < step:
                return out
            offset += step

    def tag(self, which: str, ids: Sequence[str], gen: int) -> None:
        """Set ``gen`` on existing records (Chroma merges it into their metadata; a version-1 upgrade)."""
        col = self.chunks if which == "chunks" else self.sents
        step = self._batch()
        for i in range(0, len(ids), step):
            part = list(ids[i : i + step])
            col.update(ids=part, metadatas=[{"gen": gen}] * len(part))

    # -- reads ----------------------------------------------------------------------------
    def count(self) -> tuple[int, int]:
        """``(chunks, sentences)`` stored in the current space (committed or not)."""
        return self.chunks.count(), self.sents.count()

    def live_nodes(self, filters: Any) -> list[Any]:
        """The chunks ``filters`` (LlamaIndex ``MetadataFilters``) lets through, as ``TextNode``s, by id."""
        nodes = self.vector_store.get_nodes(None, filters=filters)
        return sorted(nodes, key=lambda n: n.node_id)  # same order however the build went: same BM25 ties

    def sentence_texts(self, where: dict[str, Any] | None = None) -> list[str]:
        """Text of every stored sentence matching ``where`` (to rebuild the vocabulary)."""
        out: list[str] = []
        step = self._batch()
        offset = 0
        while True:
            got = self.sents.get(where=where, include=["documents"], limit=step, offset=offset)
            out.extend(got["documents"] or [])
            if len(got["ids"]) < step:
                return out
            offset += step

    def sentence_texts_of(self, doc_ids: Sequence[str], gen: int | None = None) -> list[str]:
        """Text of the stored sentences of ``doc_ids`` (of generations up to ``gen``, if given)."""
        out: list[str] = []
        ids = list(dict.fromkeys(doc_ids))
        for part in split_in(in_("doc_id", ids) if ids else None):
            where = and_(part, None if gen is None else {"gen": {"$lte": gen}})
            out.extend(self.sents.get(where=where, include=["documents"])["documents"] or [])
        return out

    def heading_ids(self, doc_ids: Sequence[str]) -> list[str]:
        """Ids of the stored headings of ``doc_ids`` (every version stored: callers match the one they read)."""
        where = and_(in_("doc_id", list(dict.fromkeys(doc_ids))), {"heading": True})
        return list(self.sents.get(where=where, include=[])["ids"]) if doc_ids else []

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
