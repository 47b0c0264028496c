"""The durable home of every vector a build computed: SQLite, journaled and fsynced, owned by this project.

Chroma is the query engine, not the source of truth. Its embedded store can be wedged by a kill in
the middle of a write (chroma-core/chroma#7678), so each index generation's Chroma collections are
*derived*: written from this file, checked, then committed (``index.publish``). A killed or damaged
Chroma directory is rebuilt from here without embedding anything again, and an incremental build of a
changed folder embeds only the document versions this file lacks.

One row per stored record (chunk or sentence) with its text, its content-derived metadata (offsets,
heading flag) and its vector; one row per document version (``<doc id>-<sha12>``) written in the same
transaction as its records, so a version is either complete or absent. Every vector carries a CRC32:
a scribbled row is found on read and its version re-embedded, never served. Word vectors of the corpus
vocabulary live here too, so a resumed build embeds no word twice either.

``model`` keys everything by embedder and chunker: vectors of another model are never reused.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.failpoints import failpoint

__all__ = ["Vectors", "Record", "StoredVersion", "CorruptRowError", "version_key"]

FORMAT = 1
CHUNK, SENTENCE = 0, 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
    model TEXT NOT NULL, version TEXT NOT NULL, doc_id TEXT NOT NULL, sha256 TEXT NOT NULL,
    chunks INTEGER NOT NULL, sentences INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY(model, version));
CREATE TABLE IF NOT EXISTS records(
    model TEXT NOT NULL, version TEXT NOT NULL, kind INTEGER NOT NULL, seq INTEGER NOT NULL,
    id TEXT NOT NULL, text TEXT NOT NULL, meta TEXT NOT NULL, vec BLOB NOT NULL, crc INTEGER NOT NULL,
    PRIMARY KEY(model, version, kind, seq));
CREATE TABLE IF NOT EXISTS words(
    model TEXT NOT NULL, word TEXT NOT NULL, vec BLOB NOT NULL, crc INTEGER NOT NULL,
    PRIMARY KEY(model, word));
"""


def version_key(doc_id: str, sha256: str) -> str:
    """``<doc id>-<sha12>``: one document version (the prefix of its chunk and sentence ids)."""
    return f"{doc_id}-{sha256[:12]}"


@dataclass(frozen=True)
class Record:
    """A chunk or a sentence as stored: id, text, content metadata and its unit vector."""

    id: str
    text: str
    meta: dict[str, Any]
    vec: np.ndarray


@dataclass(frozen=True)
class StoredVersion:
    """One document version's records, in document order."""

    version: str
    doc_id: str
    sha256: str
    chunks: tuple[Record, ...]
    sentences: tuple[Record, ...]


def _blob(vec: np.ndarray) -> tuple[bytes, int]:
    data = np.ascontiguousarray(vec, dtype=np.float32).tobytes()
    return data, zlib.crc32(data)


class CorruptRowError(Exception):
    """A stored vector whose checksum does not match (internal: the version is re-embedded)."""


