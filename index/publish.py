"""Make a set of document versions the committed generation: Chroma space written from the durable vectors,
checked, derived files written, then one atomic manifest swap, then the sweep.

Nothing here embeds a chunk or a sentence: every record comes from ``index.vectors``. So a generation
killed at any point costs only its own space, and ``repair`` rebuilds a damaged committed space the
same way. Records are written in one fixed order (documents by source, records by position), so a
resumed build gives the same Chroma contents, and the same HNSW graph, as a clean one.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index.bm25 import BM25_MARK, bm25_dir, build_bm25, load_bm25, save_bm25
from index.check import expected_counts, fingerprint
from index.chroma import chunk_nodes
from index.embed import Embedder
from index.errors import IndexBusyError, IndexCorruptError
from index.failpoints import failpoint
from index.lock import index_lock
from index.manifest import MANIFEST_VERSION, REBUILD_HINT
from index.store import Store
from index.vectors import CorruptRowError, StoredVersion, Vectors, version_key
from index.vocab import TermCounts, Vocab, vocab_from_counts

__all__ = ["publish", "repair", "sweep", "model_key", "BM25_TOP_K"]

BM25_TOP_K = 10  # persisted default only: each reader sets its own number of candidates
_VERSIONS_PER_READ = 200


def model_key(embedder: str, chunker: str) -> str:
    """What durable vectors are keyed by: another embedder or chunker never reuses them."""
    return f"{embedder}|{chunker}"


def doc_base(source: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The document part of a chunk's metadata, from its manifest entry."""
    meta = entry.get("meta") or {}
    return {
        "doc_id": entry["id"],
        "source": source,
        "title": meta.get("title") or source.rsplit("/", 1)[-1],
        "publisher": meta.get("publisher", ""),
        "date": meta.get("date", ""),
    }


def _stored(vectors: Vectors, docs: dict[str, Any]) -> Iterator[tuple[str, StoredVersion]]:
    """Every document's stored version, in source order (raises ``CorruptRowError`` on a damaged one)."""
    order = sorted(docs)
    for i in range(0, len(order), _VERSIONS_PER_READ):
        part = order[i : i + _VERSIONS_PER_READ]
        keys = [version_key(docs[s]["id"], docs[s]["sha256"]) for s in part]
        yield from zip(part, vectors.get(keys))


