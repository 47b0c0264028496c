"""``rag eval`` (placeholder until the eval harness lands)."""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``rag eval`` to the CLI."""
    p = sub.add_parser("eval", help="score the assistant on a question set")
    p.set_defaults(handler=lambda args: 0)
