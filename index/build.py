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
from index.commit import Plan, commit, finish_commit, plan_build, repair, upgrade_v1
from index.embed import Embedder
from index.errors import IndexBusyError
from index.load import Skipped, iter_files, load_file, load_sidecar, scan_file
from index.sentences import sentences_of
from index.store import Store
from index.types import Chunk, Document, Sentence
from index.vocab import TermCounts, Vocab

__all__ = ["BuildReport", "build_index", "index_lock", "load_documents"]

CHUNKER = f"sentences-v1-{MAX_TOKENS}"
BATCH_TEXTS = 1024  # chunks + sentences embedded per call, across documents
SAVE_EVERY_S = 2.0  # build journal checkpoint interval
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

    The build is the next generation (``index.generation``): readers keep answering from the last
    committed one until it commits, whatever happens to it. Documents are embedded in batches of about
    ``batch_texts`` texts across documents (the embedder sorts each batch by length) and written to Chroma
    in batches within its limit. Progress is saved every few seconds in the build journal, so a killed
    build resumes where it stopped; a resumed document's partial copy is deleted before it is written
    again, so no chunk is duplicated and the ids are those of a clean build. ``store`` ends on the
    committed collections.
    """
    report = BuildReport()
    with index_lock(store.home):
        manifest = store.manifest()
        if manifest.get("gen") is None and manifest["docs"]:
            manifest = upgrade_v1(store, manifest)
        finish_commit(store, spaces=False)  # a build killed between its commit and its sweep
        manifest = store.committed
        committed_space = store.space
        plan = plan_build(store, manifest, embedder.name, CHUNKER, rebuild)
        try:
            store.use_space(plan.space)
            _build(paths, store, embedder, root, progress, batch_texts, plan, report)
        finally:
            if store.committed.get("gen") != plan.gen:  # failed: back to what readers see
                store.use_space(committed_space)
    return report


def _build(
    paths: Sequence[Path],
    store: Store,
    embedder: Embedder,
    root: Path,
    progress: bool | None,
    batch_texts: int,
    plan: Plan,
    report: BuildReport,
) -> None:
    cache = store.home / PDF_TEXT_DIR
    known: dict[str, Any] = {**plan.committed, **plan.done}  # what each source's stored version is
    counts = _load_counts(store, plan)
    store.write_journal(plan.journal(embedder.name, CHUNKER))  # before any record of the generation
    todo, present = _scan(paths, root, cache, known, report)
    show = progress if progress is not None else (len(todo) > 3 and sys.stderr.isatty())
    writer = _Writer(store, embedder, plan, known, counts, report)
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
    store.delete_documents([plan.done[s]["id"] for s in gone if s in plan.done], gen=plan.gen)
    old = [plan.committed[s]["id"] for s in gone if s in plan.committed]
    if old and counts is not None:
        counts.add(store.sentence_texts_of(old, gen=plan.base), sign=-1)
    writer.retired.update(old)
    for source in gone:
        known.pop(source)
        report.removed.append(source)
    if not (plan.resumed or plan.fresh or report.embedded or report.removed):
        repair(store, embedder)  # nothing changed: no new generation
        store.drop_journal()
        return
    manifest = {"embedder": embedder.name, "chunker": CHUNKER, "docs": known}
    commit(store, plan, embedder, manifest, sorted(writer.retired), counts)


def _load_counts(store: Store, plan: Plan) -> TermCounts | None:
    """The committed vocabulary's counts to update, or ``None`` when they can't be trusted (recount at the end)."""
    if plan.resumed:  # what the killed run counted is lost
        return None
    if plan.fresh:
        return TermCounts()
    path = store.vocab_path
    if not path.exists():
        return None
    try:
        return Vocab.load(path, with_counts=True).counts
    except Exception:  # a damaged vocabulary is rebuilt, never trusted
        return None


class _Writer:
    """Embeds pending documents together and writes them as generation ``plan.gen``; keeps the journal."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        plan: Plan,
        known: dict[str, Any],
        counts: TermCounts | None,
        report: BuildReport,
    ) -> None:
        self.store, self.embedder, self.plan, self.known = store, embedder, plan, known
        self.counts, self.report = counts, report
        self.pending: list[tuple[Document, list[Chunk], list[Sentence]]] = []
        self.pending_texts = 0
        self.retired: set[str] = set()  # committed documents whose records this generation replaces
        self.saved = time.monotonic()

    def flush(self) -> int:
        """Embed and store the pending documents; returns how many were written."""
        if not self.pending:
            return 0
        plan, store = self.plan, self.store
        write: list[tuple[Document, list[Chunk], list[Sentence]]] = []
        for doc, chunks, sentences in self.pending:
            if plan.committed.get(doc.path, {}).get("sha256") == doc.sha256:
                # The committed records are this very version (a PDF whose text copy was re-made, or a
                # file changed back after a killed build): keep them, drop any copy this build made.
                store.delete_documents([doc.id], gen=plan.gen)
                plan.done.pop(doc.path, None)
            elif plan.done.get(doc.path, {}).get("sha256") != doc.sha256:
                write.append((doc, chunks, sentences))
        texts: list[str] = []
        for _, chunks, sentences in write:
            texts.extend(c.text for c in chunks)
            texts.extend(s.text for s in sentences)
        vecs = self.embedder.embed(texts) if texts else None
        items, at = [], 0
        for doc, chunks, sentences in write:
            nc, ns = len(chunks), len(sentences)
            assert vecs is not None
            items.append((doc, chunks, vecs[at : at + nc], sentences, vecs[at + nc : at + nc + ns]))
            at += nc + ns
        replaced = [plan.committed[d.path]["id"] for d, _, _ in write if d.path in plan.committed]
        if self.counts is not None:
            self.counts.add(store.sentence_texts_of(replaced, gen=plan.base), sign=-1)
            self.counts.add(s.text for _, _, sents in write for s in sents)
        self.retired.update(replaced)
        store.add_documents(items, plan.gen)
        written = {id(d) for d, _, _ in write}
        for doc, chunks, sentences in self.pending:
            (self.report.updated if doc.path in self.known else self.report.added).append(doc.path)
            entry = {
                "id": doc.id,
                "sha256": doc.sha256,
                "chunks": len(chunks),
                "sentences": len(sentences),
                "meta": doc.meta,
            }
            self.known[doc.path] = entry
            if id(doc) in written:
                plan.done[doc.path] = entry
                self.report.chunks += len(chunks)
        done = len(self.pending)
        self.pending, self.pending_texts = [], 0
        # Record progress every few seconds so a killed build resumes near where it stopped.
        if time.monotonic() - self.saved > SAVE_EVERY_S:
            store.write_journal(plan.journal(self.embedder.name, CHUNKER))
            self.saved = time.monotonic()
        return done
