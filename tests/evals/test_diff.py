"""``rag eval --baseline``: which questions changed between two real reports, answers side by side.

The two reports come from real runs (real MiniLM model, real Chroma store): the acceptance
questions over both seed articles, then over a corpus with the SCMP article removed, as a pull
request that drops a document would do.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from evals.diff import Change, diff_reports, outcome, render_diff_markdown
from evals.run import QUESTIONS, main

SCMP = "002_afb7bb23509a6b82.txt"


def _row(id_: str, answerable: bool, abstained: bool, correct: bool, answer: str = "a") -> dict[str, Any]:
    return {"id": id_, "question": f"q {id_}?", "answerable": answerable, "abstained": abstained,
            "correct": correct, "answer": answer}  # fmt: skip


def test_diff_kinds_unit() -> None:
    """Every transition kind, regressions first (dicts shaped like latest.json's results)."""
    old = {
        "results": [
            _row("a", True, False, True),
            _row("b", True, False, False),
            _row("c", False, True, True),
            _row("d", True, False, True, "x"),
            _row("e", True, False, True),
            _row("gone", True, True, False),
        ]
    }
    new = {
        "results": [
            _row("a", True, True, False),
            _row("b", True, False, True),
            _row("c", False, False, False),
            _row("d", True, False, True, "y"),
            _row("e", True, False, True),
            _row("new", True, False, True),
        ]
    }
    changes = diff_reports(old, new)
    got = [(c.id, c.kind, c.transition) for c in changes]
    assert got == [
        ("a", "regressed", "correct → abstained"),
        ("c", "regressed", "abstained (right) → answered (wrong)"),
        ("b", "improved", "wrong → correct"),
        ("d", "text", "correct → correct"),
        ("new", "added", "(new) correct"),
        ("gone", "removed", "abstained (removed)"),
    ]
    assert [c.id for c in diff_reports(old, new, text=False)] == ["a", "c", "b", "new", "gone"]
    md = render_diff_markdown(changes, "old.json", old, new)
    assert "## Regressed (2)" in md and "| d | q d? | correct → correct | x | y |" in md


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> dict[str, Any]:
    """Baseline: acceptance questions over the seeds; then again without the SCMP article, with --baseline."""
    tmp = tmp_path_factory.mktemp("baseline")
    questions = tmp / "acceptance.jsonl"
    rows = [json.loads(x) for x in QUESTIONS.read_text(encoding="utf-8").splitlines() if x.strip()]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows if r.get("origin") == "acceptance"))
    corpus = tmp / "corpus"
    shutil.copytree(seeds_dir, corpus)
    (corpus / SCMP).unlink()
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("RAG_PROGRESS", "false")
        common = ["--questions", str(questions), "--quiet"]
        rc_old = main([*common, "--home", str(tmp / "home-old"), "--report-dir", str(tmp / "old")])
        mp.setenv("RAG_DOCS", json.dumps([str(corpus)]))
        baseline = tmp / "old" / "latest.json"
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc_new = main([*common, "--home", str(tmp / "home-new"), "--report-dir", str(tmp / "new"),
                           "--baseline", str(baseline)])  # fmt: skip
    finally:
        mp.undo()
    return {"tmp": tmp, "rc": (rc_old, rc_new), "stdout": buf.getvalue(), "baseline": baseline}


def test_baseline_diff_on_real_reports(two_reports: dict[str, Any]) -> None:
    tmp = two_reports["tmp"]
    assert all(rc in (0, 1) for rc in two_reports["rc"]), two_reports["rc"]
    old = json.loads((tmp / "old" / "latest.json").read_text())
    new = json.loads((tmp / "new" / "latest.json").read_text())
    diff = json.loads((tmp / "new" / "baseline-diff.json").read_text())
    by_id_old = {r["id"]: r for r in old["results"]}
    by_id_new = {r["id"]: r for r in new["results"]}
    # exactly the questions whose outcome differs (or whose answer text does) are listed, with both answers
    expected = {i for i in by_id_new if outcome(by_id_old[i]) != outcome(by_id_new[i])}
    expected |= {i for i in by_id_new if by_id_old[i]["answer"] != by_id_new[i]["answer"]}
    assert {c["id"] for c in diff["changes"]} == expected
    for c in diff["changes"]:
        assert c["old_answer"] == by_id_old[c["id"]]["answer"] and c["new_answer"] == by_id_new[c["id"]]["answer"]
        assert c["old"] == outcome(by_id_old[c["id"]]) and c["new"] == outcome(by_id_new[c["id"]])
    # most acceptance answers quote the SCMP article: dropping it must cost some of them
    regressed = [c for c in diff["changes"] if c["kind"] == "regressed"]
    assert regressed, diff["summary"]
    assert old["overall"]["correctness"] > new["overall"]["correctness"]
    # printed and written as markdown, side by side
    out = two_reports["stdout"]
    assert "against baseline" in out and regressed[0]["id"] in out and "before:" in out and "now:" in out
    md = (tmp / "new" / "baseline-diff.md").read_text()
    assert "## Regressed" in md and "| metric | baseline | now | Δ |" in md
    assert regressed[0]["transition"] in md


def test_bad_baseline_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "old.json"
    bad.write_text('{"overall": {}}')
    assert main(["--baseline", str(bad), "--questions", str(QUESTIONS), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rag eval: error:") and "not a `rag eval` report" in err and "\n" not in err
    assert main(["--baseline", str(tmp_path / "missing.json"), "--quiet"]) == 2
    assert "cannot read baseline report" in capsys.readouterr().err


def test_change_dict_has_transition() -> None:
    c = Change("x", "q?", "regressed", "correct", "wrong", "old", "new")
    assert c.to_dict()["transition"] == "correct → wrong"
