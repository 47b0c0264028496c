"""``pip install .`` and ``pip install <wheel>`` into a clean venv give a working ``rag`` outside any checkout.

The new venv borrows this venv's third-party packages through a ``.pth`` path line (so nothing is
downloaded); a plain path line does not run that folder's own ``.pth`` files, so the editable
install of the checkout stays out and ``rag`` can only come from what was just installed. Run from
an empty folder: the default collection must be the seed articles the package carries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _pip(python: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def _works(python: Path, cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RAG_HOME", "RAG_DOCS")}
    env.update(RAG_HOME=str(cwd / "home"), RAG_PROGRESS="false", HF_HUB_OFFLINE="1")
    where = subprocess.run(
        [str(python), "-c", "import rag, evals, index; print(rag.__file__)"], cwd=cwd, env=env, capture_output=True,
        text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert not where.startswith(str(REPO)), f"rag was imported from the checkout: {where}"
    rag = python.parent / "rag"
    q = "How long do Chinese rare-earth export licences last today?"
    done = subprocess.run([str(rag), "ask", q, "--json"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert not answer["abstained"] and "three-month" in answer["text"]
    for c in answer["citations"]:
        source = Path(c["source"])
        assert source.is_absolute() and "site-packages" in str(source)  # the packaged seeds
        assert source.read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    probe = "from importlib.metadata import entry_points as e; print(e(group='pytest11')['rag'].value)"
    plugins = subprocess.run(
        [str(python), "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert plugins == "evals.pytest_plugin"
    bad = subprocess.run([str(rag), "ask", ""], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_wheel_and_checkout_installs_work(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels)]
    done = subprocess.run([*build, str(REPO)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    (wheel,) = wheels.glob("rag_grounded-*.whl")

    for name, target in {"wheel": str(wheel), "checkout": str(REPO)}.items():
        python = _venv(tmp_path / f"venv-{name}")
        _pip(python, *(["--no-build-isolation"] if name == "checkout" else []), target)
        empty = tmp_path / f"cwd-{name}"
        empty.mkdir()
        _works(python, empty)
