"""``rag bench``: reproducible corpora, and one real end-to-end run on the seeds size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.bench_corpus import make_corpus, parse_size


def test_parse_size() -> None:
    assert [parse_size(s) for s in ("seeds", "1k", "10k", "250", "2.5k")] == [2, 1000, 10000, 250, 2500]
    with pytest.raises(ValueError):
        parse_size("lots")


def test_corpus_is_reproducible_and_plants_the_seeds(tmp_path: Path, seeds_dir: Path) -> None:
    pool = [(f"/usr/share/doc/pkg{i}/README", f"Piece {i}. " + "Some words here. " * 20) for i in range(50)]
    a = make_corpus(20, tmp_path / "a", seeds_dir, pool)
    b = make_corpus(20, tmp_path / "b", seeds_dir, pool)
    assert a["fingerprint"] == b["fingerprint"] and a["files"] == 20
    files_a = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*.txt"))
    assert files_a == sorted(p.relative_to(tmp_path / "b").as_posix() for p in (tmp_path / "b").rglob("*.txt"))
    assert "docs/seeds/002_afb7bb23509a6b82.txt" in files_a
    assert make_corpus(20, tmp_path / "a", seeds_dir, []) == a  # reused, not redrawn


@pytest.mark.slow
def test_bench_seeds_end_to_end(tmp_path: Path, monkeypatch, capsys) -> None:
    import evals.bench

    monkeypatch.setattr(evals.bench, "OUT", tmp_path / ".bench")
    monkeypatch.setattr(evals.bench, "embed_throughput", lambda emb, texts: {"skipped": True})
    from rag.cli import main

    assert main(["bench", "--sizes", "seeds", "--n", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    row = result["sizes"][0]
    assert row["size"] == "seeds" and row["ours"]["acceptance"]["total"] >= 16
    assert row["ours"]["quality"]["hit"] >= 0.9 and row["peer"]["build"]["chunks"] >= 2
    cli = row["ours"]["cold_cli"]  # `rag ask` as a whole process, over the bench's index
    assert len(cli["runs_s"]) == 5 and min(cli["runs_s"]) <= cli["median_s"] <= max(cli["runs_s"])
    assert set(row["ratio"]) >= {"build_s", "retrieve_p50", "hit", "cold_first_answer_s", "peak_rss_mb"}
    assert (tmp_path / ".bench" / "bench.json").is_file() and (tmp_path / ".bench" / "bench.png").stat().st_size > 0
