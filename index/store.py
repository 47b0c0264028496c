"""One index's files: the committed manifest, the durable vectors, and the Chroma space of each generation.

Every generation lives in a Chroma *space* of its own (see ``index.generation``): embedded, a folder
``<home>/gens/<name>.g<N>/`` with its own ``PersistentClient``; with a server (``url``, e.g. from
``RAG_CHROMA_URL``; ``make chroma`` starts one), the collection pair ``<name>_chunks_g<N>`` /
``<name>_sentences_g<N>``. A build writes only a space no reader uses, and readers open only the one
the manifest names, after checking it (``index.check``): Chroma never holds the only copy of anything
(``index.vectors`` does), and a damaged space is rebuilt from the durable vectors.

In server mode the vectors Chroma serves live on the server, while the manifest, the durable vectors,
the vocabulary, the BM25 index, the build lock and PDF text copies stay in the local ``home``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.chroma import SEARCH_EF, and_, connect, in_, widened
from index.errors import IndexCorruptError, StoreUnavailableError
from index.generation import Stamp
from index.manifest import (
    MANIFEST_VERSION,
    REBUILD_HINT,
    manifest_file,
    read_manifest,
    write_manifest,
)
from index.types import Sentence
from index.vectors import Vectors
from index.vocab import VOCAB_FORMAT

__all__ = ["Store", "in_order", "MAX_BATCH"]

MAX_BATCH = 5000  # records per Chroma call: below its limit (5,461 for the default SQLite build)
GENS_DIR = "gens"  # embedded spaces: <home>/gens/<name>.g<N>/


class Store:
    """The manifest and the committed Chroma space of one index (``home`` folder).

    Opening checks the committed space first (``index.check``): a damaged one is not opened (Chroma
    can abort the process on some damaged files) and ``problem`` says what is wrong; ``chunks`` and
    ``sents`` are then ``None`` until a build or ``index.publish.repair`` commits a sound one.
    ``opened=False`` reads only the manifest (a build opens and checks the space itself).
    """

    def __init__(self, home: Path, url: str | None = None, collection: str = "rag", *, opened: bool = True) -> None:
        self.home = Path(home)
        self.url = url
        self.name = collection
        self.home.mkdir(parents=True, exist_ok=True)
        self.committed: dict[str, Any] = {}
        self.stamp: Stamp | None = None
        self.problem: str | None = None
        self.space = ""
        self.client: Any = None
        self._system: Any = None
        self.chunks: Any = None
        self.sents: Any = None
        self._vector_store: Any = None
        self.manifest()
        space = str(self.committed.get("space") or "")
        if opened and space and self.committed.get("version") == MANIFEST_VERSION:
            self.use_space(space)
        elif url:
            connect(None, url)  # a server that is down is reported now, naming the URL, not mid-build

    @property
    def current(self) -> bool:
        """Whether a generation of this format is committed (else: none yet, or an index of an older format)."""
        return bool(self.committed.get("space")) and self.committed.get("version") == MANIFEST_VERSION

    def sources(self, root: Path) -> list[Path]:
        """The files the committed manifest names (a PDF by its original), to re-index an older format."""
        out = []
        for source, entry in sorted(self.committed["docs"].items()):
            name = (entry.get("meta") or {}).get("original") or source
            path = Path(name) if Path(name).is_absolute() else root / name
            if path.exists():
                out.append(path)
        return out

    def close(self) -> None:
        """Stop this store's embedded Chroma ``System`` (its memory is freed; calls still running on it fail)."""
        if self._system is not None:
            self._system.stop()
            self._system = None
        self.client = self.chunks = self.sents = self._vector_store = None

    # -- spaces ---------------------------------------------------------------------------
    def names(self, space: str) -> tuple[str, str]:
        """Chroma collection names (chunks, sentences) of ``space``."""
        return f"{self.name}_chunks_{space}", f"{self.name}_sentences_{space}"

    def space_dir(self, space: str) -> Path:
        """The folder of an embedded space."""
        return self.home / GENS_DIR / f"{self.name}.{space}"

    def open_space(self, space: str, sizes: tuple[int, int] | None = None) -> tuple[Any, Any, Any, Any]:
        """``(client, system, chunks, sentences)`` of ``space``; an embedded space gets a ``System`` of its own.

        ``sizes`` (chunks, sentences) creates the collections for that many records: Chroma writes its
        vector index to disk only once ``hnsw:sync_threshold`` records were added, and until then every
        reader rewrites the files from the write log. A threshold no larger than the collection makes
        the writer's files final (``index.check`` relies on that).
        """
        path = None if self.url else self.space_dir(space)
        if path is not None and sizes is None and not path.is_dir():
            raise FileNotFoundError(path)
        client, system = connect(path, self.url)
        try:
            cols = []
            for name, n in zip(self.names(space), sizes or (0, 0)):
                if sizes is None:
                    cols.append(client.get_collection(name))
                    continue
                sync = max(2, min(1000, n))
                meta = {
                    "hnsw:space": "cosine",
                    "hnsw:search_ef": SEARCH_EF,
                    "hnsw:sync_threshold": sync,
                    "hnsw:batch_size": min(100, sync),
                }
                cols.append(client.get_or_create_collection(name, metadata=meta))
        except BaseException:
            if system is not None:
                system.stop()
            raise
        return client, system, widened(cols[0]), widened(cols[1])

    def use_space(self, space: str, check: bool = True) -> None:
        """Answer from ``space`` (the committed one); when ``check``, only once it passed ``verify``."""
        self.close()
        self.space = space
        self.problem, opened = self._open_checked(space, self.committed, check)
        if opened is not None:
            self.client, self._system, self.chunks, self.sents = opened

    def verify(self, space: str, manifest: dict[str, Any]) -> str | None:
        """What is wrong with ``space`` as ``manifest`` describes it (``None``: sound), opened as a reader will."""
        problem, opened = self._open_checked(space, manifest, True)
        if opened is not None and opened[1] is not None:
            opened[1].stop()
        return problem

    def _open_checked(self, space: str, manifest: dict[str, Any], check: bool) -> tuple[str | None, Any]:
        from index.check import check_collections, check_files

        if check and not self.url:
            problem = check_files(self.space_dir(space), manifest)
            if problem is not None:
                return problem, None
        try:
            opened = self.open_space(space)
        except StoreUnavailableError:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # chromadb raises many types (a Rust panic is a BaseException)
            return f"its Chroma space {space} cannot be opened ({type(exc).__name__}: {exc})", None
        problem = check_collections(opened[2], opened[3], manifest) if check else None
        if problem is not None:
            if opened[1] is not None:
                opened[1].stop()
            return problem, None
        return None, opened

    def batch_size(self, client: Any) -> int:
        """Records per Chroma write call: the client's limit, capped at ``MAX_BATCH``."""
        try:
            return max(1, min(int(client.get_max_batch_size()), MAX_BATCH))
        except Exception:
            return 1000

    def require(self) -> None:
        """Raise ``IndexCorruptError`` (naming the fix) if the committed space is damaged."""
        if self.problem:
            raise IndexCorruptError(f"the index at {self.home} is damaged: {self.problem}; {REBUILD_HINT}")

    def spaces(self) -> set[str]:
        """Spaces this store has (committed or left by a killed build), without opening any."""
        if self.url:
            client, _ = connect(None, self.url)
            pattern = re.compile(rf"^{re.escape(self.name)}_(?:chunks|sentences)_(g\d+)$")
            found = set()
            for col in client.list_collections():
                m = pattern.match(col if isinstance(col, str) else col.name)
                if m:
                    found.add(m.group(1))
            return found
        root = self.home / GENS_DIR
        prefix = f"{self.name}."
        if not root.is_dir():
            return set()
        return {p.name[len(prefix) :] for p in root.iterdir() if p.name.startswith(prefix)}

    def drop_space(self, space: str) -> None:
        """Delete ``space`` entirely (never the committed one), without opening it: it may be wedged."""
        if space == self.space and self.chunks is not None:
            self.close()
        if not self.url:
            shutil.rmtree(self.space_dir(space), ignore_errors=True)
            return
        client, _ = connect(None, self.url)
        for name in self.names(space):
            try:
                client.delete_collection(name)
            except Exception:  # already gone (NotFoundError / ValueError, by chromadb version)
                pass

    # -- manifest -------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        """Where the committed manifest lives."""
        return manifest_file(self.home, self.name)

    @property
    def vectors_path(self) -> Path:
        """The durable vectors (``index.vectors``)."""
        return self.home / f"{self.name}_vectors.sqlite"

    def vectors(self, model: str) -> Vectors:
        """The durable vectors of ``model`` (``<embedder>|<chunker>``); the caller closes them."""
        return Vectors(self.vectors_path, model)

    def manifest(self) -> dict[str, Any]:
        """``{"version", "gen", "space", "embedder", "chunker", "docs": {source: {...}}, "files"}`` (no docs: none yet).

        Also remembers it as ``committed``, with the file's ``stamp`` (read twice around the
        read, so a manifest replaced meanwhile is read again rather than paired with the wrong stamp).
        """
        data, self.stamp = read_manifest(self.manifest_path)
        self.committed = data
        return data

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Commit ``data``: written, fsynced, then atomically put in place. From now on readers see what it names."""
        self.stamp = write_manifest(self.manifest_path, data)
        self.committed = data

    def vocab_file(self, gen: int) -> Path:
        """The vocabulary of generation ``gen``."""
        return self.home / f"{self.name}_vocab.g{gen}.v{VOCAB_FORMAT}.npz"

    @property
    def vocab_path(self) -> Path:
        """The committed vocabulary (word stems, frequencies, vectors)."""
        return self.vocab_file(int(self.committed.get("gen") or 0))

    # -- reads ----------------------------------------------------------------------------
    @property
    def vector_store(self) -> Any:
        """LlamaIndex's ``ChromaVectorStore`` over the committed chunk collection."""
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self.require()
            self._vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        return self._vector_store

    @property
    def committed_chunks(self) -> int:
        """Chunks in the opened generation, from its manifest (0 before it is opened)."""
        if self.chunks is None:
            return 0
        return sum(int(e.get("chunks", 0)) for e in self.committed["docs"].values())

    def count(self) -> tuple[int, int]:
        """``(chunks, sentences)`` in the committed space (0, 0 when there is none)."""
        if self.chunks is None:
            return 0, 0
        return self.chunks.count(), self.sents.count()

    def heading_ids(self, doc_ids: Sequence[str]) -> list[str]:
        """Ids of the stored headings of ``doc_ids``."""
        if not doc_ids or self.sents is None:
            return []
        where = and_(in_("doc_id", list(dict.fromkeys(doc_ids))), {"heading": True})
        return list(self.sents.get(where=where, include=[])["ids"])

    def sentences_by_id(self, ids: Sequence[str]) -> dict[str, tuple[Sentence, np.ndarray]]:
        """The stored sentences (with their vectors) among ``ids``, by id; unknown ids are left out."""
        if not ids or self.sents is None:
            return {}
        got = self.sents.get(ids=list(ids), include=["metadatas", "documents", "embeddings"])
        return {
            i: (
                Sentence(str(m["doc_id"]), int(m["start"]), int(m["end"]), d, bool(m["heading"])),
                np.asarray(e, dtype=np.float32),
            )
            for i, m, d, e in zip(got["ids"], got["metadatas"], got["documents"], got["embeddings"])
        }

    def sentences_for(self, ids: Sequence[str]) -> tuple[list[Sentence], np.ndarray]:
        """Sentences (with their vectors) by id, in the order asked; unknown ids are left out."""
        return in_order(self.sentences_by_id(ids), ids)


def in_order(by_id: Mapping[str, tuple[Sentence, np.ndarray]], ids: Sequence[str]) -> tuple[list[Sentence], np.ndarray]:
    """The sentences and vectors of ``by_id`` in the order of ``ids`` (ids not in it left out)."""
    got = [by_id[i] for i in ids if i in by_id]
    if not got:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [s for s, _ in got], np.asarray([v for _, v in got], dtype=np.float32)
