"""Grounded question answering: every citation is an exact, checked span of its source.

``from rag import Assistant`` is the whole API for notebooks; each stage stays importable alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.errors import (
    CitationError,
    ConfigError,
    DocumentNotFoundError,
    IndexBusyError,
    IndexCorruptError,
    InvalidQuestionError,
    RagError,
)
from rag.types import Answer, Chunk, Citation, Document, Passage, Sentence

if TYPE_CHECKING:
    from rag.assistant import Assistant
    from rag.settings import Settings

__all__ = [
    "Assistant",
    "Settings",
    "Answer",
    "Citation",
    "Passage",
    "Document",
    "Chunk",
    "Sentence",
    "RagError",
    "InvalidQuestionError",
    "IndexCorruptError",
    "IndexBusyError",
    "DocumentNotFoundError",
    "CitationError",
    "ConfigError",
]


def __getattr__(name: str) -> Any:
    # Lazy: `import rag` stays cheap; llama_index/chromadb load only when an Assistant is made.
    if name == "Assistant":
        from rag.assistant import Assistant

        return Assistant
    if name == "Settings":
        from rag.settings import Settings

        return Settings
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
