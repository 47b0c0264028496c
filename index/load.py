"""Find and read corpus files (.txt, .md, .html, .pdf); files that can't be indexed are skipped with a reason.

A PDF has no raw text a citation could re-read, so its text is extracted once (pypdf) into a UTF-8
copy under the index home (``<home>/pdf-text/<source>.txt``, see ``index.pdf``): that copy is the
document's ``source`` — what citations name and re-read — and ``meta["original"]`` names the PDF.

Hostile folders are expected: empty, binary, non-UTF-8 or oversized files, FIFOs, dangling symlinks,
symlink loops and files deleted while a build runs each become a ``Skipped`` with a reason; none of
them raises or blocks. A file reached under a second name (a symlink, or a copy with the same bytes)
is indexed once, under its first name in sorted walk order, and the others are reported as duplicates.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PosixPath

from index.types import Document

__all__ = [
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "Skipped",
    "iter_files",
    "load_file",
    "load_sidecar",
    "read_capped",
    "source_name",
    "scan_file",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
SIDECAR = "sources.toml"

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Files larger than this (16 MiB) are skipped, not read.

A document is held in memory several times over while it is indexed (bytes, text, cleaned text,
sentences, chunks, vectors), and 16 MiB of prose is ~2.5 million words: minutes of embedding on a
CPU. Files that big are nearly always logs, dumps or data exports rather than documents to cite, so
they are reported ("larger than the 16 MiB limit") instead of stalling or exhausting the build.
"""


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: str
    reason: str


def _realpath(path: Path) -> Path:
    # os.path.realpath, unlike Path.resolve on Python 3.11, does not raise on a symlink loop.
    return Path(os.path.realpath(path))


def source_name(path: Path, root: Path) -> str:
    """The citation ``source`` of a file: relative to ``root`` when inside it, absolute otherwise."""
    resolved = _realpath(path)
    try:
        return resolved.relative_to(_realpath(root)).as_posix()
    except ValueError:
        return resolved.as_posix()


def doc_id_for(source: str) -> str:
    """Stable document id derived from its source path (identity = path; version = sha256)."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


class _Duplicate(PosixPath):
    """A file ``iter_files`` yields only so that ``scan_file``/``load_file`` report it as a duplicate."""

    original: Path


def _walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Every supported file name under ``paths``, in sorted walk order (a folder's files before its subfolders)."""
    for top in paths:
        if not top.is_dir():
            if top.suffix.lower() in SUPPORTED_SUFFIXES:
                yield top
            continue
        # followlinks=False: a symlink to a folder up the tree cannot send the walk round in circles.
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                    yield Path(dirpath) / name


def _content_key(path: Path) -> str | None:
    data = read_capped(path)
    return None if isinstance(data, str) else hashlib.sha256(data).hexdigest()


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield supported files under ``paths`` in sorted walk order; symlinked folders are not entered.

    Every name is yielded, bad ones too, so that ``scan_file`` can say why it skips them: a dangling
    or looping symlink, and a duplicate — a second name for a file already yielded (a symlink) or a
    file whose bytes equal an earlier one's. A duplicate would skew the term statistics and fill the
    retrieved passages with copies, so only its first name in walk order is indexed, on every build.
    Only files whose size matches another's are hashed here.
    """
    names = list(dict.fromkeys(_walk(paths)))
    first: dict[object, Path] = {}  # real path, then (size, sha256) -> the first name seen
    sizes: dict[Path, int] = {}
    dup: dict[Path, Path] = {}
    for p in names:
        real = _realpath(p)
        if real in first:
            dup[p] = first[real]
            continue
        first[real] = p
        try:
            info = os.stat(real)
        except OSError:
            continue  # scan_file reports why
        if stat.S_ISREG(info.st_mode) and 0 < info.st_size <= MAX_FILE_BYTES:
            sizes[p] = info.st_size
    same_size = Counter(sizes.values())
    for p, size in sizes.items():
        if same_size[size] > 1 and (digest := _content_key(p)) is not None:
            if (size, digest) in first:
                dup[p] = first[size, digest]
            else:
                first[size, digest] = p
    for p in names:
        if p in dup:
            marked = _Duplicate(p)
            marked.original = dup[p]
            yield marked
        else:
            yield p


def load_sidecar(folder: Path) -> dict[str, dict[str, str]]:
    """Per-file metadata from ``sources.toml`` in ``folder`` (file name -> fields); empty if absent."""
    f = folder / SIDECAR
    if not f.is_file():
        return {}
    with f.open("rb") as fh:
        data = tomllib.load(fh)
    return {name: {k: str(v) for k, v in fields.items()} for name, fields in data.items() if isinstance(fields, dict)}


def _unreadable(path: Path, exc: OSError) -> str:
    """Why ``path`` could not be opened, in the words a user can act on."""
    if isinstance(exc, FileNotFoundError):
        if os.path.islink(path):  # the name is there, what it points to is not
            try:
                return f"broken symlink (its target {os.readlink(path)!r} does not exist)"
            except OSError:
                return "broken symlink"
        return "vanished while indexing"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"unreadable: {exc.strerror or exc}"


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes | str:
    """The bytes of regular file ``path``, or the reason it can't be indexed (never reads past ``limit``).

    The size is checked before reading (and the read is bounded, in case the file grows meanwhile),
    so an oversized file costs no memory; FIFOs and devices are refused rather than blocked on.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat checks the very file opened.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return "not a regular file"
            if info.st_size > limit:
                return f"larger than the {_mib(limit)} limit ({_mib(info.st_size)})"
            data = fh.read(limit + 1)
    except OSError as exc:
        return _unreadable(path, exc)
    if len(data) > limit:
        return f"larger than the {_mib(limit)} limit (grew while indexing)"
    return data


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


