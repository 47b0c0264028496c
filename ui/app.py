"""``rag ui``: the Gradio chat page, served on 127.0.0.1 unless told otherwise.

Importing this module is cheap (the CLI loads it for every ``rag`` command); gradio is imported only
when the page is built.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from rag.errors import ConfigError

if TYPE_CHECKING:
    import gradio as gr

    from rag.assistant import Assistant

__all__ = ["register", "auth_from_env", "launch", "serve", "CONCURRENCY"]

# Events served at once. Gradio's default of 1 per event would serialise users; Assistant.ask is
# thread-safe, and 32 stays below Gradio's 40 worker threads.
CONCURRENCY = 32
AUTH_ENV = "RAG_UI_AUTH"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def auth_from_env(value: str | None = None) -> tuple[str, str] | None:
    """``RAG_UI_AUTH=user:password`` as a Gradio ``auth`` pair (``None`` when unset)."""
    raw = os.environ.get(AUTH_ENV, "") if value is None else value
    if not raw:
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise ConfigError(f"{AUTH_ENV} must look like user:password")
    return user, password


def launch(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    auth: tuple[str, str] | None = None,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> Any:
    """Queue ``demo`` for concurrent users and serve it (the page's CSS and chip script included)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from index.load import MAX_FILE_BYTES
    from ui.assets import CSS, HEAD
    from ui.layout import THEME

    demo.queue(default_concurrency_limit=CONCURRENCY)
    return demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Sign in to ask the indexed documents." if auth else None,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        css=CSS,
        head=HEAD,
        theme=THEME,
        ssr_mode=False,
        mcp_server=False,
        footer_links=["api"],
        # Gradio refuses bigger files before they reach rag.uploads (which names its own, lower limit).
        max_file_size=MAX_FILE_BYTES + 2**20,
    )


def serve(assistant: Assistant, host: str, port: int, auth: tuple[str, str] | None) -> None:
    """Build the page for ``assistant`` and serve it until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ui.layout import build_demo

    if host not in _LOOPBACK and auth is None:
        print(f"rag: warning: serving on {host} without login; set {AUTH_ENV}=user:password", file=sys.stderr)
    launch(build_demo(assistant), host, port, auth)


def _cmd_ui(args: argparse.Namespace) -> int:
    auth = auth_from_env()
    from rag.assistant import Assistant

    assistant = Assistant(collection=args.collection) if args.collection else Assistant()
    print(f"rag: serving {len(assistant.docs)} document(s) at http://{args.host}:{args.port}", file=sys.stderr)
    serve(assistant, args.host, args.port, auth)
    return 0


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, not {port}")
    return port


def register(sub: Any) -> None:
    """Add ``rag ui [--host 127.0.0.1] [--port 7860]`` to the CLI."""
    p = sub.add_parser("ui", help="start the chat page in the browser (Gradio)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    p.add_argument("--port", type=_port, default=7860, help="port (default 7860)")
    p.add_argument(
        "--collection", default=None, help="collection the page opens on (default: RAG_COLLECTION, else 'rag')"
    )
    p.set_defaults(handler=_cmd_ui)
