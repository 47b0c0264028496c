"""Baseline diffs: which questions changed outcome between two ``rag eval`` reports, answers side by side.

    rag eval --questions F --baseline OLD.json

prints the changed questions after the table and writes ``baseline-diff.md`` and
``baseline-diff.json`` next to the report, so a pull request shows what a change did to each
question (correct -> wrong, wrong -> correct, answered -> abstained, ...), not only the averages.

A question's outcome is one of ``correct``, ``wrong`` (answered, but a ``must`` group is missing),
``abstained`` (on an answerable question: a false abstention), and for unanswerable questions
``abstained (right)`` or ``answered (wrong)``. Questions are matched by ``id`` (the questions
file's, or ``line<n>``), else by their text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ReportInputError",
    "Change",
    "outcome",
    "load_report",
    "diff_reports",
    "render_diff",
    "render_diff_markdown",
    "write_diff",
]

# How good an outcome is, to tell a regression from an improvement.
_RANK = {"correct": 2, "abstained (right)": 2, "abstained": 1, "wrong": 0, "answered (wrong)": 0}


class ReportInputError(Exception):
    """A baseline report that cannot be read (the CLI exits 2)."""


@dataclass(frozen=True)
class Change:
    """One question whose outcome (or answer text) differs between the baseline and this run."""

    id: str
    question: str
    kind: str  # "regressed", "improved", "changed" (same standing, other outcome), "text", "added", "removed"
    old: str  # outcome in the baseline ("" when added)
    new: str  # outcome now ("" when removed)
    old_answer: str
    new_answer: str

    @property
    def transition(self) -> str:
        """``old -> new`` (or ``new`` / ``removed``)."""
        if not self.old:
            return f"(new) {self.new}"
        if not self.new:
            return f"{self.old} (removed)"
        return f"{self.old} → {self.new}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {**asdict(self), "transition": self.transition}


def outcome(result: Mapping[str, Any]) -> str:
    """The outcome of one result row of a report (``results[i]`` of ``latest.json``)."""
    if result["answerable"]:
        if result["abstained"]:
            return "abstained"
        return "correct" if result["correct"] else "wrong"
    return "abstained (right)" if result["abstained"] and result["correct"] else "answered (wrong)"


def load_report(path: Path) -> dict[str, Any]:
    """A report written by ``rag eval`` (``latest.json``); ``ReportInputError`` naming the file if unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"cannot read baseline report {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"baseline report {path} is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not all(
        isinstance(r, dict) and {"id", "question", "answerable", "abstained", "correct", "answer"} <= set(r)
        for r in results
    ):
        raise ReportInputError(f"{path} is not a `rag eval` report (latest.json): it needs a 'results' list")
    return data


def _key(result: Mapping[str, Any]) -> str:
    return str(result.get("id") or result["question"])


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any], text: bool = True) -> list[Change]:
    """The questions whose outcome changed (regressions first), then, if ``text``, those whose answer text did."""
    before = {_key(r): r for r in old["results"]}
    after = {_key(r): r for r in new["results"]}
    changes: list[Change] = []
    for key, r in after.items():
        o = before.get(key)
        if o is None:
            changes.append(Change(key, r["question"], "added", "", outcome(r), "", r["answer"]))
            continue
        was, now = outcome(o), outcome(r)
        if was != now:
            kind = "regressed" if _RANK[now] < _RANK[was] else "improved" if _RANK[now] > _RANK[was] else "changed"
        elif text and o["answer"] != r["answer"]:
            kind = "text"
        else:
            continue
        changes.append(Change(key, r["question"], kind, was, now, o["answer"], r["answer"]))
    for key, o in before.items():
        if key not in after:
            changes.append(Change(key, o["question"], "removed", outcome(o), "", o["answer"], ""))
    order = {"regressed": 0, "improved": 1, "changed": 2, "text": 3, "added": 4, "removed": 5}
    return sorted(changes, key=lambda c: (order[c.kind], c.id))


_TITLES = {
    "regressed": "Regressed",
    "improved": "Improved",
    "changed": "Changed outcome",
    "text": "Same outcome, different answer",
    "added": "New questions",
    "removed": "Questions no longer in the set",
}


def _summary(changes: Sequence[Change]) -> str:
    counts = {k: sum(c.kind == k for c in changes) for k in _TITLES}
    return ", ".join(f"{n} {_TITLES[k].lower()}" for k, n in counts.items() if n) or "no question changed"


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render_diff(changes: Sequence[Change], baseline: str) -> str:
    """Plain text for the terminal: one block per changed question."""
    out = [f"against baseline {baseline}: {_summary(changes)}"]
    for c in changes:
        out.append(f"  {c.id} [{c.kind}] {c.transition}: {_clip(c.question, 100)}")
        if c.old:
            out.append(f"      before: {_clip(c.old_answer)}")
        if c.new:
            out.append(f"      now:    {_clip(c.new_answer)}")
    return "\n".join(out)


def _cell(text: str) -> str:
    return _clip(text, 400).replace("|", "\\|") or "–"


def render_diff_markdown(
    changes: Sequence[Change], baseline: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> str:
    """Markdown for a pull request or a job summary: the metric deltas, then the changed questions by kind."""
    lines = [f"# Changes against the baseline `{baseline}`", "", _summary(changes) + ".", ""]
    lines += ["| metric | baseline | now | Δ |", "|---|---|---|---|"]
    for key in ("correctness", "abstention_recall", "false_abstention", "citation_validity", "citation_recall"):
        a, b = old.get("overall", {}).get(key), new.get("overall", {}).get(key)
        delta = f"{b - a:+.2f}" if isinstance(a, int | float) and isinstance(b, int | float) else ""
        lines.append(f"| {key} | {_num(a)} | {_num(b)} | {delta} |")
    for kind, title in _TITLES.items():
        group = [c for c in changes if c.kind == kind]
        if not group:
            continue
        lines += [
            "",
            f"## {title} ({len(group)})",
            "",
            "| id | question | outcome | before | now |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {c.id} | {_cell(c.question)} | {c.transition} | {_cell(c.old_answer)} | {_cell(c.new_answer)} |"
            for c in group
        ]
    return "\n".join(lines) + "\n"


def _num(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "–"


def write_diff(
    changes: Sequence[Change], baseline: str, old: Mapping[str, Any], new: Mapping[str, Any], out: Path
) -> None:
    """``baseline-diff.md`` and ``baseline-diff.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {"baseline": baseline, "summary": _summary(changes), "changes": [c.to_dict() for c in changes]}
    (out / "baseline-diff.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "baseline-diff.md").write_text(render_diff_markdown(changes, baseline, old, new), encoding="utf-8")
