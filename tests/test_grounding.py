"""The grounding gate: the full question set through the real pipeline, every floor of evals/thresholds.toml.

Real MiniLM model, real embedded Chroma store built from the seeds into a temporary home (the
session ``assistant`` fixture is ``Assistant(home=tmp)``), real judge (``rag.grounding.verify``). On failure
each assertion lists the questions that broke the metric and why; the whole table is printed too
(``pytest -s`` shows it on success).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from evals.metrics import cached_judge
from evals.run import FEVER_DEV, QUESTIONS, build_report, evaluate, judge_on_fever, load_questions, load_thresholds

pytestmark = pytest.mark.slow

THRESHOLDS = load_thresholds()
SET_METRICS = [
    (side, metric, limit)
    for side, limits in THRESHOLDS.items()
    for metric, limit in limits.items()
    if not metric.startswith("judge_")
]

# Which questions break each metric (from a result's to_dict()).
_BREAKS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "correctness": lambda r: r["answerable"] and not r["correct"],
    "citation_validity": lambda r: r["valid_citations"] < r["citations"],
    "citation_recall": lambda r: r.get("citation_recall", 1.0) < 1.0,
    "citation_precision": lambda r: r.get("citation_precision", 1.0) < 1.0,
    "abstention_recall": lambda r: not r["answerable"] and not r["correct"],
    "false_abstention": lambda r: r["answerable"] and r["abstained"],
}


@pytest.fixture(scope="module")
def report(assistant) -> dict[str, Any]:
    """Ask every question once and score it (shared by the per-metric tests below)."""
    from evals.run import render_table
    from rag.grounding.verify import is_supported

    k = assistant.settings.k
    results = evaluate(assistant, load_questions(QUESTIONS), cached_judge(is_supported), k, progress=False)
    rep = build_report(results, k, {"created": "test", "questions_file": "evals/questions.jsonl", "mode": "extractive"})
    print("\n" + render_table(rep))
    return rep


def _broken(report: dict[str, Any], metric: str) -> str:
    rows = [r for r in report["results"] if _BREAKS.get(metric, lambda _: False)(r)]
    lines = [f"  {r['id']} [{r['category']}] {r['question']}\n      -> {'; '.join(r['reasons'])}" for r in rows]
    return f"{len(rows)} question(s) broke it:\n" + "\n".join(lines)


# Floors the pipeline does not reach yet. The floor itself stays as the issue set it; the test is a
# strict xfail, so CI shows the gap and turns red the day it closes (then delete the entry).
BELOW_FLOOR: dict[str, str] = {}
GATE = [
    pytest.param(side, metric, limit, id=metric, marks=[pytest.mark.xfail(strict=True, reason=BELOW_FLOOR[metric])])
    if metric in BELOW_FLOOR
    else pytest.param(side, metric, limit, id=metric)
    for side, metric, limit in SET_METRICS
]


@pytest.mark.parametrize(("side", "metric", "limit"), GATE)
def test_grounding_threshold(report: dict[str, Any], side: str, metric: str, limit: float) -> None:
    value = report["overall"][metric]
    assert value is not None, f"{metric} was not measured"
    ok = value >= limit if side == "min" else value <= limit
    op = ">=" if side == "min" else "<="
    assert ok, f"{metric} = {value:.4f}, the gate needs {op} {limit:.2f}; {_broken(report, metric)}"


def test_judge_balanced_accuracy_on_fever() -> None:
    """rag.grounding.verify on FEVER-Symmetric dev: the shipped weights and the grouped 5-fold CV figure."""
    if not FEVER_DEV.is_file():
        pytest.skip(f"FEVER-Symmetric dev file not found at {FEVER_DEV}")
    result = judge_on_fever(FEVER_DEV, cv=True, progress=False)
    print(f"\njudge on FEVER-Symmetric dev: {result}")
    for metric in ("judge_balanced_accuracy", "judge_balanced_accuracy_cv"):
        floor = THRESHOLDS["min"][metric]
        assert result[metric] >= floor, (
            f"{metric} = {result[metric]:.4f} < {floor:.2f} "
            f"(recall SUPPORTS {result['recall_supports']:.3f}, REFUTES {result['recall_refutes']:.3f})"
        )
