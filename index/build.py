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
from index.load import Skipped, iter_files, load_file, load_sidecar
from index.sentences import sentences_of
from index.store import MANIFEST_VERSION, Store
from index.types import Document
from index.vocab import Vocab, build_vocab

__all__ = ["BuildReport", "build_index", "index_lock", "load_documents"]

CHUNKER = f"sentences-v1-{MAX_TOKENS}"


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


def load_documents(paths: Sequence[Path], root: Path) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under ``paths`` with sidecar metadata; report what was skipped."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    sidecars: dict[Path, dict[str, dict[str, str]]] = {}
    for f in iter_files(paths):
        folder = f.parent
        if folder not in sidecars:
            sidecars[folder] = load_sidecar(folder)
        got = load_file(f, root, sidecars[folder].get(f.name))
        (docs if isinstance(got, Document) else skipped).append(got)  # type: ignore[arg-type]
    return docs, skipped


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", desc="indexing", disable=not enabled, file=sys.stderr, leave=False)


def build_index(
    paths: Sequence[Path],
    store: Store,
    embedder: Embedder,
    root: Path,
    progress: bool | None = None,
    rebuild: bool = False,
) -> BuildReport:
    """Make ``store`` hold exactly the documents under ``paths``: new/changed ones embedded, gone ones removed."""
    report = BuildReport()
    with index_lock(store.home):
        docs, report.skipped = load_documents(paths, root)
        manifest = store.manifest()
        if rebuild or manifest.get("embedder") != embedder.name or manifest.get("chunker") != CHUNKER:
            for entry in manifest["docs"].values():
                store.delete_document(entry["id"])
            manifest = {"version": MANIFEST_VERSION, "docs": {}}
        manifest.update(embedder=embedder.name, chunker=CHUNKER)
        known: dict[str, Any] = manifest["docs"]
        todo = [d for d in docs if known.get(d.path, {}).get("sha256") != d.sha256]
        report.unchanged = [d.path for d in docs if d not in todo]
        show = progress if progress is not None else (len(todo) > 3 and sys.stderr.isatty())
        saved = time.monotonic()
        with _progress(len(todo), show) as bar:
            for doc in todo:
                sentences = sentences_of(doc.id, clean(doc.raw_text, doc.meta.get("format", "txt")))
                chunks = chunk_sentences(doc, sentences)
                vecs = embedder.embed([c.text for c in chunks] + [s.text for s in sentences])
                store.add_document(doc, chunks, vecs[: len(chunks)], sentences, vecs[len(chunks) :])
                (report.updated if doc.path in known else report.added).append(doc.path)
                known[doc.path] = {
                    "id": doc.id,
                    "sha256": doc.sha256,
                    "chunks": len(chunks),
                    "sentences": len(sentences),
                    "meta": doc.meta,
                }
                report.chunks += len(chunks)
                # Record progress every few seconds so a killed build resumes near where it stopped.
                if time.monotonic() - saved > 2.0:
                    store.write_manifest(manifest)
                    saved = time.monotonic()
                bar.update(1)
        # A file that vanished or became unreadable loses its chunks: its old offsets no longer hold.
        present = {d.path for d in docs}
        for source in [s for s in known if s not in present]:
            store.delete_document(known.pop(source)["id"])
            report.removed.append(source)
        if report.embedded or report.removed or not store.vocab_path.exists():
            _refresh_vocab(store, embedder)
        store.write_manifest(manifest)
    return report


def _refresh_vocab(store: Store, embedder: Embedder) -> None:
    previous = None
    if store.vocab_path.exists():
        try:
            previous = Vocab.load(store.vocab_path)
        except Exception:  # a damaged vocabulary is rebuilt, never trusted
            previous = None
    build_vocab(store.sentence_texts(), embedder, previous).save(store.vocab_path)
