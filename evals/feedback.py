"""Candidate eval questions from the chat page's thumbs up/down (``RAG_HOME/feedback.jsonl``).

    rag eval --from-feedback RAG_HOME/feedback.jsonl --out candidates.jsonl

Each rated turn becomes one line in the questions-file format (``id``, ``question``, ``answerable``,
``must``, ``support``, ``category``) plus what a reviewer needs to finish it: the answer given, its
citations, the rating, and a ``review`` note saying what to check. The guesses are only guesses:

* thumbs up on an answer: ``answerable: true``, the cited quotes as ``support``; ``must`` is left
  empty for the reviewer to fill with the words a right answer contains;
* thumbs up on an abstention: ``answerable: false`` (the abstention was right);
* thumbs down on an answer: ``answerable: true`` (the answer was wrong or should have abstained:
  the reviewer decides);
* thumbs down on an abstention: ``answerable: true`` (a false abstention).

A question rated more than once keeps its latest rating. Lines that are not feedback records are
skipped and counted. Nothing here asks the assistant: it is a conversion, for a person to review.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["FeedbackInputError", "read_feedback", "candidate", "candidates", "write_candidates"]


class FeedbackInputError(Exception):
    """A feedback file that cannot be read (the CLI exits 2)."""


def read_feedback(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The feedback records of ``path`` and how many lines were skipped as malformed."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedbackInputError(f"cannot read feedback file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    rows, skipped = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            skipped += 1
            continue
        ok = isinstance(row, dict) and isinstance(row.get("question"), str) and row["question"].strip()
        if not ok or row.get("rating") not in ("up", "down"):
            skipped += 1
            continue
        rows.append(row)
    return rows, skipped


def _norm(question: str) -> str:
    return " ".join(question.lower().split())


def candidate(row: Mapping[str, Any]) -> dict[str, Any]:
    """One feedback record as a candidate question line (see the module docstring for the guesses)."""
    question = " ".join(str(row["question"]).split())
    up, abstained = row["rating"] == "up", bool(row.get("abstained"))
    cites = [c for c in row.get("citations") or [] if isinstance(c, dict)]
    if up and abstained:
        answerable, note = False, "liked abstention: check the documents really don't answer it"
    elif up:
        answerable, note = True, "liked answer: fill `must` with the words a right answer contains"
    elif abstained:
        answerable, note = True, "disliked abstention: check the documents answer it, then fill `must` and `support`"
    else:
        answerable = True
        note = "disliked answer: decide whether it is answerable; if so fill `must` (and `support`), else set false"
    asked = " ".join(str(row.get("asked") or question).split())
    if asked != question:
        note += f"; a follow-up, searched as {asked!r}: rewrite it to stand alone"
    digest = hashlib.sha256(_norm(question).encode()).hexdigest()[:8]
    return {
        "id": f"fb-{digest}",
        "question": question,
        "answerable": answerable,
        "must": [],
        "support": [str(c.get("quote", "")) for c in cites if up and c.get("quote")],
        "category": "from_feedback",
        "origin": "feedback",
        "review": note,
        "feedback": {
            "rating": row["rating"],
            "ts": row.get("ts", ""),
            "asked": asked,
            "abstained": abstained,
            "reason": row.get("reason", ""),
            "answer": row.get("answer", ""),
            "citations": cites,
        },
    }


def candidates(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One candidate per distinct question (its latest rating wins), in the order of those ratings."""
    latest: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        latest.pop(_norm(row["question"]), None)  # re-insert: order by the latest rating
        latest[_norm(row["question"])] = row
    return [candidate(r) for r in latest.values()]


def write_candidates(found: list[dict[str, Any]], out: Path) -> None:
    """The candidates as JSONL (one question per line)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in found), encoding="utf-8")
