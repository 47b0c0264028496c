"""The inputs of ``rag eval``: where its files live, the question set and the floors of its gate.

Bad input raises ``EvalInputError`` naming the file and line; the command line turns it into exit 2.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "REPO",
    "QUESTIONS",
    "REPORT_DIR",
    "THRESHOLDS",
    "FEVER_DEV",
    "EvalInputError",
    "load_questions",
    "load_thresholds",
    "check_thresholds",
    "rel",
]

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "evals" / "questions.jsonl"
REPORT_DIR = REPO / "evals" / "report"
THRESHOLDS = REPO / "evals" / "thresholds.toml"
FEVER_DEV = REPO.parent / "shared" / "datasets" / "fever_symmetric" / "dev.jsonl"


class EvalInputError(Exception):
    """Bad input to the evaluation (exit 2)."""


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


def rel(path: Path) -> str:
    """``path`` relative to the repository when it is inside it (for reports and messages)."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)
