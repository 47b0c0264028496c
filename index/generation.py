"""Generations: a re-index runs while readers keep answering from the last complete index.

Every build that changes anything is generation ``N = committed + 1``, written to a Chroma *space* of
its own (``index.store``: a folder ``gens/<name>.g<N>/``, or a collection pair on a server) that no
reader opens before the commit. Everything in it comes from the durable vectors (``index.vectors``),
so a build killed while writing it loses only that space: the next build deletes it unopened and
writes it again, embedding nothing twice. Chroma's own crash safety is not relied on
(chroma-core/chroma#7678: a kill during writes can wedge an embedded store for good).

The commit is one atomic, fsynced replace of the manifest, which names the generation, its space, the
documents (source -> id, sha256, counts, metadata) and, for an embedded space, the size and CRC32 of
each of its files. The BM25 index (``<name>_bm25.g<N>/``) and the vocabulary
(``<name>_vocab.g<N>.v<F>.npz``, ``F`` its format) are written before it. After the commit the build
sweeps other spaces and files, and the durable versions no committed document uses.

Readers check the space before opening it (``index.check``) and, if it is damaged, rebuild it from the
durable vectors as a new generation (``index.publish.repair``). A reader checks the manifest's
``file_stamp`` before each question and reopens the index when it changed (``rag.retrieval.live``); a question
that overlapped a commit is asked again (the sweep may have removed what it read).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["Stamp", "file_stamp"]

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
