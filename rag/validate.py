"""What the facade checks before a question reaches retrieval: the question itself and the document scope.

Both raise ``InvalidQuestionError`` (invariant 4: a clear error, nothing lost), so the API, the CLI
(exit code 2) and the UI report bad input the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from rag.errors import InvalidQuestionError

__all__ = ["clean_question", "document_scope"]


def clean_question(question: object, max_chars: int) -> str:
    """``question`` with its whitespace (and NUL characters) collapsed; refused if not text, empty or too long."""
    if not isinstance(question, str):
        raise InvalidQuestionError(f"the question must be text, not {type(question).__name__}")
    q = " ".join(question.replace("\x00", " ").split())
    if not q:
        raise InvalidQuestionError("the question is empty")
    if len(question) > max_chars:
        raise InvalidQuestionError(f"the question is {len(question):,} characters; the limit is {max_chars:,}")
    return q


def document_scope(docs: Mapping[str, Any], documents: Collection[str] | None) -> frozenset[str] | None:
    """The document filter as a set of ids of ``docs`` (``None``: every document); unknown ids are refused."""
    if documents is None:
        return None
    if isinstance(documents, str):
        raise InvalidQuestionError("documents must be a list of document ids, not one string")
    ids = frozenset(str(d) for d in documents)
    unknown = sorted(ids - docs.keys())
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise InvalidQuestionError(f"no indexed document has the id(s) {shown}; see Assistant.docs")
    return ids
