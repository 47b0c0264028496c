"""``rag eval`` / ``python -m evals``: score the assistant on a question set, gate on ``thresholds.toml``.

    rag eval [--questions F] [--thresholds T] [--baseline OLD.json] [--mode M] [--k N] [--home DIR] [--json]
    rag eval --judge [--cv] [--fever F]
    rag eval --from-feedback RAG_HOME/feedback.jsonl --out candidates.jsonl

The first form asks every question through :class:`rag.Assistant` (the default index, built from
the seeds if missing, unless ``--home`` names another), scores the answers with
:mod:`evals.metrics`, prints a table per category, writes ``evals/report/latest.json``,
``latest.md`` and ``scores.png``, and exits 1 when a threshold fails (``--thresholds``: a team's own
floors); ``--baseline`` adds which questions changed against an older ``latest.json``
(:mod:`evals.diff`). The second scores the
grounding judge (:mod:`rag.grounding.verify`) on FEVER-Symmetric dev and writes ``evals/report/judge.json``.
The third turns the chat page's rated turns into candidate questions (:mod:`evals.feedback`).
Bad input (a missing or malformed questions file, an unknown mode) exits 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.metrics import (
    QuestionResult,
    aggregate,
    balanced_accuracy,
    cached_judge,
    score_question,
)

__all__ = [
    "REPO",
    "QUESTIONS",
    "REPORT_DIR",
    "THRESHOLDS",
    "FEVER_DEV",
    "EvalInputError",
    "load_questions",
    "load_thresholds",
    "load_baseline",
    "check_thresholds",
    "evaluate",
    "judge_on_fever",
    "run_from_feedback",
    "register",
    "build_parser",
    "main",
]

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "evals" / "questions.jsonl"
REPORT_DIR = REPO / "evals" / "report"
THRESHOLDS = REPO / "evals" / "thresholds.toml"
FEVER_DEV = REPO.parent / "shared" / "datasets" / "fever_symmetric" / "dev.jsonl"

# What the table and chart show, in order: (key in the scores, column title).
COLUMNS = (
    ("correctness", "correct"),
    ("abstention_recall", "abstain"),
    ("citation_validity", "valid"),
    ("citation_recall", "cit.R"),
    ("citation_precision", "cit.P"),
    ("hit_at_k", "hit@k"),
    ("mrr", "MRR"),
    ("latency_p50_ms", "p50 ms"),
)
CHART_METRICS = ("correctness", "abstention_recall", "citation_recall", "citation_precision", "hit_at_k")


class EvalInputError(Exception):
    """Bad input to the evaluation (exit 2)."""


# -- inputs -------------------------------------------------------------------------------
def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL question file; raises ``EvalInputError`` naming the file and line when it is unusable."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"cannot read questions file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise EvalInputError(f"{path}:{n}: each line must be an object with a 'question' string")
        if not isinstance(row.get("answerable"), bool):
            raise EvalInputError(f"{path}:{n}: 'answerable' must be true or false")
        row.setdefault("id", f"line{n}")
        row.setdefault("category", "answerable" if row["answerable"] else "unanswerable")
        rows.append(row)
    if not rows:
        raise EvalInputError(f"questions file {path} has no questions")
    return rows


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, float]]:
    """``{"min": {metric: floor}, "max": {metric: ceiling}}`` from the TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EvalInputError(f"cannot read thresholds {path}: {exc}") from exc
    return {side: {k: float(v) for k, v in data.get(side, {}).items()} for side in ("min", "max")}


def check_thresholds(scores: Mapping[str, Any], thresholds: Mapping[str, Mapping[str, float]]) -> list[str]:
    """One line per failed threshold; metrics absent from ``scores`` are not checked, ``None`` fails."""
    failures = []
    for side, limits in thresholds.items():
        for metric, limit in limits.items():
            if metric not in scores:
                continue
            value = scores[metric]
            if value is None:
                failures.append(f"{metric}: not measured (no eligible question)")
            elif (side == "min" and value < limit) or (side == "max" and value > limit):
                op = ">=" if side == "min" else "<="
                failures.append(f"{metric} = {value:.4f}, needs {op} {limit:.2f}")
    return failures


# -- the run ------------------------------------------------------------------------------
def _loader(root: Path) -> Callable[[str], str]:
    def load(source: str) -> str:
        p = Path(source)
        return (p if p.is_absolute() else root / p).read_text(encoding="utf-8")

    return load


