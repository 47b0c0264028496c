"""Build or update an index from folders of documents: incremental by path + sha256, locked, resumable.

A build embeds only the document versions the durable vectors (``index.vectors``) lack, stores each
batch there in one fsynced transaction, then publishes the whole set as the next generation
(``index.publish``). Killed at any point, it leaves the committed generation as it was and every batch
it stored: the next build embeds none of them again.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.chunk import MAX_TOKENS, chunk_sentences
from index.clean import clean
from index.embed import Embedder
from index.errors import IndexBusyError
from index.load import Skipped, iter_files, load_file, load_sidecar, scan_file
from index.manifest import MANIFEST_VERSION
from index.publish import model_key, publish, repair, sweep
from index.sentences import sentences_of
from index.store import Store
from index.types import Chunk, Document, Sentence
from index.vectors import CorruptRowError, Record, Vectors, version_key

__all__ = ["BuildReport", "build_index", "index_lock", "load_documents"]

CHUNKER = f"sentences-v1-{MAX_TOKENS}"
BATCH_TEXTS = 1024  # chunks + sentences embedded per call (and stored per transaction), across documents
PDF_TEXT_DIR = "pdf-text"  # under the index home: extracted text of PDFs, which citations re-read


@dataclass
class BuildReport:
    """What one build did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # added or updated, vectors already saved (a resumed build)
    chunks: int = 0  # chunks embedded
    texts: int = 0  # texts (chunks + sentences) embedded
    published: bool = False  # a new generation was committed

    @property
    def embedded(self) -> int:
        """Documents that cost embedding work."""
        return len(self.added) + len(self.updated) - len(self.reused)

    def summary(self) -> str:
        """One line for the CLI."""
        reused = f" ({len(self.reused)} documents' saved vectors reused)" if self.reused else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; {self.chunks} chunks embedded{reused}"
        )


@contextmanager
def index_lock(home: Path) -> Iterator[None]:
    """Exclusive build lock; a second builder gets ``IndexBusyError`` naming the holder's PID."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "build.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise IndexBusyError(f"the index at {home} is being built by PID {holder}; wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def load_documents(
    paths: Sequence[Path], root: Path, text_cache: Path | None = None
) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under ``paths`` with sidecar metadata; report what was skipped."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    meta = _SidecarMeta()
    for f in iter_files(paths):
        got = load_file(f, root, meta(f), text_cache)
        (docs if isinstance(got, Document) else skipped).append(got)  # type: ignore[arg-type]
    return docs, skipped


class _SidecarMeta:
    """``sources.toml`` fields of a file, each folder's sidecar read once."""

    def __init__(self) -> None:
        self.folders: dict[Path, dict[str, dict[str, str]]] = {}

    def __call__(self, f: Path) -> dict[str, str] | None:
        if f.parent not in self.folders:
            self.folders[f.parent] = load_sidecar(f.parent)
        return self.folders[f.parent].get(f.name)


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, unit="doc", desc="indexing", disable=not enabled, file=sys.stderr, leave=False, smoothing=0.1
    )


_DERIVED_META = ("format", "original")  # set by the loader, not by a sidecar


def _scan(
    paths: Sequence[Path], root: Path, cache: Path, known: dict[str, Any], stored: set[str], report: BuildReport
) -> tuple[list[Path], set[str]]:
    """Files that need (re)loading, and the sources of unchanged ones (hash only, nothing decoded).

    A file whose sidecar metadata (``sources.toml``: title, publisher, ...) changed is reloaded too: its
    saved vectors are reused, and the new generation carries the new metadata.
    """
    todo: list[Path] = []
    unchanged: set[str] = set()
    sidecar = _SidecarMeta()
    for f in iter_files(paths):
        got = scan_file(f, root, cache)
        if isinstance(got, Skipped):
            report.skipped.append(got)
            continue
        source, digest = got
        entry = known.get(source, {})
        same = entry.get("sha256") == digest and version_key(entry["id"], digest) in stored
        if same:
            old = {k: v for k, v in (entry.get("meta") or {}).items() if k not in _DERIVED_META}
            same = old == (sidecar(f) or {})
        if same and f.suffix.lower() == ".pdf":  # its text copy is what citations re-read
            same = (root / source).is_file()
        if same:
            unchanged.add(source)
        else:
            todo.append(f)
    report.unchanged = sorted(unchanged)
    return todo, unchanged


def build_index(
    paths: Sequence[Path],
    store: Store,
    embedder: Embedder,
    root: Path,
    progress: bool | None = None,
    rebuild: bool = False,
    batch_texts: int = BATCH_TEXTS,
    reembed: bool = False,
) -> BuildReport:
    """Make ``store`` hold exactly the documents under ``paths``: new/changed ones embedded, gone ones removed.

    Documents are embedded in batches of about ``batch_texts`` texts across documents (the embedder
    sorts each batch by length); each batch's vectors are saved durably before the next is embedded.
    Then, if anything changed (or ``rebuild``, or the committed space is damaged), the next
    generation is published; readers keep answering from the last committed one until then.
    ``reembed`` forgets the saved vectors first. ``store`` ends on the committed space.
    """
    report = BuildReport()
    with index_lock(store.home):
        manifest = store.manifest()
        if manifest.get("space") and manifest.get("version") == MANIFEST_VERSION and store.space != manifest["space"]:
            store.use_space(str(manifest["space"]))  # checked: a damaged space is rebuilt below
        sweep(store)  # what a build killed before its sweep, or a killed build, left
        vectors = store.vectors(model_key(embedder.name, CHUNKER))
        try:
            if reembed:
                vectors.keep_only(set())
            try:
                _build(paths, store, vectors, embedder, root, progress, batch_texts, rebuild, report)
            except CorruptRowError as exc:  # a saved version failed its checksum: forget it, embed it again
                print(f"rag: saved vectors of {exc} were damaged; embedding that document again", file=sys.stderr)
                vectors.drop([str(exc)])
                report = BuildReport()
                _build(paths, store, vectors, embedder, root, progress, batch_texts, True, report)
        finally:
            vectors.close()
    return report


