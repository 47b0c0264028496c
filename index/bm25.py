"""The BM25 half of hybrid retrieval, persisted per committed generation (LlamaIndex's ``BM25Retriever``).

Building it means reading every chunk back from Chroma and tokenising it: ~2 s at 10,000 documents, at
every start. So the build persists it (``BM25Retriever.persist``: bm25s' sparse score matrix plus the
node corpus as JSON lines) next to the manifest, and a new process loads it memory-mapped in ~0.1 s.
The folder is keyed to the committed generation (``<name>_bm25.g<N>``), so it is never stale: a new
generation gets a new folder, written completely before the manifest names that generation.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

__all__ = ["BM25_MARK", "bm25_key", "bm25_dir", "build_bm25", "save_bm25", "load_bm25"]

BM25_MARK = "rag_bm25.json"  # written last: a folder without it is incomplete


def bm25_key(manifest: dict[str, Any]) -> str:
    """Folder key of the BM25 index that matches ``manifest``.

    ``g<N>`` for a committed generation. A version-1 manifest (no generation) is keyed by its content:
    any change to it gives a new key.
    """
    gen = manifest.get("gen")
    if gen is not None:
        return f"g{int(gen)}"
    blob = json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return "v1-" + hashlib.sha1(blob).hexdigest()[:12]


def bm25_dir(home: Path, name: str, key: str) -> Path:
    """Where the BM25 index with ``key`` lives."""
    return home / f"{name}_bm25.{key}"


def build_bm25(nodes: list[Any], top_k: int) -> Any:
    """A ``BM25Retriever`` over ``nodes`` (``None`` when there are none: bm25s refuses an empty corpus)."""
    if not nodes:
        return None
    from llama_index.retrievers.bm25 import BM25Retriever

    return BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(top_k, len(nodes)))


def save_bm25(retriever: Any, path: Path, replace: bool = True) -> None:
    """Persist ``retriever`` to ``path`` atomically: a reader finds the old folder, the new one or none.

    ``replace=False`` keeps an existing folder (two readers that both built a missing index).
    """
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    retriever.persist(str(tmp), show_progress=False)
    count = int(retriever.bm25.scores["num_docs"])
    (tmp / BM25_MARK).write_text(json.dumps({"nodes": count}), encoding="utf-8")
    old = path.with_name(f"{path.name}.old{os.getpid()}")
    if path.exists():
        if not replace:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        os.rename(path, old)
    try:
        os.rename(tmp, path)
    except OSError:  # another process put one there first: theirs is as good
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def load_bm25(path: Path, top_k: int, nodes: int) -> Any:
    """The persisted retriever at ``path`` if it is complete and holds ``nodes`` chunks, else ``None``.

    Memory-mapped: the score matrix and the node corpus are paged in as queries touch them.
    """
    try:
        mark = json.loads((path / BM25_MARK).read_text(encoding="utf-8"))
        if int(mark["nodes"]) != nodes:
            return None
        from llama_index.retrievers.bm25 import BM25Retriever

        retriever = BM25Retriever.from_persist_dir(str(path), mmap=True, show_progress=False)
    except (OSError, ValueError, KeyError, TypeError):  # missing, half-deleted or damaged: rebuild it
        return None
    retriever.similarity_top_k = min(top_k, nodes)
    return retriever