def _names(assistant: Any) -> Callable[[Any], set[str]]:
    """Citation -> the names its document goes by (publisher, short name, aliases)."""
    by_source: dict[str, set[str]] = {}
    for meta in getattr(assistant, "docs", {}).values():
        names = {str(meta.get("publisher", "")), str(meta.get("short", "")), str(meta.get("title", ""))}
        names.add(Path(str(meta.get("source", ""))).name)  # what an answer says for a document with no metadata
        names |= {a.strip() for a in str(meta.get("aliases", "")).split(",")}
        by_source[str(meta.get("source"))] = {n for n in names if n}
    return lambda c: by_source.get(c.source) or {n for n in (c.publisher, c.title) if n}


def evaluate(
    assistant: Any,
    questions: Sequence[Mapping[str, Any]],
    judge: Callable[[str, str], bool],
    k: int | None = None,
    progress: bool = True,
) -> list[QuestionResult]:
    """Ask every question (timing each ``ask``) and score the answers.

    One untimed ask first loads the model lazily, so the latencies are of a warm assistant.
    """
    from tqdm import tqdm

    k_eff = int(k or assistant.settings.k)
    load = _loader(Path(assistant.settings.root))
    names = _names(assistant)
    if questions:
        assistant.ask(questions[0]["question"], k=k)
    results = []
    for q in tqdm(questions, desc="rag eval", unit="q", file=sys.stderr, disable=not progress):
        t = time.perf_counter()
        answer = assistant.ask(q["question"], k=k)
        ms = (time.perf_counter() - t) * 1000
        results.append(score_question(q, answer, ms, judge, load, k_eff, names))
    return results


