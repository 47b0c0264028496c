"""The whole pipeline on any SQuAD-2.0-format file: an external benchmark of answering and abstaining.

Each article becomes one document (its paragraphs separated by blank lines, its title in a
``sources.toml`` sidecar) in a temporary index; every question goes through ``Assistant.ask``. An
answerable question counts as right when the answer is not abstained and its text holds one of the
gold answers (both normalised as the official SQuAD script does: lower case, no punctuation, no
articles, single spaces); an unanswerable one when the assistant abstained and cited nothing.
"""

from __future__ import annotations

import json
import re
import string
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["normalize_answer", "SquadResult", "write_corpus", "run_squad", "run_squad_cli"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation (``evaluate-v2.0.py``): lower case, punctuation and articles removed."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


@dataclass
class SquadResult:
    """Scores of one run."""

    has_ans: list[bool] = field(default_factory=list)
    no_ans: list[bool] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """HasAns, NoAns, overall accuracy and ask latency percentiles."""
        import numpy as np

        every = self.has_ans + self.no_ans
        lat = np.asarray(self.latencies_ms) if self.latencies_ms else np.zeros(1)
        return {
            "questions": len(every),
            "has_ans": round(sum(self.has_ans) / max(1, len(self.has_ans)), 4),
            "has_ans_n": len(self.has_ans),
            "no_ans": round(sum(self.no_ans) / max(1, len(self.no_ans)), 4),
            "no_ans_n": len(self.no_ans),
            "overall": round(sum(every) / max(1, len(every)), 4),
            "ask_p50_ms": round(float(np.percentile(lat, 50)), 1),
            "ask_p95_ms": round(float(np.percentile(lat, 95)), 1),
        }


def _safe(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", title)[:80] or "article"


def write_corpus(data: dict[str, Any], folder: Path, articles: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One ``.txt`` per article (with a ``sources.toml``); returns the questions of the articles written."""
    folder.mkdir(parents=True, exist_ok=True)
    sidecar, questions = [], []
    for article in data["data"]:
        if articles and article["title"] not in articles:
            continue
        name = f"{_safe(article['title'])}.txt"
        text = "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n"
        (folder / name).write_text(text, encoding="utf-8")
        sidecar.append(
            f'["{name}"]\ntitle = {json.dumps(article["title"].replace("_", " "))}\npublisher = "Wikipedia"\n'
        )
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                questions.append(
                    {
                        "id": qa["id"],
                        "question": qa["question"],
                        "answers": [a["text"] for a in qa.get("answers", [])],
                        "impossible": bool(qa.get("is_impossible")) or not qa.get("answers"),
                    }
                )
    (folder / "sources.toml").write_text("\n".join(sidecar), encoding="utf-8")
    return questions


def run_squad(
    path: Path,
    articles: Sequence[str] | None = None,
    mode: str = "extractive",
    k: int | None = None,
    answerer: str | None = None,
    home: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SquadResult:
    """Index the file's articles in a temporary home and ask every question (see the module docstring)."""
    from rag import Assistant

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="rag-squad-") as tmp:
        corpus = Path(tmp) / "squad"
        questions = write_corpus(data, corpus, articles)
        settings: dict[str, Any] = {"home": home or Path(tmp) / "home", "docs": [corpus], "root": Path(tmp)}
        settings["answer_mode"] = mode
        if answerer:
            settings["answerer"] = answerer
        a = Assistant(**settings, progress=False)
        result = SquadResult()
        for i, q in enumerate(questions):
            t = time.perf_counter()
            ans = a.ask(q["question"], k=k)
            result.latencies_ms.append((time.perf_counter() - t) * 1000)
            if q["impossible"]:
                ok = ans.abstained and not ans.citations
                result.no_ans.append(ok)
            else:
                got = normalize_answer(ans.text)
                ok = not ans.abstained and any(normalize_answer(g) in got for g in q["answers"] if g.strip())
                result.has_ans.append(ok)
            result.rows.append({"id": q["id"], "ok": ok, "abstained": ans.abstained, "impossible": q["impossible"]})
            if progress:
                progress(i + 1, len(questions))
    return result


def run_squad_cli(args: Any) -> int:
    """``rag eval --squad FILE``: print HasAns, NoAns, overall and ask p50, and write them to the report."""
    import sys

    from evals.inputs import EvalInputError

    if not args.squad.is_file():
        raise EvalInputError(f"no such SQuAD file: {args.squad}")
    try:
        data = json.loads(args.squad.read_text(encoding="utf-8"))
        titles = [a["title"] for a in data["data"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise EvalInputError(f"{args.squad} is not a SQuAD 2.0 JSON file ({exc})") from exc
    articles = [a.strip() for a in args.articles.split(",") if a.strip()]
    unknown = [a for a in articles if a not in titles]
    if unknown:
        raise EvalInputError(f"no article {unknown[0]!r} in {args.squad}")

    def tick(done: int, total: int) -> None:
        if not args.quiet and (done % 25 == 0 or done == total):
            print(f"\rasked {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    result = run_squad(args.squad, articles or None, mode=args.mode or "extractive", k=args.k,
                       answerer=args.answerer, progress=tick)  # fmt: skip
    summary = dict(result.summary(), file=str(args.squad), articles=articles or titles)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "squad.json").write_text(
        json.dumps({"summary": summary, "questions": result.rows}, indent=1), encoding="utf-8"
    )
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print("| metric | score |\n|---|---|")
        for key in ("has_ans", "no_ans", "overall", "ask_p50_ms", "ask_p95_ms"):
            print(f"| {key} | {summary[key]} |")
        print(f"({summary['has_ans_n']} answerable, {summary['no_ans_n']} unanswerable questions)")
    return 0
