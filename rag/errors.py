"""One error tree: everything the API raises on bad input or a broken store is a ``RagError``."""

from __future__ import annotations

from index.errors import IndexBusyError, IndexCorruptError, RagError, StoreUnavailableError  # noqa: F401

__all__ = [
    "RagError",
    "InvalidQuestionError",
    "IndexCorruptError",
    "IndexBusyError",
    "DocumentNotFoundError",
    "CitationError",
    "ConfigError",
    "ModelMissingError",
]


class InvalidQuestionError(RagError, ValueError):
    """The question is empty, too long or otherwise not askable."""


class DocumentNotFoundError(RagError, LookupError):
    """A document id or path that is not in the index."""


class CitationError(RagError):
    """A citation failed the exact-span check (a bug: it is never shown)."""


class ConfigError(RagError, ValueError):
    """A setting has a value the assistant cannot use."""


class ModelMissingError(RagError):
    """A shipped model file (the answer stage's adapter) is missing or damaged; the message names the fix."""