def _write_space(store: Store, space: str, vectors: Vectors, docs: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """Write every document's records into a new ``space``; returns the chunk nodes and sentence texts."""
    store.drop_space(space)  # whatever a killed build left there
    client, system, chunks, sents = store.open_space(space, sizes=expected_counts({"docs": docs}))
    from llama_index.vector_stores.chroma import ChromaVectorStore

    vector_store = ChromaVectorStore(chroma_collection=chunks)
    step = store.batch_size(client)
    nodes: list[Any] = []
    texts: list[str] = []
    pending: list[tuple[str, np.ndarray, str, dict[str, Any]]] = []
    written = len(nodes)

    def flush_chunks(force: bool) -> None:
        nonlocal written
        while len(nodes) - written >= step or (force and len(nodes) > written):
            part = nodes[written : written + step]
            failpoint("chroma.add")
            vector_store.add(part)
            failpoint("chroma.added")
            written += len(part)

    def flush_sents(force: bool) -> None:
        while len(pending) >= step or (force and pending):
            part, pending[:] = pending[:step], pending[step:]
            failpoint("chroma.add")
            sents.add(
                ids=[p[0] for p in part],
                embeddings=np.stack([p[1] for p in part]),
                documents=[p[2] for p in part],
                metadatas=[p[3] for p in part],  # type: ignore[arg-type]
            )
            failpoint("chroma.added")

    try:
        for source, stored in _stored(vectors, docs):
            nodes.extend(chunk_nodes(doc_base(source, docs[source]), stored.chunks))
            for rec in stored.sentences:
                pending.append((rec.id, rec.vec, rec.text, dict(rec.meta, doc_id=stored.doc_id)))
                texts.append(rec.text)
            flush_chunks(False)
            flush_sents(False)
        flush_chunks(True)
        flush_sents(True)
        # A lone record is below any sync threshold Chroma accepts (2): written twice, it reaches it.
        if len(nodes) == 1:
            vector_store.add(nodes)
        if len(texts) == 1:
            last = sents.get(include=["embeddings", "documents", "metadatas"])
            sents.upsert(
                ids=last["ids"], embeddings=last["embeddings"], documents=last["documents"], metadatas=last["metadatas"]
            )
        # A query makes Chroma apply its write log to the vector index, so the files are final
        # before they are fingerprinted: readers never have to write them.
        for col in (chunks, sents):
            if col.count():
                col.query(query_embeddings=[np.ones(len(nodes[0].embedding), dtype=np.float32)], n_results=1)
    finally:
        if system is not None:
            system.stop()
    return nodes, texts


def publish(store: Store, vectors: Vectors, embedder: Embedder, chunker: str, docs: dict[str, Any]) -> None:
    """Commit ``docs`` (``source -> manifest entry``) as generation ``committed + 1`` and sweep the old one.

    The caller holds the build lock; every version ``docs`` names is in ``vectors``. ``store`` ends
    on the new, committed space.
    """
    gen = int(store.committed.get("gen") or 0) + 1
    space = f"g{gen}"
    nodes, texts = _write_space(store, space, vectors, docs)
    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "gen": gen,
        "space": space,
        "embedder": embedder.name,
        "chunker": chunker,
        "docs": docs,
    }
    if not store.url:
        manifest["files"] = fingerprint(store.space_dir(space))
    problem = store.verify(space, manifest)  # with a fresh client, as a reader will open it
    if problem is not None:
        raise IndexCorruptError(f"the new index generation failed its check ({problem}); {REBUILD_HINT}")
    bm25 = build_bm25(sorted(nodes, key=lambda n: n.node_id), BM25_TOP_K)
    if bm25 is not None:
        save_bm25(bm25, bm25_dir(store.home, store.name, space))
    counts = TermCounts()
    counts.add(texts)
    vocab_from_counts(counts, embedder, vectors).save(store.vocab_file(gen))
    failpoint("publish.verified")
    store.write_manifest(manifest)  # the commit
    failpoint("publish.committed")
    store.use_space(space, check=False)  # just checked
    sweep(store, vectors)


def sweep(store: Store, vectors: Vectors | None = None) -> None:
    """Delete what the committed generation replaced: other spaces, their BM25 and vocabulary files, a
    pre-generations ``chroma/`` folder, temporary files of killed writers, and (``vectors``) durable
    versions no committed document uses. Runs after each commit and at the start of each build."""
    for other in store.spaces() - {store.space}:
        store.drop_space(other)
    name = re.escape(store.name)
    keep = {store.vocab_path.name, bm25_dir(store.home, store.name, store.space).name}
    stale = re.compile(
        rf"^{name}_vocab(\.g\d+)?(\.v\d+)?(\.tmp\d+)?\.npz$|^{name}_bm25\.\S+$|^{name}_(manifest|build)\.(json|tmp\d+)$"
    )
    for path in store.home.iterdir():
        if path.name in keep or path == store.manifest_path or not stale.match(path.name):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    legacy = store.home / "chroma"  # manifest version 1-2 kept every generation in one Chroma folder
    if legacy.is_dir() and store.committed.get("version") == MANIFEST_VERSION:
        shutil.rmtree(legacy, ignore_errors=True)
    if vectors is not None and store.committed.get("docs") is not None:
        live = {version_key(e["id"], e["sha256"]) for e in store.committed["docs"].values()}
        vectors.keep_only(live)


