"""Shared fixtures: the real MiniLM model and a real Chroma store built once per test session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The bundled seed articles."""
    return REPO / "seeds"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    """An Assistant over the seeds with its own embedded Chroma store (real model, real store)."""
    from rag import Assistant

    return Assistant(home=tmp_path_factory.mktemp("rag-home"))


@pytest.fixture(scope="session")
def acceptance() -> list[dict]:
    """The shared acceptance questions (falls back to the copy inside evals/questions.jsonl)."""
    path = SHARED / "evals" / "acceptance.jsonl"
    if path.is_file():
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [json.loads(line) for line in (REPO / "evals" / "questions.jsonl").read_text().splitlines() if line]
    return [r for r in rows if r.get("origin") == "acceptance"]


@pytest.fixture()
def corpus(tmp_path: Path, seeds_dir: Path) -> Path:
    """A writable copy of the seeds folder (with its metadata sidecar)."""
    dst = tmp_path / "corpus"
    shutil.copytree(seeds_dir, dst)
    return dst
