"""Hostile corpora: every bad file is skipped with a reason, the build finishes, the seeds still answer right."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import index.build
from index.build import build_index
from index.load import MAX_FILE_BYTES, Skipped, iter_files, load_file, scan_file
from index.store import Store
from tests.index.test_build import CountingEmbedder

DEPTH = 60
HUGE_BYTES = 50 * 1024 * 1024
SEED_A, SEED_B = "000_17db5ef171448135.txt", "002_afb7bb23509a6b82.txt"
# Files the build deletes just before scanning / loading them (see _vanishing).
VANISH_SCAN, VANISH_LOAD = "vanish_before_scan.txt", "vanish_before_load.txt"
# name -> words its skip reason must contain.
EXPECTED_SKIPS = {
    "empty.txt": "empty file",
    "blank.md": "empty file",
    "binary.txt": "binary",
    "latin1.txt": "not UTF-8",
    "truncated_utf8.md": "not UTF-8",
    "utf16.txt": "binary",
    "broken.pdf": "unreadable PDF",
    "huge.txt": f"larger than the {MAX_FILE_BYTES // 2**20} MiB limit (50 MiB)",
    "loop_a.txt": "symlink loop",
    "loop_b.txt": "symlink loop",
    "dangling.txt": "broken symlink",
    "fifo.txt": "not a regular file",
    "bad\udcffname.txt": "file name is not valid UTF-8",
    VANISH_SCAN: "vanished while indexing",
    VANISH_LOAD: "vanished while indexing",
    "alias.txt": f"duplicate of docs/{SEED_A}",
    f"copies/{SEED_B}": f"duplicate of docs/{SEED_B}",
}


def _write_huge(path: Path) -> None:
    """A real 50 MiB text file, written in 1 MiB blocks (no 50 MiB string in memory)."""
    line = b"The quarterly tonnage report repeats this line for padding purposes only.\n"
    block = line * (2**20 // len(line) + 1)
    with path.open("wb") as fh:
        for _ in range(HUGE_BYTES // 2**20):
            fh.write(block[: 2**20])


def _hostile(folder: Path, seeds_dir: Path) -> Path:
    """The seed articles (with their sidecar) among every kind of file an index must survive."""
    shutil.copytree(seeds_dir, folder)
    for f in folder.iterdir():
        f.chmod(0o644)
    (folder / "copies").mkdir()
    shutil.copyfile(seeds_dir / SEED_B, folder / "copies" / SEED_B)  # same bytes under a second name
    (folder / "alias.txt").symlink_to(SEED_A)  # a second name for the same file
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("  \n\t\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40)
    (folder / "latin1.txt").write_bytes("Le café coûte deux euros à Genève.".encode("latin-1"))
    (folder / "truncated_utf8.md").write_bytes("Prices rose by 5 €".encode() + "€".encode()[:2])
    (folder / "utf16.txt").write_text("A note saved as UTF-16 by an old editor.", encoding="utf-16")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really a PDF")
    _write_huge(folder / "huge.txt")
    (folder / "loop_a.txt").symlink_to("loop_b.txt")
    (folder / "loop_b.txt").symlink_to("loop_a.txt")
    (folder / "dangling.txt").symlink_to("no_such_target.txt")
    os.mkfifo(folder / "fifo.txt")  # reading it would block forever
    (folder / os.fsdecode(b"bad\xffname.txt")).write_text("A note whose name is not UTF-8.\n", encoding="utf-8")
    (folder / "up").mkdir()
    (folder / "up" / "back").symlink_to("..", target_is_directory=True)  # a folder cycle
    for name in (VANISH_SCAN, VANISH_LOAD):
        (folder / name).write_text(f"The note {name} is deleted while the index is being built.\n", encoding="utf-8")
    deep = folder.joinpath(*[f"d{i:02d}" for i in range(DEPTH)])
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("The archive's deepest folder holds the tide tables for 1911.\n", encoding="utf-8")
    return folder


def _vanishing(real: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``real`` (the build's scan or load step) after deleting the file ``name`` just before it is read."""

    def step(path: Path, *args: Any) -> Any:
        if path.name == name:
            path.unlink()
        return real(path, *args)

    return step