def repair(store: Store, embedder: Embedder, thorough: bool = False) -> bool:
    """Rebuild the committed generation from the durable vectors when its space is damaged (one-line
    notice on stderr), or re-make a missing BM25 index or vocabulary. Returns whether it rebuilt.

    Raises ``IndexCorruptError`` naming the command that rebuilds when the vectors lack a document,
    and when another process is building (its commit will replace the damaged space).
    """
    if not store.problem:
        _repair_files(store, embedder, thorough)  # atomic writes of the same content: no lock needed
        return False
    data = store.committed
    try:
        with index_lock(store.home):
            if store.manifest() != data:  # another process committed meanwhile
                store.use_space(str(store.committed.get("space") or ""))
            if not store.problem:
                _repair_files(store, embedder)
                return False
            problem = store.problem
            model = model_key(str(store.committed.get("embedder")), str(store.committed.get("chunker")))
            vectors = store.vectors(model)
            try:
                missing = [
                    s for s, e in store.committed["docs"].items() if not vectors.has(version_key(e["id"], e["sha256"]))
                ]
                if missing:
                    raise IndexCorruptError(
                        f"the index at {store.home} is damaged ({problem}) and the saved vectors lack "
                        f"{len(missing)} of its documents (e.g. {missing[0]}); {REBUILD_HINT}"
                    )
                print(
                    f"rag: the index at {store.home} was damaged ({problem}); rebuilding it from the saved "
                    "vectors (nothing is embedded again)",
                    file=sys.stderr,
                    flush=True,
                )
                publish(store, vectors, embedder, str(store.committed["chunker"]), dict(store.committed["docs"]))
            finally:
                vectors.close()
            return True
    except IndexBusyError as exc:
        raise IndexCorruptError(
            f"the index at {store.home} is damaged ({store.problem}); a build is running ({exc}) and "
            "will replace it: ask again when it finishes"
        ) from exc


def _vocab_ok(path: Path, thorough: bool) -> bool:
    if not thorough:
        return path.exists()
    try:
        Vocab.load(path)
    except Exception:  # missing or damaged: re-made, never trusted
        return False
    return True


def _repair_files(store: Store, embedder: Embedder, thorough: bool = False) -> None:
    """Re-make the committed generation's BM25 index or vocabulary if one is missing (``thorough``: or
    unreadable) with the same content."""
    data = store.committed
    if not data.get("space"):
        return
    chunks = sum(int(e.get("chunks", 0)) for e in data["docs"].values())
    path = bm25_dir(store.home, store.name, store.space)
    # A reader opening the index loads BM25 right after this: here it only checks the folder is complete
    # (its mark is written last); a build (``thorough``) loads it to be sure it is readable.
    if thorough:
        need_bm25 = bool(chunks) and load_bm25(path, BM25_TOP_K, chunks) is None
    else:
        need_bm25 = bool(chunks) and not (path / BM25_MARK).is_file()
    need_vocab = not _vocab_ok(store.vocab_path, thorough)
    if not need_bm25 and not need_vocab:
        return
    model = model_key(str(data.get("embedder")), str(data.get("chunker")))
    vectors = store.vectors(model)
    try:
        nodes: list[Any] = []
        counts = TermCounts()
        try:
            for source, stored in _stored(vectors, data["docs"]):
                nodes.extend(chunk_nodes(doc_base(source, data["docs"][source]), stored.chunks))
                counts.add(r.text for r in stored.sentences)
        except CorruptRowError as exc:
            raise IndexCorruptError(
                f"the saved vectors of {store.home} lack or damage document version {exc}; {REBUILD_HINT}"
            ) from exc
        if need_bm25:
            bm25 = build_bm25(sorted(nodes, key=lambda n: n.node_id), BM25_TOP_K)
            if bm25 is not None:
                save_bm25(bm25, path)
        if need_vocab:
            vocab_from_counts(counts, embedder, vectors).save(store.vocab_path)
            _drop_other_formats(store)
    finally:
        vectors.close()


def _drop_other_formats(store: Store) -> None:
    """Delete this generation's vocabulary files of other formats, once the current one is made.

    Without this, a vocabulary counted by older tokenisation would stay beside its replacement until the
    next build's sweep; no reader of this code opens it.
    """
    gen = int(store.committed.get("gen") or 0)
    other = re.compile(rf"^{re.escape(store.name)}_vocab\.g{gen}(\.v\d+)?\.npz$")
    for path in store.home.iterdir():
        if path != store.vocab_path and other.match(path.name):
            path.unlink(missing_ok=True)
