"""What a collection's index is built from, in one place: its configured documents plus its uploads.

A build mirrors exactly the paths it is given (``index.build``), so every caller that builds without
explicit paths -- ``rag index``, an ``Assistant``'s first build, the chat page after an upload -- must
ask here for the targets, or it would silently drop the uploaded documents.

- The default collection's configured documents are ``settings.docs`` (``RAG_DOCS``, the seeds).
- A named collection's are the paths it was last indexed with explicitly (``rag index --collection
  NAME PATH``), remembered in ``<home>/<name>_docs.json``; a new named collection has none.
- Every collection's uploads live in ``<home>/uploads/<name>/`` (``rag.uploads``) and are always built.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from rag.settings import COLLECTION_PATTERN, DEFAULT_COLLECTION, Settings

__all__ = ["uploads_dir", "collection_targets", "remember_targets", "list_collections", "is_upload"]

UPLOADS = "uploads"
_MANIFEST = re.compile(r"^(.+)_manifest\.json$")


def uploads_dir(settings: Settings) -> Path:
    """The folder holding a collection's uploaded files (and their ``sources.toml``)."""
    return Path(settings.home) / UPLOADS / settings.collection


def _remembered_path(settings: Settings) -> Path:
    return Path(settings.home) / f"{settings.collection}_docs.json"


def remember_targets(settings: Settings, paths: Sequence[Path | str]) -> None:
    """Record a named collection's explicitly indexed paths, so a later build without paths keeps them."""
    if settings.collection == DEFAULT_COLLECTION:
        return  # the default collection's documents are configured by RAG_DOCS
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    up = uploads_dir(settings).resolve()
    keep = [str(Path(p).resolve()) for p in paths if Path(p).resolve() != up]
    tmp = _remembered_path(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps(keep, indent=1), encoding="utf-8")
    os.replace(tmp, _remembered_path(settings))


def _configured(settings: Settings) -> list[Path]:
    if settings.collection == DEFAULT_COLLECTION:
        return [Path(p) for p in settings.docs]
    try:
        saved = json.loads(_remembered_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(p) for p in saved if isinstance(p, str)]


def collection_targets(settings: Settings, paths: Sequence[Path | str] | None = None) -> list[Path]:
    """The paths a build of ``settings.collection`` mirrors: ``paths`` (default: its configured documents)
    plus its uploads folder when that exists."""
    base = [Path(p) for p in paths] if paths else _configured(settings)
    up = uploads_dir(settings)
    if up.is_dir() and all(p.resolve() != up.resolve() for p in base):
        base.append(up)
    return base


def is_upload(settings: Settings, meta: dict[str, object]) -> bool:
    """Whether an indexed document (its metadata, with ``source``) is one of this collection's uploads."""
    folders = _upload_folders(settings)
    for key in ("original", "source"):
        name = str(meta.get(key) or "")
        if name and Path(name).parent.as_posix() in folders:
            return True
    return False


def _upload_folders(settings: Settings) -> set[str]:
    """How citation sources name the uploads folder: absolute, and relative to the root when inside it
    (as ``index.load.source_name`` names files), compared as strings so a long list costs no file system calls."""
    up = Path(os.path.realpath(uploads_dir(settings)))
    names = {up.as_posix()}
    try:
        names.add(up.relative_to(Path(os.path.realpath(settings.root))).as_posix())
    except ValueError:
        pass
    return names


def list_collections(home: Path) -> list[str]:
    """The collections under ``home``: the default one first, then every other one built or uploaded to."""
    names = {DEFAULT_COLLECTION}
    home = Path(home)
    if home.is_dir():
        for f in home.iterdir():
            m = _MANIFEST.match(f.name)
            if m and f.is_file():
                names.add(m.group(1))
    up = home / UPLOADS
    if up.is_dir():
        names |= {d.name for d in up.iterdir() if d.is_dir()}
    valid = sorted(n for n in names if re.match(COLLECTION_PATTERN, n))
    return [DEFAULT_COLLECTION] + [n for n in valid if n != DEFAULT_COLLECTION]
