"""Chroma's HNSW search width: wide enough that the nearest chunks are really found."""

from __future__ import annotations

from pathlib import Path

from index.chroma import SEARCH_EF
from index.store import Store


def _ef(collection) -> int:
    return int(collection.configuration["hnsw"]["ef_search"])


def test_new_collections_search_wide(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    assert _ef(store.chunks) == SEARCH_EF and _ef(store.sents) == SEARCH_EF


def test_collections_of_an_older_index_are_widened_when_opened(tmp_path: Path) -> None:
    first = Store(tmp_path / "home")
    chunks, sents = first.names(first.space)
    for name in (chunks, sents):  # as indexes made before the setting existed
        first.client.delete_collection(name)
        first.client.create_collection(name, metadata={"hnsw:space": "cosine"})
    assert _ef(first.client.get_collection(chunks)) == 100
    again = Store(tmp_path / "home")
    assert _ef(again.chunks) == SEARCH_EF and _ef(again.sents) == SEARCH_EF
