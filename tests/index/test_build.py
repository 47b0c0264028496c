"""Incremental indexing: unchanged files cost nothing, changed files replace, deleted files go."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.errors import IndexBusyError
from index.lock import index_lock
from index.store import Store


class CountingEmbedder:
    """Deterministic hash vectors; counts texts so tests can see embedding work (logic test only)."""

    name = "hash-test"
    dim = 16

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def embed(self, texts):
        self.calls += 1
        self.texts += len(texts)
        rows = []
        for t in texts:
            v = np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim], dtype=np.uint8).astype(np.float32)
            rows.append(v / (np.linalg.norm(v) or 1.0))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "home")


def test_incremental_reindex(corpus: Path, store: Store) -> None:
    emb = CountingEmbedder()
    first = build_index([corpus], store, emb, corpus.parent, progress=False)
    assert len(first.added) == 2 and first.chunks > 0
    chunks, sents = store.count()
    assert chunks == first.chunks and sents > chunks

    emb.texts = 0
    again = build_index([corpus], store, emb, corpus.parent, progress=False)
    assert again.embedded == 0 and emb.texts == 0 and len(again.unchanged) == 2
    assert store.count() == (chunks, sents)

    target = corpus / "000_17db5ef171448135.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nA brand new closing sentence was added.\n", "utf-8")
    changed = build_index([corpus], store, emb, corpus.parent, progress=False)
    assert changed.updated == ["corpus/000_17db5ef171448135.txt"] and not changed.added
    docs = {m["doc_id"] for m in store.chunks.get(include=["metadatas"])["metadatas"]}
    assert len(docs) == 2
    texts = store.chunks.get(include=["documents"])["documents"]
    assert sum("brand new closing sentence" in t for t in texts) == 1

    (corpus / "002_afb7bb23509a6b82.txt").unlink()
    gone = build_index([corpus], store, emb, corpus.parent, progress=False)
    assert gone.removed == ["corpus/002_afb7bb23509a6b82.txt"]
    metas = store.chunks.get(include=["metadatas"])["metadatas"]
    assert {m["source"] for m in metas} == {"corpus/000_17db5ef171448135.txt"}
    assert set(store.manifest()["docs"]) == {"corpus/000_17db5ef171448135.txt"}


def test_bad_files_are_skipped_with_reasons(corpus: Path, store: Store) -> None:
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    (corpus / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (corpus / "empty.md").write_text("   \n", "utf-8")
    (corpus / "notes.md").write_text("# Notes\n\nThe committee met on Friday to discuss budgets.\n", "utf-8")
    (corpus / "image.png").write_bytes(b"\x89PNG")
    report = build_index([corpus], store, CountingEmbedder(), corpus.parent, progress=False)
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"binary.txt", "latin1.txt", "empty.md"}
    assert "binary" in reasons["binary.txt"] and "UTF-8" in reasons["latin1.txt"] and "empty" in reasons["empty.md"]
    assert "corpus/notes.md" in report.added and len(report.added) == 3


def test_second_builder_is_refused_with_pid(store: Store) -> None:
    with index_lock(store.home):
        with pytest.raises(IndexBusyError, match=f"PID {os.getpid()}"):
            with index_lock(store.home):
                pass


def test_changed_embedder_rebuilds_everything(corpus: Path, store: Store) -> None:
    build_index([corpus], store, CountingEmbedder(), corpus.parent, progress=False)
    other = CountingEmbedder()
    other.name = "another-model"
    report = build_index([corpus], store, other, corpus.parent, progress=False)
    assert len(report.added) == 2 and other.texts > 0


def test_edited_metadata_makes_a_generation_without_embedding(corpus: Path, store: Store) -> None:
    emb = CountingEmbedder()
    build_index([corpus], store, emb, corpus.parent, progress=False)
    sidecar = corpus / "sources.toml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("Finbarr Bermingham", "F. Bermingham"), "utf-8")
    emb.texts = 0
    report = build_index([corpus], store, emb, corpus.parent, progress=False)
    assert report.published and report.embedded == 0 and emb.texts == 0 and report.reused
    meta = store.committed["docs"]["corpus/002_afb7bb23509a6b82.txt"]["meta"]
    assert meta["author"] == "F. Bermingham" and store.committed["gen"] == 2
    assert not build_index([corpus], store, emb, corpus.parent, progress=False).published  # nothing changed now
