"""Uploaded files, stored safely: limits, type by content, generated names, metadata in a sidecar.

An upload arrives as (the name the client gave, a temporary file). The client's name is never used on
disk: it only becomes the default title, cut to its last component and stripped of control characters.
The stored name is ``<sha256 of the bytes, 16 hex>.<ext>`` with the extension decided by the content
(``%PDF-`` is a PDF; UTF-8 text without NUL bytes is HTML when it looks like markup, Markdown when it
has Markdown headings, else plain text), so identical bytes are stored once and a binary file named
``.txt`` is refused. Titles, publishers and dates go to ``sources.toml`` in the uploads folder, which
the indexer reads as metadata (editing it re-indexes without re-embedding).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import threading
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InvalidQuestionError
from rag.library import uploads_dir
from rag.settings import Settings

__all__ = ["Refused", "UploadReport", "store_uploads", "sniff", "read_meta", "write_meta", "remove_upload", "EDITABLE"]

SIDECAR = "sources.toml"
EDITABLE = ("title", "publisher", "date")  # the fields the page edits
_MAX_FIELD = 300  # characters kept of one metadata field
_NAME = re.compile(r"^[0-9a-f]{16}\.(txt|md|html|pdf)$")  # the only names this module ever writes or deletes
_HTML = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<meta|<title|<article|<p>|<div)", re.I)
_MD = re.compile(r"^#{1,6} \S", re.M)
_lock = threading.Lock()  # one sidecar writer at a time in this process


@dataclass(frozen=True)
class Refused:
    """A file not stored, and why (the reason names the limit or the problem)."""

    name: str
    reason: str


@dataclass(frozen=True)
class UploadReport:
    """What one upload stored (stored file names) and refused."""

    stored: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()  # already in the collection (same bytes)
    refused: tuple[Refused, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """One line for the page."""
        bits = [f"{len(self.stored)} file(s) added"]
        if self.duplicates:
            bits.append(f"{len(self.duplicates)} already there")
        if self.refused:
            bits.append(f"{len(self.refused)} refused")
        return ", ".join(bits)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def shown_name(client_name: str) -> str:
    """The client's file name as it may be shown: last path component, printable, at most 200 characters."""
    base = re.split(r"[\\/]", str(client_name))[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "unnamed"
    return base[:200]


def sniff(data: bytes) -> str | None:
    """The stored extension for ``data`` by its content (``pdf``, ``html``, ``md``, ``txt``), or ``None``."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if not data.strip() or b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Mostly control characters is no document either (a UTF-8-valid binary blob).
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * min(len(text), 4096):
        return None
    if _HTML.match(data[:2048]):
        return "html"
    return "md" if _MD.search(text[:20_000]) else "txt"


def _pdf_problem(data: bytes) -> str | None:
    from index.pdf import extract_pdf_text

    try:
        text = extract_pdf_text(data)
    except Exception as exc:  # pypdf raises many types for damaged or encrypted files
        return f"an unreadable PDF ({type(exc).__name__})"
    return None if text.strip() else "a PDF without a text layer (scanned pages cannot be cited)"


def _title_from(data: bytes, kind: str) -> dict[str, str]:
    """Title, publisher and date where the file states them (HTML head, a Markdown heading, PDF info)."""
    out: dict[str, str] = {}
    if kind == "html":
        head = data[:65536].decode("utf-8", "replace")
        if m := re.search(r"<title[^>]*>(.*?)</title>", head, re.I | re.S):
            out["title"] = html.unescape(m.group(1))
        for key, names in (("publisher", "og:site_name|publisher"), ("date", "article:published_time|date")):
            pat = rf'<meta[^>]+(?:property|name)=["\'](?:{names})["\'][^>]+content=["\']([^"\']*)'
            if m := re.search(pat, head, re.I):
                out[key] = html.unescape(m.group(1))
    elif kind == "md":
        if m := _MD.search(data[:20_000].decode("utf-8", "replace")):
            line = data.decode("utf-8", "replace")[m.start() :].split("\n", 1)[0]
            out["title"] = line.lstrip("#").strip()
    elif kind == "pdf":
        try:
            import io

            from pypdf import PdfReader

            info: Any = PdfReader(io.BytesIO(data)).metadata or {}
            if info.get("/Title"):
                out["title"] = str(info["/Title"])
            if info.get("/Author"):
                out["publisher"] = str(info["/Author"])
        except Exception:  # metadata is optional
            pass
    return {k: _field(v) for k, v in out.items() if _field(v)}


def _field(value: object) -> str:
    """A metadata value as stored: one line, printable, bounded (escaping happens when it is shown)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())[:_MAX_FIELD]


def _used_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file() and _NAME.match(f.name))


