"""The Library tab's handlers on the real Assistant (no server): upload status, skipped copies, ticks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def test_upload_status_names_what_the_indexer_skipped(assistant: Any, seeds_dir: Path, tmp_path: Path) -> None:
    from rag import Assistant
    from rag.sources import Collections
    from ui.library import LibraryApp

    a = Assistant(home=tmp_path / "home", embedder=assistant.embedder)
    lib = LibraryApp(Collections(a))
    seed = next(seeds_dir.glob("*.txt"))
    copy = tmp_path / "copy.txt"
    copy.write_bytes(seed.read_bytes())  # the same bytes as a configured document
    new = tmp_path / "new.txt"
    new.write_text("The Skerrow lighthouse was first lit in 1871.\n", encoding="utf-8")
    frames = list(lib.on_upload([str(copy), str(new)], "rag", []))
    status, cleared, ticks, listing, picker, viewer = frames[-1]
    assert "2 file(s) added" in status and "1 skipped" in status
    assert "not indexed: duplicate of" in status and cleared is None
    ids = [i for _, i in ticks["choices"]]
    assert len(ids) == 3 and sorted(ticks["value"]) == sorted(ids)  # new documents start ticked
    assert lib.tick(ids[:2], "rag") == [ids[2]]  # unticked = excluded
    assert "1871" in a.ask("When was the Skerrow lighthouse first lit?").text
    assert "3 document(s)" in listing and picker["value"] is not None and viewer["choices"]
