"""The ONNX copy of MiniLM: same vectors as sentence-transformers, and no torch on the query path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embed import MiniLMEmbedder, default_embedder
from index.onnx_embed import OnnxMiniLMEmbedder, ensure_onnx_model

SAMPLES = [
    "What licence duration are the EU and China close to agreeing on?",
    "rare",
    "",
    "China’s export-licensing system is still the structural choke point in the global rare earth trade.",
    "Nexperia " * 300,  # longer than the 256-wordpiece window: truncated exactly like sentence-transformers
    "Ünïcödé, emoji 🙂 and numbers 3.5% — all tokenised the same way.",
]


def test_default_embedder_is_onnx() -> None:
    emb = default_embedder()
    assert isinstance(emb, OnnxMiniLMEmbedder) and emb.dim == 384
    assert emb.name == MiniLMEmbedder.name  # same model, so an index built by either stays valid


def test_shapes_and_unit_length() -> None:
    emb = default_embedder()
    assert emb.embed([]).shape == (0, 384)
    vecs = emb.embed(SAMPLES)
    assert vecs.shape == (len(SAMPLES), 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # Length-sorted batching must not reorder the results.
    one_by_one = np.vstack([emb.embed([t]) for t in SAMPLES])
    assert np.allclose(vecs, one_by_one, atol=1e-5)


@pytest.mark.slow
def test_matches_sentence_transformers(seeds_dir: Path) -> None:
    text = (seeds_dir / "002_afb7bb23509a6b82.txt").read_text(encoding="utf-8")
    paras = [p for p in text.split("\n") if p.strip()][:40]
    texts = SAMPLES + paras
    ours = OnnxMiniLMEmbedder(batch_size=8).embed(texts)
    ref = MiniLMEmbedder().embed(texts)
    cos = (ours * ref).sum(axis=1)
    assert cos.min() >= 0.999, cos.min()


def test_export_is_cached() -> None:
    first = ensure_onnx_model()
    mtime = first.stat().st_mtime_ns
    assert ensure_onnx_model() == first and first.stat().st_mtime_ns == mtime
    assert json.loads((first.parent / "export.json").read_text())["precision"] == "fp32"


@pytest.mark.slow
def test_query_path_never_imports_torch(assistant, repo: Path) -> None:
    code = (
        "import sys, json; from rag import Assistant; a = Assistant();"
        "ans = a.ask('What kind of company is Nexperia?');"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'st': 'sentence_transformers' in sys.modules,"
        " 'abstained': ans.abstained}))"
    )
    env = dict(os.environ, RAG_HOME=str(assistant.settings.home), RAG_PROGRESS="false")
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"torch": False, "st": False, "abstained": False}
