"""Benchmark corpora from text every Debian machine has, reproducibly, with the two seed articles planted.

Sources: ``/usr/share/doc`` (READMEs, changelogs, copyright files; ``.gz`` decompressed) and
``/usr/share/common-licenses``. Each UTF-8 text is cut at blank lines into pieces of about
``MIN_CHARS``..``MAX_CHARS`` characters; exact duplicates (the GPL appears hundreds of times) are
dropped; a size-``n`` corpus is ``n - 2`` pieces drawn with ``random.Random(SEED)`` plus ``seeds/``.
The same machine and seed give byte-identical corpora; the fingerprint in ``corpus.json`` tells.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SEED", "SOURCES", "parse_size", "text_pool", "make_corpus"]

SEED = 20251117
SOURCES = (Path("/usr/share/doc"), Path("/usr/share/common-licenses"))
MIN_CHARS, MAX_CHARS = 150, 600  # about one 200-wordpiece chunk per document
PER_FOLDER = 1000
_TEXT_SUFFIXES = {"", ".txt", ".md", ".gz", ".rst", ".Debian", ".changelog"}


def parse_size(label: str) -> int:
    """``seeds`` -> 2, ``1k`` -> 1000, ``10k`` -> 10000, ``250`` -> 250."""
    label = label.strip().lower()
    if label == "seeds":
        return 2
    mult = 1000 if label.endswith("k") else 1
    return int(float(label.rstrip("k")) * mult)


def _texts(sources: tuple[Path, ...]) -> Iterator[tuple[str, str]]:
    for top in sources:
        if not top.is_dir():
            continue
        for f in sorted(p for p in top.rglob("*") if p.is_file() and not p.is_symlink()):
            if f.suffix not in _TEXT_SUFFIXES or f.stat().st_size > 2_000_000:
                continue
            try:
                data = f.read_bytes()
                if f.suffix == ".gz":
                    data = gzip.decompress(data)
                text = data.decode("utf-8")
            except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile):
                continue
            if "\x00" not in text[:4096]:
                yield str(f), text.replace("\r\n", "\n")


def _pieces(text: str) -> Iterator[str]:
    buf: list[str] = []
    size = 0
    for para in text.split("\n\n"):
        para = para.strip("\n")
        if not para.strip():
            continue
        if size + len(para) > MAX_CHARS and size >= MIN_CHARS:
            yield "\n\n".join(buf)
            buf, size = [], 0
        buf.append(para[: MAX_CHARS + 200])
        size += len(para)
    if size >= MIN_CHARS:
        yield "\n\n".join(buf)


def text_pool(sources: tuple[Path, ...] = SOURCES) -> list[tuple[str, str]]:
    """Every distinct piece as ``(origin file, text)``, in a stable order."""
    seen: set[str] = set()
    pool = []
    for origin, text in _texts(sources):
        for piece in _pieces(text):
            key = hashlib.sha1(" ".join(piece.split()).encode()).hexdigest()
            if key not in seen:
                seen.add(key)
                pool.append((origin, piece))
    return pool


def make_corpus(size: int, out: Path, seeds: Path, pool: list[tuple[str, str]] | None = None) -> dict:
    """Write (or reuse) the size-``size`` corpus under ``out``; returns its description (``corpus.json``)."""
    info_path = out / "corpus.json"
    if info_path.is_file():
        return dict(json.loads(info_path.read_text()))
    shutil.rmtree(out, ignore_errors=True)
    docs = out / "docs"
    shutil.copytree(seeds, docs / "seeds")
    picked: list[tuple[str, str]] = []
    if size > 2:
        pool = pool if pool is not None else text_pool()
        if len(pool) < size - 2:
            raise RuntimeError(f"only {len(pool)} distinct text pieces on this machine; cannot make {size} documents")
        picked = random.Random(SEED).sample(pool, size - 2)
    digest = hashlib.sha256()
    for i, (origin, text) in enumerate(picked):
        f = docs / f"part{i // PER_FOLDER:03d}" / f"d{i:06d}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text + "\n", encoding="utf-8")
        digest.update(origin.encode() + b"\0" + text.encode() + b"\0")
    info = {
        "size": size,
        "files": len(picked) + len(list(seeds.glob("*.txt"))),
        "chars": sum(len(t) for _, t in picked),
        "seed": SEED,
        "fingerprint": digest.hexdigest()[:16],
        "sources": [str(s) for s in SOURCES],
    }
    info_path.write_text(json.dumps(info, indent=1))
    return info
