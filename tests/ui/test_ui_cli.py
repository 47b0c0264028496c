"""``rag ui``: the real command in a subprocess, bound to loopback, and its clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from uiserver import free_port

REPO = Path(__file__).resolve().parents[2]


def _rag(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_rag_ui_serves_the_page_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "RAG_HOME": str(tmp_path / "home"), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("RAG_UI_AUTH", None)
    proc = _rag("ui", "--port", str(port), env=env)
    try:
        deadline = time.monotonic() + 180
        body = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()[0]
        assert '"rag-chat"' in body and '"api_name": "ask"' in body.replace('":"', '": "')
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}" in out


def test_bad_auth_and_port_exit_2_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "RAG_HOME": str(tmp_path / "home"), "RAG_UI_AUTH": "no-colon"}
    proc = _rag("ui", env=env)
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 2 and "RAG_UI_AUTH must look like user:password" in out and "Traceback" not in out
    proc = _rag("ui", "--port", "70000", env={**os.environ, "RAG_HOME": str(tmp_path / "home")})
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 2 and "port must be 1-65535" in out
