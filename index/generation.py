"""Generations: a re-index runs while readers keep answering from the last complete index.

Every build is generation ``N = committed + 1``. Its records (chunks and sentences) carry metadata
``gen = N``; nothing a reader uses is changed or deleted before the build commits, and the commit is
one atomic file replace of the manifest, which names:

* ``gen``: the committed generation. Readers see records with ``gen <= committed`` only, so chunks a
  running (or killed) build has written so far are invisible to them. (Chroma pays for that filter
  on every record, so dense retrieval applies it only while a build journal exists: a build writes
  its journal before its first record and deletes it after its sweep; see ``rag.retrieve``);
* ``retired``: ids of documents this generation replaced or removed. Their older records stay until the
  build sweeps them right after the commit, and readers hide them meanwhile (``gen < committed`` and
  ``doc_id`` in ``retired``). Sweeping ends by committing the manifest again without ``retired``;
* ``space``: the Chroma collection pair in use. A full rebuild (``--rebuild``, another embedder or
  chunker) writes a new pair (``<name>_chunks_g<N>``) while readers stay on the old one, which is
  dropped after the commit; chunk ids are the same as in any clean build;
* the per-generation files: the vocabulary ``<name>_vocab.g<N>.npz`` and the BM25 index
  ``<name>_bm25.g<N>/``, written before the commit, deleted once a newer generation is committed.

Sentences are looked up by id (``<doc>-<sha12>-s<i>``: one id per document version), so they need no
filter. A reader checks the manifest's ``file_stamp`` before each question and reopens the index when
it changed (``rag.live``; with a Chroma client of its own, as an embedded client never sees vectors
another process added after it loaded a collection); a question that overlapped a commit is asked
again (what it read may have been swept).

A killed build leaves the committed generation untouched and its progress in the build journal
(``<name>_build.json``); the next build resumes it (same generation, same target space, same embedder)
or deletes its records. A build killed after its commit but before its sweep is finished by the next one.

An index written before generations (manifest version 1, records without ``gen``) is read without
a filter; the first build tags its records ``gen = 0`` and commits that before writing anything.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["Stamp", "file_stamp", "live_where", "live_filters"]

Stamp = tuple[int, int, int]


def file_stamp(path: Path) -> Stamp | None:
    """Identity of a file's current content for change checks: inode, mtime (ns) and size; ``None`` if absent.

    The manifest is only ever replaced (``os.replace``), never rewritten in place, so a new commit
    gets a new inode and mtime: a ``stat`` per question is enough to notice it.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def live_where(gen: int | None, retired: Sequence[str] = ()) -> dict[str, Any] | None:
    """Chroma ``where`` for the records of committed generation ``gen`` (``None``: no filter, version 1)."""
    if gen is None:
        return None
    upto: dict[str, Any] = {"gen": {"$lte": gen}}
    if not retired:
        return upto
    current = {"$or": [{"doc_id": {"$nin": list(retired)}}, {"gen": {"$gte": gen}}]}
    return {"$and": [upto, current]}


def live_filters(gen: int | None, retired: Sequence[str] = ()) -> Any:
    """``live_where`` as LlamaIndex ``MetadataFilters`` (for the dense retriever and node reads)."""
    if gen is None:
        return None
    from llama_index.core.vector_stores.types import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    upto = MetadataFilter(key="gen", value=gen, operator=FilterOperator.LTE)
    if not retired:
        return MetadataFilters(filters=[upto])
    current = MetadataFilters(
        filters=[
            MetadataFilter(key="doc_id", value=list(retired), operator=FilterOperator.NIN),
            MetadataFilter(key="gen", value=gen, operator=FilterOperator.GTE),
        ],
        condition=FilterCondition.OR,
    )
    return MetadataFilters(filters=[upto, current], condition=FilterCondition.AND)