class Vectors:
    """The durable vector file of one index (``<home>/<name>_vectors.sqlite``) for one ``model``.

    Writes are transactions with ``synchronous=FULL`` in WAL mode: a transaction that returned is on
    disk, and a kill during one leaves the file as before it. A file SQLite cannot read is moved aside
    (``*.corrupt-<time>``) with a warning and started afresh: its documents are embedded again.
    """

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = Path(path), model
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(_SCHEMA)
                got = db.execute("SELECT value FROM info WHERE key='format'").fetchone()
                if got is None:
                    db.execute("INSERT INTO info VALUES('format', ?)", (str(FORMAT),))
                elif int(got[0]) != FORMAT:
                    raise sqlite3.DatabaseError(f"unknown vector file format {got[0]}")
                db.execute("SELECT count(*) FROM versions").fetchone()
                return db
            except sqlite3.DatabaseError as exc:
                db.close()
                if attempt == 2:
                    raise
                self._set_aside(exc)
        raise AssertionError("unreachable")

    def _set_aside(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        print(f"rag: the saved vectors {self.path} were unreadable ({exc}); moved aside, re-embedding", file=sys.stderr)
        os.replace(self.path, aside)
        for extra in ("-wal", "-shm"):
            Path(f"{self.path}{extra}").unlink(missing_ok=True)

    def close(self) -> None:
        """Close the file (a checkpoint folds the write-ahead log into it)."""
        with self._lock:
            self._db.close()

    # -- versions -----------------------------------------------------------------------
    def versions(self) -> dict[str, tuple[int, int]]:
        """Complete versions stored for this model: ``version -> (chunks, sentences)``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT version, chunks, sentences FROM versions WHERE model=?", (self.model,)
            ).fetchall()
        return {v: (int(c), int(s)) for v, c, s in rows}

    def has(self, version: str) -> bool:
        """Whether ``version`` is stored complete."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM versions WHERE model=? AND version=?", (self.model, version)
            ).fetchone()
        return row is not None

    def put(self, items: Iterable[tuple[str, str, str, Sequence[Record], Sequence[Record]]]) -> None:
        """Store several versions ``(version, doc_id, sha256, chunks, sentences)`` in one transaction."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for version, doc_id, sha256, chunks, sentences in items:
                    db.execute("DELETE FROM records WHERE model=? AND version=?", (self.model, version))
                    rows = []
                    for kind, recs in ((CHUNK, chunks), (SENTENCE, sentences)):
                        for seq, r in enumerate(recs):
                            data, crc = _blob(r.vec)
                            meta = json.dumps(r.meta, sort_keys=True)
                            rows.append((self.model, version, kind, seq, r.id, r.text, meta, data, crc))
                    db.executemany("INSERT INTO records VALUES(?,?,?,?,?,?,?,?,?)", rows)
                    db.execute(
                        "INSERT OR REPLACE INTO versions VALUES(?,?,?,?,?,?,?)",
                        (self.model, version, doc_id, sha256, len(chunks), len(sentences), time.time()),
                    )
                failpoint("vectors.commit")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def get(self, versions: Sequence[str]) -> Iterator[StoredVersion]:
        """The stored records of ``versions``, in the order asked.

        Raises ``CorruptRowError`` naming the first version whose rows fail their checksum or count.
        """
        for version in versions:
            with self._lock:
                head = self._db.execute(
                    "SELECT doc_id, sha256, chunks, sentences FROM versions WHERE model=? AND version=?",
                    (self.model, version),
                ).fetchone()
                rows = self._db.execute(
                    "SELECT kind, id, text, meta, vec, crc FROM records WHERE model=? AND version=? ORDER BY kind, seq",
                    (self.model, version),
                ).fetchall()
            if head is None:
                raise CorruptRowError(version)
            out: tuple[list[Record], list[Record]] = ([], [])
            for kind, rid, text, meta, vec, crc in rows:
                if zlib.crc32(vec) != crc:
                    raise CorruptRowError(version)
                out[kind].append(Record(rid, text, json.loads(meta), np.frombuffer(vec, dtype=np.float32)))
            if (len(out[0]), len(out[1])) != (int(head[2]), int(head[3])):
                raise CorruptRowError(version)
            yield StoredVersion(version, str(head[0]), str(head[1]), tuple(out[0]), tuple(out[1]))

    def drop(self, versions: Iterable[str]) -> None:
        """Forget ``versions`` (a damaged one, before it is embedded again)."""
        gone = [(self.model, v) for v in versions]
        if not gone:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM versions WHERE model=? AND version=?", gone)
            self._db.executemany("DELETE FROM records WHERE model=? AND version=?", gone)
            self._db.execute("COMMIT")

    def keep_only(self, live: set[str]) -> int:
        """Delete every version (of any model) not in ``live`` for this model; returns how many went.

        Runs after a commit: what no committed generation names is garbage, including the vectors of
        a model the index no longer uses.
        """
        with self._lock:
            rows = self._db.execute("SELECT model, version FROM versions").fetchall()
        stale = [(m, v) for m, v in rows if m != self.model or v not in live]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM versions WHERE model=? AND version=?", stale)
            self._db.executemany("DELETE FROM records WHERE model=? AND version=?", stale)
            self._db.execute("DELETE FROM words WHERE model<>?", (self.model,))
            self._db.execute("COMMIT")
        return len(stale)

    # -- word vectors ---------------------------------------------------------------------
    def words(self, words: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``words`` (those missing or damaged are left out)."""
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(words), 500):
                part = list(words[i : i + 500])
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT word, vec, crc FROM words WHERE model=? AND word IN ({marks})", (self.model, *part)
                ).fetchall()
                for w, vec, crc in rows:
                    if zlib.crc32(vec) == crc:
                        out[str(w)] = np.frombuffer(vec, dtype=np.float32)
        return out

    def put_words(self, vecs: dict[str, np.ndarray]) -> None:
        """Store word vectors (one transaction)."""
        rows = [(self.model, w, *_blob(v)) for w, v in vecs.items()]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO words VALUES(?,?,?,?)", rows)
            self._db.execute("COMMIT")
