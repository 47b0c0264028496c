"""Frozen dataclasses that flow between stages: documents, chunks, passages, citations, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from index.types import Chunk, Document, Sentence

__all__ = ["Document", "Sentence", "Chunk", "Passage", "Citation", "Answer"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and 1-based rank."""

    chunk: Chunk
    score: float
    rank: int
    source: str = ""
    title: str = ""
    publisher: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "source": self.source,
            "title": self.title,
            "publisher": self.publisher,
            "chunk_id": c.id,
            "start": c.start,
            "end": c.end,
            "text": c.text,
        }


@dataclass(frozen=True)
class Citation:
    """An exact span of a source file: ``read_text(source)[start:end] == quote``."""

    id: int
    source: str
    start: int
    end: int
    quote: str
    title: str = ""
    publisher: str = ""
    date: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What ``Assistant.ask`` returns: text with ``[n]`` markers and the citations they name."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    abstained: bool = False
    unsupported: tuple[str, ...] = ()
    mode: str = "extractive"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the UI's API and ``rag ask --json`` return this)."""
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "reason": self.reason,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "unsupported": list(self.unsupported),
        }
