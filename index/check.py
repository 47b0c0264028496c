"""Integrity of a committed Chroma space: cheap enough to run every time an index is opened.

Chroma does not protect itself against damaged files: on a scribbled HNSW or SQLite file its Rust core
can abort the whole process, and a truncated ``link_lists.bin`` silently returns wrong neighbours
(chroma-core/hnswlib#47). So a space is checked *before* Chroma opens it:

1. files (embedded only): the build recorded every file of the space with its size and CRC32
   (``fingerprint``) right after writing and checking it. Readers only ever change ``chroma.sqlite3``
   (Chroma keeps bookkeeping there), so that file is checked by SQLite's ``quick_check`` instead.
   About 15 ms for the 70 MB of a 10,000-document index.
2. collections: both counts equal the manifest's, a sample of ids from across the documents is
   present, and one nearest-neighbour query on a stored vector finds it.

A space that fails is not used: ``index.publish.repair`` writes a new generation from the durable
vectors (``index.vectors``) without embedding anything.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from typing import Any

__all__ = ["fingerprint", "check_files", "check_collections", "expected_counts", "sample_ids"]

_SQLITE = "chroma.sqlite3"
_SAMPLE_DOCS = 8


def _crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc


def fingerprint(folder: Path) -> dict[str, list[int]]:
    """``relative path -> [size, crc32]`` of every file of an embedded space except Chroma's SQLite files."""
    out: dict[str, list[int]] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith(_SQLITE):
            out[p.relative_to(folder).as_posix()] = [p.stat().st_size, _crc(p)]
    return out


def check_files(folder: Path, manifest: dict[str, Any]) -> str | None:
    """What is wrong with the files of an embedded space, or ``None`` when they are as ``manifest`` records."""
    if not folder.is_dir():
        return f"its Chroma folder {folder} is missing"
    want = manifest.get("files")
    if not isinstance(want, dict):
        return "its manifest has no record of the Chroma files"
    for rel, (size, crc) in want.items():
        p = folder / rel
        try:
            if p.stat().st_size != size:
                return f"the Chroma file {rel} has the wrong size (truncated or overwritten)"
            if _crc(p) != crc:
                return f"the Chroma file {rel} was changed since the build (checksum mismatch)"
        except OSError as exc:
            return f"the Chroma file {rel} cannot be read ({exc.strerror or exc})"
    db_path = folder / _SQLITE
    if not db_path.is_file():
        return f"the Chroma database {db_path} is missing"
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10.0)
        try:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            db.close()
    except (sqlite3.Error, UnicodeDecodeError) as exc:  # a damaged page's report may not even be UTF-8
        return f"the Chroma database cannot be read ({type(exc).__name__})"
    if verdict != "ok":
        return f"the Chroma database is damaged ({verdict[:200]})"
    return None


def expected_counts(manifest: dict[str, Any]) -> tuple[int, int]:
    """``(chunks, sentences)`` the committed documents hold."""
    docs = manifest.get("docs", {}).values()
    return sum(int(e["chunks"]) for e in docs), sum(int(e["sentences"]) for e in docs)


def sample_ids(manifest: dict[str, Any], n: int = _SAMPLE_DOCS) -> tuple[list[str], list[str]]:
    """First chunk and sentence ids of up to ``n`` documents spread over the manifest."""
    entries = [e for _, e in sorted(manifest.get("docs", {}).items()) if e["chunks"] and e["sentences"]]
    step = max(1, len(entries) // n)
    picked = entries[::step][:n]
    chunks = [f"{e['id']}-{e['sha256'][:12]}-00000" for e in picked]
    sents = [f"{e['id']}-{e['sha256'][:12]}-s00000" for e in picked]
    return chunks, sents


def check_collections(chunks: Any, sents: Any, manifest: dict[str, Any]) -> str | None:
    """What is wrong with an opened space's collections, or ``None`` when they hold what ``manifest`` says."""
    want = expected_counts(manifest)
    try:
        got = chunks.count(), sents.count()
        if got != want:
            return (
                f"its Chroma space holds {got[0]} chunks and {got[1]} sentences, the manifest {want[0]} and {want[1]}"
            )
        for col, ids in zip((chunks, sents), sample_ids(manifest)):
            if not ids:
                continue
            found = col.get(ids=ids, include=["embeddings"])
            if sorted(found["ids"]) != sorted(ids):
                return "records the manifest names are missing from its Chroma space"
            hit = col.query(query_embeddings=[found["embeddings"][0]], n_results=1, include=["distances"])
            if not hit["ids"][0] or float(hit["distances"][0][0]) > 1e-3:
                return "its Chroma vector index does not find a stored vector"
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # chromadb raises many types (a Rust panic is a BaseException)
        return f"its Chroma space cannot be read ({type(exc).__name__}: {exc})"
    return None
