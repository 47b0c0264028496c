"""The answer stage's one protocol, and the frozen values that pass between the facade and an answerer.

The facade (:class:`rag.assistant.Assistant`) validates a question and retrieves its ``Evidence``; an
``Answerer`` decides what to say and which exact source span each statement cites, or why nothing can
be said (a ``Reply``); the facade then builds every citation from the raw file and checks it
(:mod:`rag.grounding.compose`) before any ``Answer`` leaves ``rag``. An answerer is handed all it may
use, the ``Evidence`` and an ``AnswerContext``, and never sees the Assistant: it cannot reach the
index, the settings or another stage behind the facade's back, and the facade cannot be bypassed.

Answerers: the calibrated rules and the learned cross-encoder (:mod:`rag.answer.answerers`) and the
LLM (:mod:`rag.answer.llm_answer`), which asks one of the other two whether and where to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.types import Sentence
from index.vocab import Vocab
from rag.answer.question import QuestionTerms
from rag.types import Passage

if TYPE_CHECKING:  # only its type is needed here
    from rag.answer.tokenmatch import TokenMatcher

__all__ = ["CandidateSentence", "Evidence", "AnswerContext", "SourceSpan", "Statement", "Reply", "Answerer"]

CandidateSentence = tuple[Sentence, np.ndarray, int]
"""A sentence an answer may quote: the sentence, its unit vector and the rank of its passage."""


@dataclass(frozen=True, eq=False)  # eq=False: numpy fields have no truth value to compare by
class Evidence:
    """What retrieval found for one question (or one part of a two-part question)."""

    question: str
    terms: QuestionTerms  # what it asks about, and the sources it names
    qvec: np.ndarray  # the question's unit vector
    term_vecs: np.ndarray  # one unit vector per ``terms.terms``
    passages: tuple[Passage, ...]  # best first
    candidates: tuple[CandidateSentence, ...]  # every sentence of ``passages``, in passage order

    @property
    def sentences(self) -> list[Sentence]:
        """The candidate sentences alone."""
        return [s for s, _, _ in self.candidates]

    def joined(self, other: Evidence) -> Evidence:
        """This evidence with ``other``'s passages and sentences it lacks appended (after its own)."""
        chunks = {p.chunk.id for p in self.passages}
        seen = {s for s, _, _ in self.candidates}
        return Evidence(
            self.question,
            self.terms,
            self.qvec,
            self.term_vecs,
            self.passages + tuple(p for p in other.passages if p.chunk.id not in chunks),
            self.candidates + tuple(c for c in other.candidates if c[0] not in seen),
        )


@dataclass(frozen=True)
class AnswerContext:
    """Everything an answerer may use besides the evidence, for one question on one index generation."""

    vocab: Vocab  # the corpus vocabulary: idf and a vector per word
    docs: dict[str, dict[str, Any]]  # document id -> metadata with its citation ``source``
    read: Callable[[str], str]  # a citation source's current text (``SourceTexts.text``)
    embed: Callable[[list[str]], np.ndarray]  # texts -> unit vectors, the index's embedder
    gather: Callable[[str], Evidence]  # the evidence for a sub-question, same documents and k
    matcher: TokenMatcher | None = None  # token-level matching, when the embedder gives token vectors
    on_token: Callable[[str], None] | None = None  # llm mode: receives the unverified draft as generated


@dataclass(frozen=True)
class SourceSpan:
    """A span a statement cites: ``read(source)[start:end]`` must still be ``text``."""

    doc_id: str
    source: str
    start: int
    end: int
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Statement:
    """One sentence of the answer and the span it cites (an index into ``Reply.spans``)."""

    text: str
    cites: int


@dataclass(frozen=True)
class Reply:
    """An answerer's result: statements with the spans they cite, or (none) the reason it declines."""

    statements: tuple[Statement, ...] = ()
    spans: tuple[SourceSpan, ...] = ()
    passages: tuple[Passage, ...] = ()  # every passage read, the parts' after the whole question's
    reason: str = ""  # why it abstained, or why llm mode fell back to the source sentences
    mode: str = "extractive"  # who wrote the statements: "extractive" (source sentences) or "llm"
    unsupported: tuple[str, ...] = ()  # llm mode: sentences of the model's that were not verified

    @property
    def abstained(self) -> bool:
        """True when there is nothing to say."""
        return not self.statements


class Answerer(Protocol):
    """An answer stage: from the evidence, what to say and the exact span each statement cites."""

    def answer(self, evidence: Evidence, ctx: AnswerContext) -> Reply:
        """The statements that answer ``evidence.question``, or a ``Reply`` with only a reason."""
        ...
