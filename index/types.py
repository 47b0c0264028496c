"""Frozen dataclasses produced by indexing: documents, sentences and chunks with raw offsets."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Document", "Sentence", "Chunk"]


@dataclass(frozen=True)
class Document:
    """A source file as loaded: raw text (every offset points into it) plus metadata."""

    id: str
    path: str
    raw_text: str
    sha256: str
    meta: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def title(self) -> str:
        """Title from the sidecar metadata, else the file name."""
        return self.meta.get("title") or self.path.rsplit("/", 1)[-1]

    @property
    def publisher(self) -> str:
        """Publisher from the sidecar metadata (may be empty)."""
        return self.meta.get("publisher", "")


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a clause cut by removed chrome): ``raw_text[start:end] == text``."""

    doc_id: str
    start: int
    end: int
    text: str
    heading: bool = False


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: consecutive sentences of one document, sized for MiniLM's window."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    first_sentence: int = 0

    @property
    def sentence_ids(self) -> list[str]:
        """Store ids of this chunk's sentences (``<doc>-<sha12>-s<index>``)."""
        prefix = self.id.rsplit("-", 1)[0]
        return [f"{prefix}-s{self.first_sentence + i:05d}" for i in range(len(self.sentences))]
