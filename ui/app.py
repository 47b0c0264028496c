"""Gradio chat UI (placeholder until the UI issue lands)."""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``rag ui`` to the CLI."""
    p = sub.add_parser("ui", help="start the chat UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(handler=lambda args: 0)
