"""Citations as exact spans: built from raw offsets and re-checked against the file before use."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from index.clean import is_chrome_line
from rag.errors import CitationError
from rag.types import Citation

__all__ = ["SourceTexts", "make_citation", "check_answer"]

_MARKER = re.compile(r"\[(\d+)\]")


class SourceTexts:
    """Reads source files exactly as a user's check would (``Path.read_text``), cached by mtime and size."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, tuple[tuple[int, int], str]] = {}
        self._lock = threading.Lock()

    def path(self, source: str) -> Path:
        """Absolute path of a citation ``source``."""
        p = Path(source)
        return p if p.is_absolute() else self.root / p

    def text(self, source: str) -> str:
        """Current text of ``source``; raises ``CitationError`` if it cannot be read."""
        p = self.path(source)
        try:
            st = p.stat()
            key = (st.st_mtime_ns, st.st_size)
            with self._lock:
                hit = self._cache.get(source)
            if hit and hit[0] == key:
                return hit[1]
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CitationError(f"source {source} cannot be read: {exc}") from exc
        with self._lock:
            self._cache[source] = (key, text)
        return text


def make_citation(
    n: int, source: str, start: int, end: int, expected: str, texts: SourceTexts, meta: Mapping[str, Any]
) -> Citation:
    """Build citation ``n``; raises ``CitationError`` unless the file still holds ``expected`` there."""
    quote = texts.text(source)[start:end]
    if quote != expected or not quote.strip():
        raise CitationError(f"{source}[{start}:{end}] no longer holds the indexed sentence")
    if is_chrome_line(quote):
        raise CitationError(f"{source}[{start}:{end}] is page chrome")
    return Citation(
        id=n,
        source=source,
        start=start,
        end=end,
        quote=quote,
        title=meta.get("title", ""),
        publisher=meta.get("publisher", ""),
        date=meta.get("date", ""),
    )


def check_answer(text: str, citations: Sequence[Citation], texts: SourceTexts) -> None:
    """The invariant, enforced: every ``[n]`` has its citation and every quote re-reads exactly."""
    ids = {c.id for c in citations}
    for m in _MARKER.finditer(text):
        if int(m.group(1)) not in ids:
            raise CitationError(f"marker [{m.group(1)}] names no citation")
    for c in citations:
        if texts.text(c.source)[c.start : c.end] != c.quote:
            raise CitationError(f"citation [{c.id}] does not re-read from {c.source}")
