"""``rag eval --squad FILE``: the whole pipeline on a SQuAD-2.0-format file (real model, real store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from evals.squad import normalize_answer

CTX = (
    "The Brackwater mill opened in 1820 on the river Tarn. It closed in 1901, after a fire destroyed the "
    "weaving hall. The workers then moved to the coast, where herring fishing paid better."
)


def _squad(tmp_path: Path) -> Path:
    qas = [
        {"id": "1", "question": "When did the Brackwater mill close?", "is_impossible": False,
         "answers": [{"text": "1901", "answer_start": CTX.index("1901")}]},
        {"id": "2", "question": "Who bought the Brackwater mill in 1950?", "is_impossible": True, "answers": []},
    ]  # fmt: skip
    data = {"version": "v2.0", "data": [{"title": "Brackwater_mill", "paragraphs": [{"context": CTX, "qas": qas}]}]}
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_normalisation_is_squads() -> None:
    assert normalize_answer("The  Dutch, government!") == "dutch government"


def test_squad_cli_prints_and_writes_the_scores(tmp_path: Path, repo: Path) -> None:
    report = tmp_path / "report"
    cmd = [sys.executable, "-m", "rag.cli", "eval", "--squad", str(_squad(tmp_path)), "--json", "--quiet",
           "--report-dir", str(report)]  # fmt: skip
    out = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["has_ans_n"] == 1 and summary["no_ans_n"] == 1 and summary["questions"] == 2
    saved = json.loads((report / "squad.json").read_text(encoding="utf-8"))
    assert saved["summary"]["overall"] == summary["overall"] and len(saved["questions"]) == 2
    rows = {r["id"]: r for r in saved["questions"]}
    assert summary["has_ans"] == float(rows["1"]["ok"]) and summary["no_ans"] == float(rows["2"]["ok"])
    assert rows["2"]["ok"] == rows["2"]["abstained"]  # unanswerable: right exactly when it abstained


def test_squad_cli_refuses_a_bad_file_in_one_line(tmp_path: Path, repo: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--squad", str(bad)], cwd=repo,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "SQuAD" in out.stderr
