"""UI fixtures: the real Gradio server on a free loopback port, and a corpus of hostile documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evil_docs import EVIL_HTML, EVIL_SIDECAR, EVIL_TXT
from uiserver import start_server


@pytest.fixture(scope="session")
def ui_demo(assistant: Any) -> Iterator[tuple[Any, str]]:
    """The real server over the seeds index (session-scoped): (demo, url)."""
    demo, url = start_server(assistant)
    yield demo, url
    demo.close()


@pytest.fixture(scope="session")
def ui_server(ui_demo: tuple[Any, str]) -> str:
    """URL of the real server over the seeds index."""
    return ui_demo[1]


@pytest.fixture(scope="session")
def evil_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of documents whose text holds script tags and event-handler attributes (.txt and .html)."""
    d = tmp_path_factory.mktemp("evil-docs")
    (d / "zorblat.txt").write_text(EVIL_TXT, encoding="utf-8")
    (d / "quenton.html").write_text(EVIL_HTML, encoding="utf-8")
    (d / "sources.toml").write_text(EVIL_SIDECAR, encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def evil_assistant(assistant: Any, evil_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An Assistant over the hostile documents only (sharing the session's embedding model)."""
    from rag import Assistant

    return Assistant(home=tmp_path_factory.mktemp("evil-home"), docs=[evil_dir], embedder=assistant.embedder)