def build_report(
    results: Sequence[QuestionResult],
    k: int,
    meta: Mapping[str, Any],
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """Overall and per-category scores, the gate (``thresholds``, default ``THRESHOLDS``), every question's result."""
    categories: dict[str, list[QuestionResult]] = {}
    for r in results:
        categories.setdefault(r.category, []).append(r)
    overall = aggregate(results, k)
    thresholds = load_thresholds() if thresholds is None else thresholds
    failures = check_thresholds(overall, thresholds)
    return {
        **meta,
        "overall": overall,
        "categories": {c: aggregate(rs, k) for c, rs in categories.items()},
        "thresholds": thresholds,
        "gate": {"passed": not failures, "failures": failures},
        "results": [r.to_dict() for r in results],
    }


def _fmt(value: Any, key: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if key.endswith("_ms") else f"{value:.2f}"


def render_table(report: Mapping[str, Any]) -> str:
    """Plain-text table: one row per category, then overall, then the gate and broken questions."""
    k = report["overall"]["k"]
    heads = ["category", "n", *[t.replace("@k", f"@{k}") for _, t in COLUMNS]]
    rows = [
        [cat, str(s["questions"]), *[_fmt(s[key], key) for key, _ in COLUMNS]]
        for cat, s in sorted(report["categories"].items())
    ]
    o = report["overall"]
    rows.append(["overall", str(o["questions"]), *[_fmt(o[key], key) for key, _ in COLUMNS]])
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    line = "  ".join

    def fmt(r: list[str]) -> str:
        return line(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    out = [fmt(heads), fmt(["-" * w for w in widths]), *map(fmt, rows[:-1]), fmt(["-" * w for w in widths])]
    out.append(fmt(rows[-1]))
    out.append(
        f"false abstention {_fmt(o['false_abstention'], '')}   latency p50 {_fmt(o['latency_p50_ms'], '_ms')} ms, "
        f"p95 {_fmt(o['latency_p95_ms'], '_ms')} ms   ({o['answerable']} answerable, {o['unanswerable']} not)"
    )
    gate = report["gate"]
    out.append("gate: PASS" if gate["passed"] else "gate: FAIL\n" + "\n".join(f"  {f}" for f in gate["failures"]))
    broken = [r for r in report["results"] if r["reasons"]]
    if broken:
        out.append(f"questions with problems ({len(broken)}):")
        out += [f"  {r['id']} [{r['category']}] {'; '.join(r['reasons'])}" for r in broken]
    return "\n".join(out)


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: gate, per-category table, and per-question problems."""
    o, th = report["overall"], report["thresholds"]
    lines = [
        f"# Grounding eval — {report['created']}",
        "",
        f"`{report['questions_file']}`, {o['questions']} questions, mode `{report['mode']}`, k = {o['k']}, "
        f"{report['runtime_s']:.0f} s.",
        "",
        "| metric | value | threshold | |",
        "|---|---|---|---|",
    ]
    for key in ("correctness", "citation_validity", "citation_recall", "citation_precision", "hit_at_k", "mrr"):
        lines.append(_md_gate_row(key, o[key], th))
    for key in ("abstention_recall", "false_abstention", "latency_p50_ms", "latency_p95_ms"):
        lines.append(_md_gate_row(key, o[key], th))
    heads = ["category", "n", *[t for _, t in COLUMNS]]
    lines += ["", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for cat, s in sorted(report["categories"].items()):
        lines.append(f"| {cat} | {s['questions']} | " + " | ".join(_fmt(s[k], k) for k, _ in COLUMNS) + " |")
    lines.append(f"| **overall** | {o['questions']} | " + " | ".join(_fmt(o[k], k) for k, _ in COLUMNS) + " |")
    broken = [r for r in report["results"] if r["reasons"]]
    lines += ["", f"## Questions with problems ({len(broken)})", ""]
    for r in broken:
        lines.append(f"- **{r['id']}** ({r['category']}) {r['question']}")
        lines += [f"  - {why}" for why in r["reasons"]]
    return "\n".join(lines) + "\n"


def _md_gate_row(key: str, value: Any, th: Mapping[str, Mapping[str, float]]) -> str:
    if key in th["min"]:
        limit, ok = f">= {th['min'][key]:.2f}", value is not None and value >= th["min"][key]
    elif key in th["max"]:
        limit, ok = f"<= {th['max'][key]:.2f}", value is not None and value <= th["max"][key]
    else:
        return f"| {key} | {_fmt(value, key)} | | |"
    return f"| {key} | {_fmt(value, key)} | {limit} | {'pass' if ok else '**FAIL**'} |"


def plot_scores(report: Mapping[str, Any], path: Path) -> None:
    """Bar chart of the main scores per category (and overall) into ``path`` (PNG, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {**dict(sorted(report["categories"].items())), "overall": report["overall"]}
    names = list(groups)
    fig, ax = plt.subplots(figsize=(max(9.0, 1.4 * len(names)), 4.8))
    width = 0.8 / len(CHART_METRICS)
    for j, key in enumerate(CHART_METRICS):
        xs = [i + (j - (len(CHART_METRICS) - 1) / 2) * width for i in range(len(names))]
        ys = [groups[n][key] if groups[n][key] is not None else 0.0 for n in names]
        ax.bar(xs, ys, width, label=key.replace("_", " ").replace("hit at k", f"hit@{report['overall']['k']}"))
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"Grounding eval per category ({report['created'][:16]}; a missing bar = not applicable)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: Mapping[str, Any], out: Path) -> None:
    """``latest.json``, ``latest.md`` and ``scores.png`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "latest.md").write_text(render_markdown(report), encoding="utf-8")
    plot_scores(report, out / "scores.png")


def run_set(args: argparse.Namespace) -> int:
    """``rag eval`` over a question set: exit 0 when every threshold holds, 1 when one fails."""
    questions = load_questions(args.questions)
    thresholds = load_thresholds(args.thresholds)  # fail early (exit 2) on a broken thresholds file
    baseline = load_baseline(args.baseline) if args.baseline is not None else None
    from rag.assistant import Assistant
    from rag.grounding.verify import is_supported

    overrides: dict[str, Any] = {}
    if args.home is not None:
        overrides["home"] = args.home
    if args.mode is not None:
        overrides["mode"] = args.mode
    if args.answerer is not None:
        overrides["answerer"] = args.answerer
    t0 = time.perf_counter()
    assistant = Assistant(**overrides)
    results = evaluate(assistant, questions, cached_judge(is_supported), args.k, progress=not args.quiet)
    k = int(args.k or assistant.settings.k)
    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions_file": _rel(args.questions),
        "mode": assistant.settings.answer_mode,
        "answerer": assistant.settings.answerer,
        "home": str(assistant.settings.home),
        "runtime_s": round(time.perf_counter() - t0, 2),
    }
    report = build_report(results, k, meta, thresholds)
    write_report(report, args.report_dir)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else render_table(report))
    if baseline is not None:
        from evals.diff import diff_reports, render_diff, write_diff

        changes = diff_reports(baseline, report)
        write_diff(changes, _rel(args.baseline), baseline, report, args.report_dir)
        print(render_diff(changes, _rel(args.baseline)), file=sys.stderr if args.json else sys.stdout)
    if not args.json:
        extra = ", baseline-diff.md, baseline-diff.json" if baseline is not None else ""
        print(f"report: {_rel(args.report_dir)}/latest.md, latest.json, scores.png{extra}", file=sys.stderr)
    return 0 if report["gate"]["passed"] else 1


def load_baseline(path: Path) -> dict[str, Any]:
    """An older report for ``--baseline`` (``EvalInputError`` if unusable)."""
    from evals.diff import ReportInputError, load_report

    try:
        return load_report(path)
    except ReportInputError as exc:
        raise EvalInputError(str(exc)) from exc


def run_from_feedback(args: argparse.Namespace) -> int:
    """``rag eval --from-feedback F --out C``: candidate question lines from rated chat turns."""
    from evals.feedback import FeedbackInputError, candidates, read_feedback, write_candidates

    if args.out is None:
        raise EvalInputError("--from-feedback needs --out FILE (where the candidate questions go)")
    try:
        rows, skipped = read_feedback(args.from_feedback)
    except FeedbackInputError as exc:
        raise EvalInputError(str(exc)) from exc
    found = candidates(rows)
    write_candidates(found, args.out)
    ups = sum(c["feedback"]["rating"] == "up" for c in found)
    note = f"; skipped {skipped} line(s) that are not feedback records" if skipped else ""
    print(
        f"wrote {len(found)} candidate question(s) ({ups} liked, {len(found) - ups} disliked) to {args.out}{note}; "
        "review each line (see its 'review' note, fill 'must'), then add it to your questions file"
    )
    return 0


# -- the judge on FEVER ---------------------------------------------------------------------
def judge_on_fever(path: Path = FEVER_DEV, cv: bool = False, progress: bool = True) -> dict[str, Any]:
    """Balanced accuracy and per-class recall of the judge (:mod:`rag.grounding.verify`) on FEVER-Symmetric dev.

    Premise = ``evidence``, hypothesis = ``claim`` (read by :func:`evals.judge_fever.load_fever`).
    Scores are ``rag.grounding.verify.support_scores``'s: the shipped weights over ``feature_matrix``, computed
    once in batches. Those weights were fitted on this same file, so that figure is in-sample;
    ``cv=True`` adds the grouped 5-fold cross-validated figure of :mod:`evals.judge_fever`.
    """
    if not path.is_file():
        raise EvalInputError(f"FEVER-Symmetric dev file not found at {path}; the judge evaluation needs it")
    import numpy as np
    from tqdm import tqdm

    from evals.judge_fever import load_fever
    from rag.grounding.verify import SUPPORT_THRESHOLD, feature_matrix, load_weights, support_scores

    t0 = time.perf_counter()
    data = load_fever(path)
    gold = [bool(v) for v in data.labels]
    parts = []
    batch = 64
    with tqdm(total=len(data.pairs), desc="judge on FEVER", unit="pair", file=sys.stderr, disable=not progress) as bar:
        for i in range(0, len(data.pairs), batch):
            parts.append(feature_matrix(data.pairs[i : i + batch]))
            bar.update(len(parts[-1]))
    x = np.vstack(parts)
    scores = np.clip(load_weights().predict(x), 0.0, 1.0)
    # the same numbers as the public API (spot-checked so this never drifts from support_scores)
    probe = [0, len(gold) // 2, len(gold) - 1]
    if not np.allclose(support_scores([data.pairs[i] for i in probe]), scores[probe], atol=1e-6):
        raise RuntimeError("rag.grounding.verify.support_scores disagrees with its own feature_matrix/load_weights")
    bacc, rec_s, rec_r = balanced_accuracy(gold, [bool(s >= SUPPORT_THRESHOLD) for s in scores])
    out: dict[str, Any] = {
        "dataset": _rel(path),
        "pairs": len(gold),
        "threshold": SUPPORT_THRESHOLD,
        "judge_balanced_accuracy": round(bacc, 4),
        "recall_supports": round(rec_s, 4),
        "recall_refutes": round(rec_r, 4),
        "note": "shipped weights, fitted on this file (in-sample)",
    }
    if cv:
        out.update(_judge_cv(data, x))
    out["runtime_s"] = round(time.perf_counter() - t0, 2)
    return out


def _judge_cv(data: Any, x: Any) -> dict[str, Any]:
    """Grouped 5-fold CV (seed 0) through :mod:`evals.judge_fever`'s own fitting code."""
    from evals.judge_fever import augment, cross_validate
    from rag.grounding.verify import SUPPORT_THRESHOLD, feature_matrix

    aug = augment(data)
    probs = cross_validate(x, data.labels, data.groups, feature_matrix(aug.pairs), aug, 0)
    gold = [bool(v) for v in data.labels]
    bacc, rec_s, rec_r = balanced_accuracy(gold, [bool(p >= SUPPORT_THRESHOLD) for p in probs])
    return {
        "judge_balanced_accuracy_cv": round(float(bacc), 4),
        "recall_supports_cv": round(float(rec_s), 4),
        "recall_refutes_cv": round(float(rec_r), 4),
        "note_cv": "grouped 5-fold cross-validation by claim, fold seed 0 (weights refitted per fold)",
    }


def run_judge(args: argparse.Namespace) -> int:
    """``rag eval --judge``: exit 0 when the judge's floor holds, 1 when it fails."""
    thresholds = load_thresholds(args.thresholds)
    result = judge_on_fever(args.fever, cv=args.cv, progress=not args.quiet)
    failures = check_thresholds(result, thresholds)
    result["gate"] = {"passed": not failures, "failures": failures}
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "judge.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"judge on {result['dataset']} ({result['pairs']} pairs, threshold {result['threshold']})")
        print(
            f"  shipped weights (in-sample): balanced accuracy {result['judge_balanced_accuracy']:.3f}   "
            f"recall SUPPORTS {result['recall_supports']:.3f}   REFUTES {result['recall_refutes']:.3f}"
        )
        if "judge_balanced_accuracy_cv" in result:
            print(
                f"  grouped 5-fold CV:           balanced accuracy {result['judge_balanced_accuracy_cv']:.3f}   "
                f"recall SUPPORTS {result['recall_supports_cv']:.3f}   REFUTES {result['recall_refutes_cv']:.3f}"
            )
        print("gate: PASS" if not failures else "gate: FAIL\n" + "\n".join(f"  {f}" for f in failures))
    return 0 if not failures else 1


# -- command line -------------------------------------------------------------------------
def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``rag eval`` (shared with ``python -m evals``)."""
    p.add_argument(
        "--questions", type=Path, default=QUESTIONS, help="JSONL question set (default: evals/questions.jsonl)"
    )
    p.add_argument(
        "--thresholds",
        type=Path,
        default=THRESHOLDS,
        help="TOML floors the gate checks (default: evals/thresholds.toml)",
    )
    p.add_argument(
        "--baseline", type=Path, default=None, help="an older latest.json: also show which questions changed since"
    )
    p.add_argument(
        "--from-feedback",
        type=Path,
        default=None,
        metavar="FEEDBACK_JSONL",
        help="turn the chat page's rated turns (RAG_HOME/feedback.jsonl) into candidate questions (needs --out)",
    )
    p.add_argument("--out", type=Path, default=None, help="with --from-feedback: the candidates JSONL file to write")
    p.add_argument("--mode", default=None, help="answer mode (default: the settings' answer_mode)")
    p.add_argument("--k", type=int, default=None, help="passages per question (1-50; default: settings.k)")
    p.add_argument("--home", type=Path, default=None, help="index folder (default: settings.home, the repo's .rag/)")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")
    p.add_argument("--judge", action="store_true", help="score the grounding judge on FEVER-Symmetric dev instead")
    p.add_argument("--cv", action="store_true", help="with --judge: add the grouped 5-fold CV figure (slower)")
    p.add_argument(
        "--fever",
        type=Path,
        default=FEVER_DEV,
        help="with --judge: the FEVER-Symmetric JSONL file (default: ../shared/datasets/fever_symmetric/dev.jsonl)",
    )
    p.add_argument(
        "--squad",
        type=Path,
        default=None,
        help="run the whole pipeline on a SQuAD-2.0-format file instead (HasAns/NoAns)",
    )
    p.add_argument("--articles", default="", help="with --squad: comma-separated article titles (default: all)")
    p.add_argument(
        "--answerer",
        choices=("rules", "learned"),
        default=None,
        help="extractive answerer, for a question set or --squad (default: settings)",
    )
    p.add_argument("--report-dir", type=Path, default=REPORT_DIR, help="where reports go (default: evals/report)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the evaluation the arguments ask for; bad input -> one line on stderr, exit 2."""
    from rag.errors import RagError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.k is not None and not 1 <= args.k <= 50:
        return _bad(f"--k must be between 1 and 50, not {args.k}")
    try:
        if args.from_feedback is not None:
            return run_from_feedback(args)
        if args.squad is not None:
            from evals.squad import run_squad_cli

            return run_squad_cli(args)
        return run_judge(args) if args.judge else run_set(args)
    except (EvalInputError, RagError) as exc:
        return _bad(str(exc))


def _bad(message: str) -> int:
    print(f"rag eval: error: {' '.join(message.split())}", file=sys.stderr)  # always one line
    return 2


def register(sub: Any) -> None:
    """Add ``rag eval`` to the ``rag`` CLI (the ``rag.commands`` entry point)."""
    p = sub.add_parser("eval", help="score the assistant on a question set (or the judge on FEVER)")
    add_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m evals`` (same options as ``rag eval``)."""
    from rag.cli import OneLineParser

    p = OneLineParser(prog="python -m evals", description="Score the assistant's grounding on a question set.")
    add_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m evals``."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args))
