"""Build or update an index from folders of documents: incremental by path + sha256, locked, resumable.

A build embeds only the document versions the durable vectors (``index.vectors``) lack, stores each
batch there in one fsynced transaction (``index.writer``), then publishes the whole set as the next
generation (``index.publish``). Killed at any point, it leaves the committed generation as it was and
every batch it stored: the next build embeds none of them again.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.chunk import MAX_TOKENS
from index.embed import Embedder
from index.load import Skipped, iter_files, load_file, load_sidecar, scan_file
from index.lock import index_lock
from index.manifest import MANIFEST_VERSION
from index.publish import model_key, publish, repair, sweep
from index.report import BuildReport
from index.store import Store
from index.types import Document
from index.vectors import CorruptRowError, Vectors, version_key
from index.writer import BatchWriter

__all__ = ["build_index", "load_documents"]

CHUNKER = f"sentences-v1-{MAX_TOKENS}"
BATCH_TEXTS = 1024  # chunks + sentences embedded per call (and stored per transaction), across documents
PDF_TEXT_DIR = "pdf-text"  # under the index home: extracted text of PDFs, which citations re-read


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
    writer = BatchWriter(vectors, embedder, batch_texts, report)
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