@pytest.fixture()
def hostile(tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hostile folder ``tmp_path/docs`` whose two vanishing files disappear mid-build."""
    monkeypatch.setattr(index.build, "scan_file", _vanishing(index.build.scan_file, VANISH_SCAN))
    monkeypatch.setattr(index.build, "load_file", _vanishing(index.build.load_file, VANISH_LOAD))
    return _hostile(tmp_path / "docs", seeds_dir)


def _reasons(skipped: list[Skipped]) -> dict[str, str]:
    """Skip reasons by path below the corpus folder (``docs/`` or ``corpus/``)."""
    return {s.path.split("/", 1)[1]: s.reason for s in skipped}


def _check_skips(skipped: list[Skipped]) -> None:
    reasons = _reasons(skipped)
    printable = {k.replace("\udcff", "\\xff"): v for k, v in EXPECTED_SKIPS.items()}
    assert set(reasons) == set(printable), reasons
    for name, words in printable.items():
        assert words in reasons[name], (name, reasons[name])


def test_bad_files_are_skipped_and_good_ones_indexed(hostile: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    report = build_index([hostile], store, CountingEmbedder(), tmp_path, progress=False)
    _check_skips(report.skipped)
    deep = "/".join(["docs", *[f"d{i:02d}" for i in range(DEPTH)], "deep.txt"])
    # The copy and the symlink alias are reported as duplicates of the seeds, which are indexed once.
    assert sorted(report.added) == sorted([f"docs/{SEED_A}", f"docs/{SEED_B}", deep])
    assert set(store.manifest()["docs"]) == set(report.added)
    chunks, _ = store.count()
    assert chunks == report.chunks == sum(e["chunks"] for e in store.manifest()["docs"].values())

    # Second build: what vanished is gone, nothing is re-embedded, the same files are skipped.
    again = build_index([hostile], store, CountingEmbedder(), tmp_path, progress=False)
    assert again.embedded == 0 and sorted(again.unchanged) == sorted(report.added)
    assert set(_reasons(again.skipped)) == set(_reasons(report.skipped)) - {VANISH_SCAN, VANISH_LOAD}


def test_file_vanishing_after_it_was_indexed_loses_its_chunks(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    store = Store(tmp_path / "home")
    target = corpus / SEED_A
    build_index([corpus], store, CountingEmbedder(), tmp_path, progress=False)
    target.write_text(target.read_text(encoding="utf-8") + "\nAn edit that makes it re-indexed.\n", "utf-8")
    monkeypatch.setattr(index.build, "load_file", _vanishing(index.build.load_file, SEED_A))
    report = build_index([corpus], store, CountingEmbedder(), tmp_path, progress=False)
    assert _reasons(report.skipped) == {SEED_A: "vanished while indexing"}
    assert report.removed == [f"corpus/{SEED_A}"]  # its old offsets no longer hold: no stale citations
    metas = store.chunks.get(include=["metadatas"])["metadatas"]
    assert {m["source"] for m in metas} == {f"corpus/{SEED_B}"}


def test_oversized_file_is_never_read_into_memory(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    _write_huge(huge)
    tracemalloc.start()
    try:
        scanned, loaded = scan_file(huge, tmp_path), load_file(huge, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(scanned, Skipped) and isinstance(loaded, Skipped)
    assert scanned.reason == loaded.reason == "larger than the 16 MiB limit (50 MiB)"
    assert peak < 2**20, f"peak {peak} bytes"


def test_walk_survives_cycles_and_depth(tmp_path: Path, seeds_dir: Path) -> None:
    folder = _hostile(tmp_path / "docs", seeds_dir)
    found = {p.relative_to(folder).as_posix(): p for p in iter_files([folder])}
    assert not any(n.startswith("up/") for n in found)  # the symlink back up the tree is not followed
    assert sum(n.endswith("deep.txt") for n in found) == 1
    skipped = {n: scan_file(found[n], tmp_path) for n in ("alias.txt", f"copies/{SEED_B}")}
    assert skipped == {
        "alias.txt": Skipped("docs/alias.txt", f"duplicate of docs/{SEED_A}"),  # the first name in walk order wins
        f"copies/{SEED_B}": Skipped(f"docs/copies/{SEED_B}", f"duplicate of docs/{SEED_B}"),
    }


def test_seed_answers_survive_a_hostile_corpus(
    hostile: Path, tmp_path: Path, assistant, acceptance: list[dict], repo: Path
) -> None:
    from index.embed import default_embedder
    from rag import Assistant
    from tests.rag.test_acceptance import _overlaps

    home = tmp_path / "home"
    report = build_index([hostile], Store(home), default_embedder(), tmp_path, progress=False)
    _check_skips(report.skipped)
    assert len(report.added) == 3
    hostile_assistant = Assistant(home=home, docs=[hostile], root=tmp_path, progress=False)
    for q in acceptance:
        clean, got = assistant.ask(q["question"]), hostile_assistant.ask(q["question"])
        for c in got.citations:
            assert (tmp_path / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
        assert got.abstained == clean.abstained, (q["id"], got.text)
        assert got.text == clean.text, q["id"]  # the skipped files change no answer
        if q["answerable"]:
            low = got.text.lower()
            assert all(any(alt.lower() in low for alt in group) for group in q["must"]), (q["id"], got.text)
            assert any(_overlaps(c, q["support"], tmp_path) for c in got.citations), (q["id"], got.text)
