"""Build or update an index from folders of documents: incremental by path + sha256, locked, resumable."""

from __future__ import annotations

import fcntl
import os
import sys
import time
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
from index.sentences import sentences_of
from index.store import MANIFEST_VERSION, Store
from index.types import Chunk, Document, Sentence
from index.vocab import TermCounts, Vocab, vocab_from_counts

__all__ = ["BuildReport", "build_index", "index_lock", "load_documents"]

CHUNKER = f"sentences-v1-{MAX_TOKENS}"
BATCH_TEXTS = 1024  # chunks + sentences embedded per call, across documents
SAVE_EVERY_S = 2.0  # manifest checkpoint interval
PDF_TEXT_DIR = "pdf-text"  # under the index home: extracted text of PDFs, which citations re-read


@dataclass
class BuildReport:
    """What one build did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0

    @property
    def embedded(self) -> int:
        """Documents that cost embedding work."""
        return len(self.added) + len(self.updated)

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; {self.chunks} chunks embedded"
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


def _scan(
    paths: Sequence[Path], root: Path, cache: Path, known: dict[str, Any], report: BuildReport
) -> tuple[list[Path], set[str]]:
    """Files that need (re)indexing, and the sources of unchanged ones (hash only, nothing decoded)."""
    todo: list[Path] = []
    unchanged: set[str] = set()
    for f in iter_files(paths):
        got = scan_file(f, root, cache)
        if isinstance(got, Skipped):
            report.skipped.append(got)
            continue
        source, digest = got
        same = known.get(source, {}).get("sha256") == digest
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
) -> BuildReport:
    """Make ``store`` hold exactly the documents under ``paths``: new/changed ones embedded, gone ones removed.

    Documents are embedded in batches of about ``batch_texts`` texts across documents (the embedder
    sorts each batch by length) and written to Chroma in batches within its limit. The manifest is
    saved every few seconds, so a killed build resumes where it stopped; a resumed document's partial
    copy is deleted before it is written again, so no chunk is duplicated.
    """
    report = BuildReport()
    with index_lock(store.home):
        cache = store.home / PDF_TEXT_DIR
        manifest = store.manifest()
        fresh = rebuild or manifest.get("embedder") != embedder.name or manifest.get("chunker") != CHUNKER
        if fresh:
            store.delete_documents([entry["id"] for entry in manifest["docs"].values()])
            manifest = {"version": MANIFEST_VERSION, "docs": {}}
        known: dict[str, Any] = manifest["docs"]
        counts = _load_counts(store, manifest, empty=fresh or not known)
        manifest.update(embedder=embedder.name, chunker=CHUNKER)
        todo, present = _scan(paths, root, cache, known, report)
        show = progress if progress is not None else (len(todo) > 3 and sys.stderr.isatty())
        writer = _Writer(store, embedder, manifest, counts, report)
        meta = _SidecarMeta()
        with _progress(len(todo), show) as bar:
            for f in todo:
                got = load_file(f, root, meta(f), cache)
                if isinstance(got, Skipped):
                    report.skipped.append(got)
                    bar.update(1)
                    continue
                present.add(got.path)
                sentences = sentences_of(got.id, clean(got.raw_text, got.meta.get("format", "txt")))
                writer.pending.append((got, chunk_sentences(got, sentences), sentences))
                writer.pending_texts += len(sentences) + len(writer.pending[-1][1])
                if writer.pending_texts >= batch_texts:
                    bar.update(writer.flush())
                    bar.set_postfix(chunks=report.chunks, refresh=False)
            bar.update(writer.flush())
        # A file that vanished or became unreadable loses its chunks: its old offsets no longer hold.
        gone = [s for s in known if s not in present]
        if gone and counts is not None:
            counts.add(store.sentence_texts_of([known[s]["id"] for s in gone]), sign=-1)
        store.delete_documents([known[s]["id"] for s in gone])
        for source in gone:
            known.pop(source)
            report.removed.append(source)
        if report.embedded or report.removed or not store.vocab_path.exists() or counts is None:
            _refresh_vocab(store, embedder, counts, reuse_vectors=not fresh)
        manifest.pop("vocab_stale", None)
        store.write_manifest(manifest)
    return report


def _load_counts(store: Store, manifest: dict[str, Any], empty: bool) -> TermCounts | None:
    """The saved vocabulary counts to update, or ``None`` when they can't be trusted (recount at the end)."""
    if empty:
        return TermCounts()
    if manifest.get("vocab_stale") or not store.vocab_path.exists():
        return None
    try:
        return Vocab.load(store.vocab_path, with_counts=True).counts
    except Exception:  # a damaged vocabulary is rebuilt, never trusted
        return None


class _Writer:
    """Embeds pending documents together and writes them; keeps the manifest and the counts current."""

    def __init__(
        self, store: Store, embedder: Embedder, manifest: dict[str, Any], counts: TermCounts | None, report: BuildReport
    ) -> None:
        self.store, self.embedder, self.manifest, self.counts, self.report = store, embedder, manifest, counts, report
        self.pending: list[tuple[Document, list[Chunk], list[Sentence]]] = []
        self.pending_texts = 0
        self.saved = time.monotonic()

    def flush(self) -> int:
        """Embed and store the pending documents; returns how many were written."""
        if not self.pending:
            return 0
        known: dict[str, Any] = self.manifest["docs"]
        texts: list[str] = []
        for _, chunks, sentences in self.pending:
            texts.extend(c.text for c in chunks)
            texts.extend(s.text for s in sentences)
        vecs = self.embedder.embed(texts)
        items, at = [], 0
        for doc, chunks, sentences in self.pending:
            nc, ns = len(chunks), len(sentences)
            items.append((doc, chunks, vecs[at : at + nc], sentences, vecs[at + nc : at + nc + ns]))
            at += nc + ns
        replaced = [known[d.path]["id"] for d, _, _ in self.pending if d.path in known]
        if self.counts is not None:
            self.counts.add(self.store.sentence_texts_of(replaced), sign=-1)
            self.counts.add(s.text for _, _, sents in self.pending for s in sents)
        self.store.add_documents(items)
        for doc, chunks, sentences in self.pending:
            (self.report.updated if doc.path in known else self.report.added).append(doc.path)
            known[doc.path] = {
                "id": doc.id,
                "sha256": doc.sha256,
                "chunks": len(chunks),
                "sentences": len(sentences),
                "meta": doc.meta,
            }
            self.report.chunks += len(chunks)
        done = len(self.pending)
        self.pending, self.pending_texts = [], 0
        # Record progress every few seconds so a killed build resumes near where it stopped; the saved
        # vocabulary does not count these documents yet, so it is marked stale until the build ends.
        if time.monotonic() - self.saved > SAVE_EVERY_S:
            self.manifest["vocab_stale"] = True
            self.store.write_manifest(self.manifest)
            self.saved = time.monotonic()
        return done


def _refresh_vocab(store: Store, embedder: Embedder, counts: TermCounts | None, reuse_vectors: bool) -> None:
    previous = None
    if reuse_vectors and store.vocab_path.exists():  # word vectors of another model are never reused
        try:
            previous = Vocab.load(store.vocab_path)
        except Exception:  # a damaged vocabulary is rebuilt, never trusted
            previous = None
    if counts is None:  # no trustworthy saved counts: recount every stored sentence (slow on big corpora)
        counts = TermCounts()
        counts.add(store.sentence_texts())
    vocab_from_counts(counts, embedder, previous).save(store.vocab_path)