def _skip_early(path: Path, root: Path) -> str | None:
    """Why ``path`` is skipped before it is read: a duplicate, or a name that is not UTF-8."""
    if isinstance(path, _Duplicate):
        return f"duplicate of {_shown(path.original, root)}"
    try:
        str(path).encode("utf-8")  # a citation source must be UTF-8 (Chroma metadata, JSON)
    except UnicodeEncodeError:
        return "file name is not valid UTF-8"
    return None


def _shown(path: Path, root: Path) -> str:
    """How a skipped file is named in reports: its own name (a broken symlink's, not its target's)."""
    name = (Path(source_name(path.parent, root)) / path.name).as_posix()
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")  # printable


def scan_file(path: Path, root: Path, text_cache: Path | None = None) -> tuple[str, str] | Skipped:
    """``(source, sha256 of the file's bytes)`` without decoding it: enough to tell whether it changed."""
    if reason := _skip_early(path, root):
        return Skipped(_shown(path, root), reason)
    source = source_name(path, root)
    if path.suffix.lower() == ".pdf":
        if text_cache is None:
            return Skipped(source, "PDF needs a text cache folder")
        from index.pdf import text_copy_path

        source = source_name(text_copy_path(path, root, text_cache), root)
    data = read_capped(path)
    if isinstance(data, str):
        return Skipped(_shown(path, root), data)
    return source, hashlib.sha256(data).hexdigest()


def load_file(
    path: Path, root: Path, meta: dict[str, str] | None = None, text_cache: Path | None = None
) -> Document | Skipped:
    """Read one file as UTF-8 text exactly as ``Path.read_text`` does (citations re-read it that way).

    A ``.pdf`` is read through its extracted text copy under ``text_cache`` (skipped without one).
    """
    if reason := _skip_early(path, root):
        return Skipped(_shown(path, root), reason)
    if path.suffix.lower() == ".pdf":
        from index.pdf import load_pdf

        return load_pdf(path, root, meta, text_cache)
    source = source_name(path, root)
    data = read_capped(path)
    if isinstance(data, str):
        return Skipped(_shown(path, root), data)
    if not data.strip():
        return Skipped(source, "empty file")
    if b"\x00" in data[:8192]:
        return Skipped(source, "binary file (NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(source, f"not UTF-8 text (bad byte at offset {exc.start})")
    # Decode the bytes read above the way read_text does (universal newlines), so the text matches what
    # a citation check re-reads and the sha256 is of exactly these bytes (no second read to race).
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
    meta = dict(meta or {})
    meta.setdefault("format", path.suffix.lower().lstrip("."))
    return Document(
        id=doc_id_for(source),
        path=source,
        raw_text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        meta=meta,
    )
