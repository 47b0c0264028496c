"""pytest plugin placeholder (filled in by the next commit)."""

from __future__ import annotations

__all__: list[str] = []
