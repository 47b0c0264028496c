"""What the answer stage hands on: the scored candidate sentences and the chosen ones (a ``Draft``).

Kept apart from the selectors that make them (``rag.answer.extractive``, ``rag.answer.learned``) so the
stages that read a draft (parts, headings, the LLM answerer) need none of their rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.types import Sentence

__all__ = ["Candidate", "Draft"]


@dataclass(frozen=True)
class Candidate:
    """A retrieved sentence with its scores."""

    sentence: Sentence
    cosine: float
    lexical: float
    score: float
    passage_rank: int


@dataclass(frozen=True)
class Draft:
    """The chosen sentences (best first) or the reason for abstaining."""

    chosen: tuple[Candidate, ...] = ()
    reason: str = ""
    coverage: float = 0.0
    missing: tuple[str, ...] = field(default=())
    ranked: tuple[Candidate, ...] = field(default=(), compare=False)  # the best candidates, best first

    @property
    def abstained(self) -> bool:
        """True when nothing was chosen."""
        return not self.chosen
