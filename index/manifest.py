"""The committed manifest file of an index: read consistently, written atomically, set aside when unreadable.

The manifest is the commit point of a build (``index.publish``): readers trust only what it names, so
it is replaced in one ``os.replace`` after an fsync, and read twice around its file stamp so a
manifest replaced mid-read is read again rather than paired with the wrong stamp.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from index.errors import IndexCorruptError
from index.generation import Stamp, file_stamp

__all__ = [
    "MANIFEST_VERSION",
    "REBUILD_HINT",
    "manifest_file",
    "read_manifest",
    "set_aside_manifest",
    "write_manifest",
]

MANIFEST_VERSION = 3  # 3: one Chroma space per generation, derived from the durable vectors
REBUILD_HINT = "run `rag index` to rebuild it from your documents (saved vectors are reused)"


def manifest_file(home: Path, name: str = "rag") -> Path:
    """Where the committed manifest of collection ``name`` in ``home`` lives."""
    return Path(home) / f"{name}_manifest.json"


def _read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object at ``path``; ``None`` when there is no file; ``IndexCorruptError`` when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"the index file {path} is unreadable ({exc}); {REBUILD_HINT}") from exc
    if not isinstance(data, dict):
        raise IndexCorruptError(f"the index file {path} is malformed; {REBUILD_HINT}")
    return data


def read_manifest(path: Path) -> tuple[dict[str, Any], Stamp | None]:
    """The manifest at ``path`` (an empty one of this version when there is none) and the stamp it was read at."""
    for _ in range(5):
        before = file_stamp(path)
        data = _read_json(path)
        if file_stamp(path) == before:
            break
    if data is None:
        data = {"version": MANIFEST_VERSION, "docs": {}}
    if not isinstance(data.get("docs"), dict):
        raise IndexCorruptError(f"the index manifest {path} is malformed; {REBUILD_HINT}")
    return data, before


def write_manifest(path: Path, data: dict[str, Any]) -> Stamp | None:
    """Commit ``data`` to ``path``: written, fsynced, then atomically put in place; returns the new stamp."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself survives a power cut
    finally:
        os.close(fd)
    return file_stamp(path)


def set_aside_manifest(home: Path, name: str = "rag") -> bool:
    """Move an unreadable manifest out of the way (``*.corrupt-<time>``); returns whether there was one.

    Only the manifest is set aside: the durable vectors stay, so the next build embeds nothing they hold.
    """
    path = manifest_file(home, name)
    if not path.exists():
        return False
    try:
        read_manifest(path)
        return False  # readable: not what is wrong
    except IndexCorruptError:
        pass
    os.replace(path, path.with_name(f"{path.name}.corrupt-{int(time.time())}"))
    return True
