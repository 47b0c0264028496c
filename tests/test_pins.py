"""The installed versions of the dependencies our durability guarantees rest on are the ones pinned (and tested).

``index/check.py`` knows which files of a Chroma space readers never rewrite and when Chroma writes its
vector index to disk; ``index/chroma.py`` uses its per-folder client cache; the chunk nodes and BM25
folders are LlamaIndex's formats. A release outside the pinned range may change any of that silently,
so drifting outside it fails here, loudly, before a crash test could pass by luck.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO

PINNED = ("chromadb", "llama-index-core", "llama-index-vector-stores-chroma", "llama-index-retrievers-bm25", "bm25s")


def _requirements() -> dict[str, Requirement]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = [Requirement(r) for r in data["project"]["dependencies"]]
    return {r.name.lower(): r for r in reqs}


@pytest.mark.parametrize("name", PINNED)
def test_installed_version_is_inside_the_tested_pin(name: str) -> None:
    req = _requirements()[name]
    assert req.specifier and any(s.operator in ("<", "<=", "==", "~=") for s in req.specifier), (
        f"{name} has no upper bound in pyproject.toml"
    )
    installed = version(name)
    assert req.specifier.contains(installed, prereleases=True), (
        f"{name} {installed} is installed, but the crash-safety guarantees were tested on {req.specifier}: "
        "re-run tests/index/test_crash_safety.py and tests/index/test_corrupt_store.py on it, then move the pin"
    )
