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
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.citations import source_loader
from evals.inputs import (
    FEVER_DEV,
    QUESTIONS,
    REPO,
    REPORT_DIR,
    THRESHOLDS,
    EvalInputError,
    check_thresholds,
    load_questions,
    load_thresholds,
    rel,
)
from evals.judge_run import judge_on_fever, run_judge
from evals.metrics import QuestionResult, cached_judge, score_question
from evals.report import build_report, render_table, write_report

# The inputs, the report and the judge live in their own modules; their names stay importable from here,
# the module the command line and older notebooks know.
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
    "build_report",
    "render_table",
    "judge_on_fever",
    "run_from_feedback",
    "register",
    "build_parser",
    "main",
]


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
    load = source_loader(Path(assistant.settings.root))
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
        "questions_file": rel(args.questions),
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
        write_diff(changes, rel(args.baseline), baseline, report, args.report_dir)
        print(render_diff(changes, rel(args.baseline)), file=sys.stderr if args.json else sys.stdout)
    if not args.json:
        extra = ", baseline-diff.md, baseline-diff.json" if baseline is not None else ""
        print(f"report: {rel(args.report_dir)}/latest.md, latest.json, scores.png{extra}", file=sys.stderr)
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