def store_uploads(settings: Settings, files: Sequence[tuple[str, Path]]) -> UploadReport:
    """Store ``(client name, temporary path)`` pairs in the collection's uploads folder (nothing is indexed here).

    Too many files refuses the whole upload; each other problem refuses that file only.
    """
    if len(files) > settings.upload_max_files:
        raise InvalidQuestionError(
            f"{len(files)} files in one upload; the limit is {settings.upload_max_files} (RAG_UPLOAD_MAX_FILES)"
        )
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    used = _used_bytes(folder)
    stored: list[str] = []
    dups: list[str] = []
    refused: list[Refused] = []
    metas: dict[str, dict[str, str]] = {}
    for client_name, tmp in files:
        name = shown_name(client_name)
        try:
            size = os.stat(tmp).st_size
            if size > settings.upload_max_bytes:
                limit = _mib(settings.upload_max_bytes)
                refused.append(Refused(name, f"{_mib(size)}; the limit per file is {limit} (RAG_UPLOAD_MAX_BYTES)"))
                continue
            with open(tmp, "rb") as fh:
                data = fh.read(settings.upload_max_bytes + 1)
        except OSError as exc:
            refused.append(Refused(name, f"could not be read ({exc.strerror or exc})"))
            continue
        kind = sniff(data)
        if kind is None:
            refused.append(Refused(name, "not a text, Markdown, HTML or PDF file (its content is binary or empty)"))
            continue
        if kind == "pdf" and (problem := _pdf_problem(data)):
            refused.append(Refused(name, problem))
            continue
        target = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.{kind}"
        if target.exists():
            dups.append(name)
            continue
        if used + len(data) > settings.collection_max_bytes:
            limit = _mib(settings.collection_max_bytes)
            refused.append(
                Refused(name, f"the collection would exceed its {limit} of uploads (RAG_COLLECTION_MAX_BYTES)")
            )
            continue
        part = target.with_name(f".{target.name}.part")  # dot-names are never indexed
        part.write_bytes(data)
        os.replace(part, target)
        used += len(data)
        stored.append(target.name)
        metas[target.name] = {"title": Path(name).stem or name, "uploaded_as": name} | _title_from(data, kind)
    if metas:
        with _lock:
            sidecar = read_meta(folder)
            sidecar.update(metas)
            _write_sidecar(folder, sidecar)
    return UploadReport(tuple(stored), tuple(dups), tuple(refused))


def read_meta(folder: Path) -> dict[str, dict[str, str]]:
    """The uploads folder's sidecar (stored name -> fields); empty when absent or unreadable."""
    try:
        with (folder / SIDECAR).open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {k: {f: str(v) for f, v in d.items()} for k, d in data.items() if isinstance(d, dict)}


def _toml_str(value: str) -> str:
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in out) + '"'


def _write_sidecar(folder: Path, data: Mapping[str, Mapping[str, str]]) -> None:
    lines = ["# Metadata of uploaded files (written by the chat page; the indexer reads it).", ""]
    for name in sorted(data):
        lines.append(f"[{_toml_str(name)}]")
        lines += [f"{k} = {_toml_str(str(v))}" for k, v in sorted(data[name].items()) if re.match(r"^\w+$", k)]
        lines.append("")
    tmp = folder / f".{SIDECAR}.tmp"
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, folder / SIDECAR)


def _checked(folder: Path, stored_name: str) -> Path:
    if not _NAME.match(stored_name):
        raise InvalidQuestionError("that document is not an uploaded file of this collection")
    return folder / stored_name


def write_meta(settings: Settings, stored_name: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Set an uploaded file's ``title``/``publisher``/``date`` (other keys refused); returns its fields."""
    bad = sorted(set(fields) - set(EDITABLE))
    if bad:
        raise InvalidQuestionError(f"only {', '.join(EDITABLE)} can be edited, not {', '.join(bad)}")
    folder = uploads_dir(settings)
    path = _checked(folder, stored_name)
    if not path.is_file():
        raise InvalidQuestionError("that uploaded file is gone (removed meanwhile?)")
    with _lock:
        sidecar = read_meta(folder)
        entry = dict(sidecar.get(stored_name, {}))
        for key, value in fields.items():
            if _field(value):
                entry[key] = _field(value)
            else:
                entry.pop(key, None)
        sidecar[stored_name] = entry
        _write_sidecar(folder, sidecar)
    return entry


def remove_upload(settings: Settings, stored_name: str) -> None:
    """Delete an uploaded file and its metadata (the next build drops its chunks and sentences)."""
    folder = uploads_dir(settings)
    path = _checked(folder, stored_name)
    with _lock:
        sidecar = read_meta(folder)
        if sidecar.pop(stored_name, None) is not None:
            _write_sidecar(folder, sidecar)
        path.unlink(missing_ok=True)
