"""PDFs: text extracted with pypdf into a UTF-8 copy that citations name and re-read exactly.

A PDF's bytes have no character offsets a reader could check, so the citation ``source`` of a PDF is
its text copy ``<home>/pdf-text/<pdf source>.txt``: ``Path(source).read_text()[start:end] == quote``
holds for it like for any text file. ``meta["original"]`` keeps the PDF's own source name. The copy is
rewritten only when the PDF's bytes change (the manifest keeps the PDF's sha256).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from index.types import Document

if TYPE_CHECKING:
    from index.load import Skipped

__all__ = ["text_copy_path", "extract_pdf_text", "load_pdf"]


def text_copy_path(pdf: Path, root: Path, cache: Path) -> Path:
    """Where the text copy of ``pdf`` lives: its source name (relative to ``root`` if inside) + ``.txt``."""
    from index.load import source_name

    name = source_name(pdf, root).lstrip("/")
    return cache / f"{name}.txt"


def extract_pdf_text(data: bytes) -> str:
    """Text of every page (pypdf, reading order), pages separated by a blank line."""
    import io
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-PDF warnings are noise here
    reader = PdfReader(io.BytesIO(data))
    pages = [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
    return "\n\n".join(p.strip("\n") for p in pages)


def load_pdf(path: Path, root: Path, meta: dict[str, str] | None, cache: Path | None) -> Document | Skipped:
    """A ``Document`` over the text copy of ``path`` (written if missing or stale), or ``Skipped``."""
    from index.load import Skipped, doc_id_for, read_capped, source_name

    original = source_name(path, root)
    if cache is None:
        return Skipped(original, "PDF needs a text cache folder")
    data = read_capped(path)  # size-capped like any file; a vanished PDF is reported, not raised
    if isinstance(data, str):
        return Skipped(original, data)
    digest = hashlib.sha256(data).hexdigest()
    copy = text_copy_path(path, root, cache)
    stamp = copy.with_name(copy.name + ".sha256")
    if not (copy.is_file() and stamp.is_file() and stamp.read_text().strip() == digest):
        try:
            text = extract_pdf_text(data)
        except Exception as exc:  # pypdf raises many types for damaged or encrypted files
            return Skipped(original, f"unreadable PDF ({type(exc).__name__}: {exc})")
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_name(f"{copy.name}.tmp{os.getpid()}")
        tmp.write_bytes(text.encode("utf-8", errors="replace"))
        os.replace(tmp, copy)
        stamp.write_text(digest + "\n")
    text = copy.read_text(encoding="utf-8")  # as a citation re-reads it (newline translation included)
    if not text.strip():
        return Skipped(original, "PDF has no extractable text (scanned images?)")
    fields = dict(meta or {})
    fields.setdefault("format", "pdf")
    fields.setdefault("original", original)
    fields.setdefault("title", path.stem)
    source = source_name(copy, root)
    return Document(id=doc_id_for(source), path=source, raw_text=text, sha256=digest, meta=fields)
