"""Start the real Gradio server in this process on a free loopback port (used by the UI tests)."""

from __future__ import annotations

import socket
from typing import Any


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(assistant: Any, auth: tuple[str, str] | None = None, **kw: Any) -> tuple[Any, str]:
    """Build the page for ``assistant`` and serve it in this process; returns (demo, url)."""
    from ui.app import launch
    from ui.layout import build_demo

    demo = build_demo(assistant, **kw)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=auth, prevent_thread_lock=True, quiet=True)
    return demo, url.rstrip("/")
