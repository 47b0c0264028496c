"""Server mode: a real ``chroma run`` on a free loopback port gives the same answers as the embedded store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.errors import StoreUnavailableError
from index.store import Store

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"chroma server at {url} did not come up in {timeout} s")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (the ``chroma`` CLI of the chromadb package) for this module's tests."""
    if not CHROMA.exists():
        pytest.skip("the chroma CLI is not installed in this environment")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.slow
def test_server_answers_match_embedded(chroma_url, assistant, acceptance, tmp_path, repo) -> None:
    from rag import Assistant

    served = Assistant(home=tmp_path / "home", chroma_url=chroma_url, embedder=assistant.embedder)
    assert served.store.url == chroma_url
    assert served.store.count() == assistant.store.count()
    assert not (tmp_path / "home" / "chroma").exists()  # nothing embedded: the vectors are on the server
    for q in acceptance:
        ours, theirs = served.ask(q["question"]), assistant.ask(q["question"])
        assert ours.text == theirs.text, q["id"]
        assert [(c.source, c.start, c.end) for c in ours.citations] == [
            (c.source, c.start, c.end) for c in theirs.citations
        ]
        for c in ours.citations:
            assert (repo / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
    # A second process-equivalent open reuses what the server holds: nothing re-embedded.
    again = Assistant(home=tmp_path / "home", chroma_url=chroma_url, embedder=assistant.embedder)
    assert again.index().embedded == 0


def test_server_down_names_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(StoreUnavailableError, match=url.replace(".", r"\.")) as info:
        Store(tmp_path / "home", url=url)
    assert "make chroma" in str(info.value)


def test_server_down_cli_is_one_line(tmp_path: Path, repo: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    env = dict(os.environ, RAG_HOME=str(tmp_path / "home"), RAG_CHROMA_URL=url)
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "What is Nexperia?"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and url in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