def _build(
    paths: Sequence[Path],
    store: Store,
    vectors: Vectors,
    embedder: Embedder,
    root: Path,
    progress: bool | None,
    batch_texts: int,
    rebuild: bool,
    report: BuildReport,
) -> None:
    manifest = store.committed
    same_model = (
        manifest.get("version") == MANIFEST_VERSION
        and manifest.get("embedder") == embedder.name
        and manifest.get("chunker") == CHUNKER
    )
    known: dict[str, Any] = dict(manifest["docs"]) if same_model else {}
    committed = dict(known)
    cache = store.home / PDF_TEXT_DIR
    todo, present = _scan(paths, root, cache, known, set(vectors.versions()), report)
    show = progress if progress is not None else (len(todo) > 3 and sys.stderr.isatty())
    writer = _Writer(vectors, embedder, batch_texts, report)
    meta = _SidecarMeta()
    with _progress(len(todo), show) as bar:
        for f in todo:
            got = load_file(f, root, meta(f), cache)
            if isinstance(got, Skipped):
                report.skipped.append(got)
                bar.update(1)
                continue
            present.add(got.path)
            (report.updated if got.path in known else report.added).append(got.path)
            known[got.path] = writer.add(got)
            bar.update(writer.flush(force=False))
            bar.set_postfix(chunks=report.chunks, refresh=False)
        bar.update(writer.flush(force=True))
    # A file that vanished or became unreadable loses its chunks: its old offsets no longer hold.
    for source in sorted(s for s in known if s not in present):
        known.pop(source)
        report.removed.append(source)
    changed = known != committed or not same_model or rebuild or not manifest.get("space")
    if not changed and store.problem is None:
        repair(store, embedder, thorough=True)  # nothing changed, the space is sound: at most a lost file is re-made
        sweep(store, vectors)
        return
    if not known and not manifest.get("space"):
        return  # nothing to index, nothing committed
    publish(store, vectors, embedder, CHUNKER, known)
    report.published = True


class _Writer:
    """Embeds pending documents together and saves each batch to the durable vectors in one transaction."""

    def __init__(self, vectors: Vectors, embedder: Embedder, batch_texts: int, report: BuildReport) -> None:
        self.vectors, self.embedder, self.batch_texts, self.report = vectors, embedder, batch_texts, report
        self.stored = set(vectors.versions())
        self.pending: list[tuple[Document, list[Chunk], list[Sentence]]] = []
        self.pending_texts = 0
        self.waiting = 0  # documents loaded whose vectors were saved already (counted at the next flush)

    def add(self, doc: Document) -> dict[str, Any]:
        """Queue ``doc`` for embedding unless its version is saved already; returns its manifest entry."""
        sentences = sentences_of(doc.id, clean(doc.raw_text, doc.meta.get("format", "txt")))
        chunks = chunk_sentences(doc, sentences)
        entry = {
            "id": doc.id,
            "sha256": doc.sha256,
            "chunks": len(chunks),
            "sentences": len(sentences),
            "meta": doc.meta,
        }
        if version_key(doc.id, doc.sha256) in self.stored:
            self.report.reused.append(doc.path)
            self.waiting += 1
        else:
            self.pending.append((doc, chunks, sentences))
            self.pending_texts += len(chunks) + len(sentences)
        return entry

    def flush(self, force: bool) -> int:
        """Embed and save the pending documents once there are enough (or ``force``); returns documents done."""
        done, self.waiting = self.waiting, 0
        if self.pending and (force or self.pending_texts >= self.batch_texts):
            done += self._embed()
        return done

    def _embed(self) -> int:
        texts: list[str] = []
        for _, chunks, sentences in self.pending:
            texts.extend(c.text for c in chunks)
            texts.extend(s.text for s in sentences)
        vecs = self.embedder.embed(texts)
        items, at = [], 0
        for doc, chunks, sentences in self.pending:
            crecs = [
                Record(
                    c.id,
                    c.text,
                    {
                        "start": c.start,
                        "end": c.end,
                        "spans": [list(p) for p in c.sentences],
                        "s_first": c.first_sentence,
                    },
                    vecs[at + i],
                )
                for i, c in enumerate(chunks)
            ]
            at += len(chunks)
            prefix = version_key(doc.id, doc.sha256)
            srecs = [
                Record(
                    f"{prefix}-s{i:05d}",
                    s.text,
                    {"start": s.start, "end": s.end, "heading": s.heading, "idx": i},
                    vecs[at + i],
                )
                for i, s in enumerate(sentences)
            ]
            at += len(sentences)
            items.append((prefix, doc.id, doc.sha256, crecs, srecs))
            self.report.chunks += len(chunks)
        self.vectors.put(items)
        self.stored.update(i[0] for i in items)
        self.report.texts += len(texts)
        done = len(self.pending)
        self.pending, self.pending_texts = [], 0
        return done
