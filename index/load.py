"""Find and read corpus files (.txt, .md, .html, .pdf); undecodable or binary files are skipped with a reason.

A PDF has no raw text a citation could re-read, so its text is extracted once (pypdf) into a UTF-8
copy under the index home (``<home>/pdf-text/<source>.txt``, see ``index.pdf``): that copy is the
document's ``source`` — what citations name and re-read — and ``meta["original"]`` names the PDF.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.types import Document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Skipped",
    "iter_files",
    "load_file",
    "load_sidecar",
    "source_name",
    "scan_file",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
SIDECAR = "sources.toml"


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: str
    reason: str


def source_name(path: Path, root: Path) -> str:
    """The citation ``source`` of a file: relative to ``root`` when inside it, absolute otherwise."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def doc_id_for(source: str) -> str:
    """Stable document id derived from its source path (identity = path; version = sha256)."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield supported files under ``paths`` in sorted order, following no symlink loops."""
    seen: set[Path] = set()
    for top in paths:
        if top.is_file():
            if top.suffix.lower() in SUPPORTED_SUFFIXES:
                yield top
            continue
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if name.startswith(".") or p.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                real = p.resolve()
                if real in seen:
                    continue
                seen.add(real)
                yield p


def load_sidecar(folder: Path) -> dict[str, dict[str, str]]:
    """Per-file metadata from ``sources.toml`` in ``folder`` (file name -> fields); empty if absent."""
    f = folder / SIDECAR
    if not f.is_file():
        return {}
    with f.open("rb") as fh:
        data = tomllib.load(fh)
    return {name: {k: str(v) for k, v in fields.items()} for name, fields in data.items() if isinstance(fields, dict)}


def scan_file(path: Path, root: Path, text_cache: Path | None = None) -> tuple[str, str] | Skipped:
    """``(source, sha256 of the file's bytes)`` without decoding it: enough to tell whether it changed."""
    source = source_name(path, root)
    if path.suffix.lower() == ".pdf":
        if text_cache is None:
            return Skipped(source, "PDF needs a text cache folder")
        from index.pdf import text_copy_path

        source = source_name(text_copy_path(path, root, text_cache), root)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return Skipped(source, f"unreadable: {exc.strerror or exc}")
    return source, digest


def load_file(
    path: Path, root: Path, meta: dict[str, str] | None = None, text_cache: Path | None = None
) -> Document | Skipped:
    """Read one file as UTF-8 text exactly as ``Path.read_text`` does (citations re-read it that way).

    A ``.pdf`` is read through its extracted text copy under ``text_cache`` (skipped without one).
    """
    if path.suffix.lower() == ".pdf":
        from index.pdf import load_pdf

        return load_pdf(path, root, meta, text_cache)
    source = source_name(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(source, f"unreadable: {exc.strerror or exc}")
    if not data.strip():
        return Skipped(source, "empty file")
    if b"\x00" in data[:8192]:
        return Skipped(source, "binary file (NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(source, f"not UTF-8 text (bad byte at offset {exc.start})")
    # Decode through read_text so newline translation matches what a citation check re-reads.
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Skipped(source, f"unreadable: {exc}")
    meta = dict(meta or {})
    meta.setdefault("format", path.suffix.lower().lstrip("."))
    return Document(
        id=doc_id_for(source),
        path=source,
        raw_text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        meta=meta,
    )
