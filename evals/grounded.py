"""One answer checked for grounding: ``assert_grounded(answer, must=...)`` for a team's own tests.

Its checks are ``rag eval``'s: citations re-read exactly from their files, the judge supports every cited
sentence, and the answer holds each required group of words. ``evals.pytest_plugin`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["GroundingError", "assert_grounded", "format_answer", "grounding_problems"]


class GroundingError(AssertionError):
    """An answer failed :func:`assert_grounded` (or a question its checks); the message says which and why."""


def format_answer(answer: Any) -> str:
    """The answer, whether it abstained, and its citations with their spans (for failure messages)."""
    lines = [f"question: {answer.question}", f"answer:   {answer.text}"]
    if answer.abstained:
        lines.append(f"abstained: {answer.reason or 'yes'}")
    for c in answer.citations:
        lines.append(f"  [{c.id}] {c.source}[{c.start}:{c.end}]: {c.quote!r}")
    return "\n".join(lines)


def grounding_problems(
    answer: Any,
    must: Sequence[Sequence[str]] = (),
    root: Path | None = None,
    judge: Callable[[str, str], bool] | None = None,
) -> list[str]:
    """What :func:`assert_grounded` would complain about (empty when the answer is grounded)."""
    from evals.citations import source_loader
    from evals.metrics import alce_citation_scores, invalid_citations, missing_groups

    if root is None:
        from rag.settings import Settings

        root = Settings().root
    if judge is None:
        from rag.grounding.verify import is_supported

        judge = is_supported
    invalid = invalid_citations(answer.citations, source_loader(root))
    problems = [f"citation [{c.id}] invalid: {why}" for c, why in invalid]
    if answer.abstained:
        if answer.citations:
            problems.append("abstained, yet has citations")
        if must:
            problems.append(f"abstained ({answer.reason or 'no reason'}), but the answer must contain {list(must)}")
        return problems
    problems += [f"judge: {p}" for p in alce_citation_scores(answer, judge).problems if "redundant" not in p]
    problems += [f"missing: none of {group} in the answer" for group in missing_groups(answer.text, must)]
    return problems


def assert_grounded(
    answer: Any,
    *,
    must: Sequence[Sequence[str]] = (),
    root: Path | None = None,
    judge: Callable[[str, str], bool] | None = None,
) -> None:
    """Fail unless ``answer`` is grounded: every citation re-reads exactly from its file
    (``read_text(source)[start:end] == quote``), every cited sentence is supported by its quotes
    (the judge, ``rag.grounding.verify``, as ``rag eval``'s citation recall), every ``[n]`` names a citation,
    and each ``must`` group (alternatives, case- and dash-insensitive) occurs in the answer.

    ``root`` resolves relative ``source`` paths (default: the settings' ``root``). Raises
    :class:`GroundingError` showing the answer, its citations and every check that failed.
    """
    problems = grounding_problems(answer, must, root, judge)
    if problems:
        raise GroundingError(
            "answer is not grounded:\n"
            + format_answer(answer)
            + "\nfailed:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
