"""Chroma's HNSW search width: wide enough that the nearest chunks are really found."""

from __future__ import annotations

from pathlib import Path

from index.chroma import SEARCH_EF, connect
from index.store import Store


def _ef(collection) -> int:
    return int(collection.configuration["hnsw"]["ef_search"])


def test_new_spaces_search_wide(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    _, system, chunks, sents = store.open_space("g1", sizes=(10, 10))
    try:
        assert _ef(chunks) == SEARCH_EF and _ef(sents) == SEARCH_EF
    finally:
        system.stop()


def test_narrower_collections_are_widened_when_opened(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    client, system = connect(store.space_dir("g1"), None)
    for name in store.names("g1"):  # as collections made before the setting existed
        client.create_collection(name, metadata={"hnsw:space": "cosine"})
    assert _ef(client.get_collection(store.names("g1")[0])) == 100
    system.stop()
    _, system, chunks, sents = store.open_space("g1")
    try:
        assert _ef(chunks) == SEARCH_EF and _ef(sents) == SEARCH_EF
    finally:
        system.stop()
