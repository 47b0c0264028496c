"""Errors the indexing layer raises; ``rag.errors`` re-exports them under the same base class."""

from __future__ import annotations

__all__ = ["RagError", "IndexCorruptError", "IndexBusyError", "StoreUnavailableError"]


class RagError(Exception):
    """Base class of every error this project raises on purpose; its message is shown to users."""


class IndexCorruptError(RagError):
    """The index folder exists but cannot be read; the message names the command that rebuilds it."""


class IndexBusyError(RagError):
    """Another process is building the index."""


class StoreUnavailableError(RagError):
    """The Chroma server (``RAG_CHROMA_URL``) cannot be reached; the message names the URL."""
