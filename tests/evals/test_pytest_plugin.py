"""The pytest plugin, run as a team would run it: pytester sessions over a tiny corpus (the two seed
articles) with the real MiniLM model and a real Chroma store, configured by a pytest.ini only.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from evals.run import QUESTIONS

ROWS = {r["id"]: r for r in map(json.loads, QUESTIONS.read_text(encoding="utf-8").splitlines()) if r}
GOOD = ["a01", "a03", "a04"]  # answerable acceptance questions the seeds answer
OFF_TOPIC = {"id": "off", "question": "Who won the 2022 football World Cup?", "answerable": False}
FLOORS = """
[min]
correctness = 0.75
citation_validity = 1.0
abstention_recall = 1.0
[max]
false_abstention = 0.25
"""


def _plugin_args() -> list[str]:
    """``-p evals.pytest_plugin`` unless the installed package's entry point already loads it."""
    autoloaded = any(ep.name == "rag" and ep.value == "evals.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if autoloaded else ["-p", "evals.pytest_plugin"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, assistant) -> dict[str, Path]:
    """One corpus and one index folder for every inner session (a CI cache would keep it the same way).

    The inner sessions run in this process (``runpytest``), and pytester unloads the modules each one
    imported: asking and judging once here imports numpy, onnxruntime, chromadb... for good.
    """
    from rag.grounding.verify import is_supported

    answer = assistant.ask("How long do Chinese rare-earth export licences last today?")
    assert is_supported(answer.citations[0].quote, answer.citations[0].quote)
    base = tmp_path_factory.mktemp("plugin")
    shutil.copytree(seeds_dir, base / "docs")
    return {"docs": base / "docs", "home": base / "home"}


def _project(pytester: pytest.Pytester, shared: dict[str, Path], rows: list[dict] | None) -> None:
    # the team's configuration: where the documents and the index are, then the gate's two lines
    ini = f"[pytest]\nrag_corpus = {shared['docs']}\nrag_home = {shared['home']}\n"
    if rows is not None:
        pytester.makefile(".jsonl", questions="\n".join(json.dumps(r) for r in rows))
        pytester.makefile(".toml", floors=FLOORS)
        ini += "rag_questions = questions.jsonl\nrag_thresholds = floors.toml\n"
    pytester.makeini(ini)


def test_entry_point_is_declared(repo: Path) -> None:
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pytest11"] == {"rag": "evals.pytest_plugin"}


def test_questions_file_that_passes(pytester: pytest.Pytester, shared: dict[str, Path]) -> None:
    _project(pytester, shared, [ROWS[i] for i in GOOD] + [OFF_TOPIC])
    result = pytester.runpytest(*_plugin_args(), "-v")
    result.assert_outcomes(passed=len(GOOD) + 1 + 4)
    result.stdout.fnmatch_lines(
        [
            "*rag: questions *questions.jsonl, floors *floors.toml*",
            "*collected 8 items",
            "*rag_question?a01? PASSED*",
            "*rag_question?off? PASSED*",
            "*rag_floor?correctness? PASSED*",
            "*rag_floor?false_abstention? PASSED*",
        ]  # fmt: skip
    )
    assert result.ret == 0


def test_questions_file_that_fails_a_floor(pytester: pytest.Pytester, shared: dict[str, Path]) -> None:
    """Two questions the documents don't answer, marked answerable: they xfail, and the correctness floor fails."""
    missing = [
        {"id": "m1", "question": "What is the boiling point of mercury in kelvin?", "answerable": True,
         "must": [["629"]]},
        {"id": "m2", "question": "Who painted the ceiling of the Sistine Chapel?", "answerable": True,
         "must": [["Michelangelo"]]},
    ]  # fmt: skip
    _project(pytester, shared, [ROWS[i] for i in GOOD] + missing)
    result = pytester.runpytest(*_plugin_args(), "-rxs")
    # validity passes, correctness and false abstention fail, abstention recall has nothing to measure
    result.assert_outcomes(passed=len(GOOD) + 1, xfailed=2, failed=2, skipped=1)
    out = result.stdout.str()
    assert "correctness = 0.6000, the floor needs >= 0.75 (5 questions)" in out
    assert "false_abstention = 0.4000, the floor needs <= 0.25" in out
    assert "m1 'What is the boiling point of mercury in kelvin?': abstained" in out
    assert "XFAIL questions.jsonl::rag_question[m2] - abstained" in out
    assert "abstention_recall not measured: no question in the file it applies to" in out
    assert result.ret == 1


def test_assert_grounded_fails_on_a_tampered_citation(pytester: pytest.Pytester, shared: dict[str, Path]) -> None:
    _project(pytester, shared, None)
    pytester.makepyfile(
        test_team="""
        import dataclasses

        from evals.pytest_plugin import assert_grounded

        Q = "How long do Chinese rare-earth export licences last today?"

        def test_real_answer_is_grounded(rag_answer):
            assert_grounded(rag_answer(Q), must=[["three-month", "three months"]])

        def test_tampered_citation(rag_answer):
            answer = rag_answer(Q)
            # the quote says six months where the file says three: the span no longer re-reads
            cites = [dataclasses.replace(c, quote=c.quote.replace("three", "six")) for c in answer.citations]
            assert any("six-month" in c.quote for c in cites)
            assert_grounded(dataclasses.replace(answer, citations=tuple(cites)))

        def test_missing_group(rag_answer):
            assert_grounded(rag_answer(Q), must=[["ten-year"]])
        """
    )
    result = pytester.runpytest(*_plugin_args(), "test_team.py")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert "answer is not grounded:" in out and "question: How long do Chinese rare-earth" in out
    assert "invalid: quote differs from" in out
    assert "[1] seeds/" in out or f"[1] {shared['docs']}" in out  # the citations are listed with their spans
    assert "six-month" in out  # the tampered quote is shown
    assert "missing: none of ['ten-year'] in the answer" in out


def test_bad_questions_file_is_a_usage_error(pytester: pytest.Pytester, shared: dict[str, Path]) -> None:
    _project(pytester, shared, [{"question": "no answerable flag"}])
    result = pytester.runpytest(*_plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "rag: " in result.stderr.str() and "'answerable' must be true or false" in result.stderr.str()


def test_plugin_is_inert_without_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_ok():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=1)
    assert "rag: questions" not in result.stdout.str()
