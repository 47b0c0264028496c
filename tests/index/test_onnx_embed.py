"""The ONNX copy of MiniLM: same vectors as sentence-transformers, and no torch on the query path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embed import MiniLMEmbedder, default_embedder
from index.onnx_embed import OnnxMiniLMEmbedder
from index.onnx_export import EXPORT_FORMAT, ensure_onnx_model

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


def test_calls_respect_the_token_budget() -> None:
    emb = OnnxMiniLMEmbedder(batch_tokens=100, max_batch_texts=4)
    lengths = [50, 3, 10, 7, 120, 10, 10, 10, 10, 10, 49]
    calls = emb._calls(lengths)
    assert sorted(i for c in calls for i in c) == list(range(len(lengths)))  # every text exactly once
    flat = [lengths[i] for c in calls for i in c]
    assert flat == sorted(flat)  # length-sorted, so a call pads to its last text
    for c in calls:
        assert len(c) <= 4
        assert len(c) == 1 or len(c) * lengths[c[-1]] <= 100  # a text longer than the budget goes alone


def test_parallel_calls_give_the_same_vectors(seeds_dir: Path) -> None:
    text = (seeds_dir / "002_afb7bb23509a6b82.txt").read_text(encoding="utf-8")
    paras = [p for p in text.split("\n") if p.strip()][:30]
    texts = paras + SAMPLES + [w for p in paras[:3] for w in p.split()[:10]]
    serial = OnnxMiniLMEmbedder(threads=1).embed(texts)
    parallel = OnnxMiniLMEmbedder(threads=3, batch_tokens=256).embed(texts)  # many calls, run side by side
    assert np.allclose(serial, parallel, atol=1e-5)


def test_a_question_with_its_terms_is_spread_over_the_cores_and_keeps_its_vectors() -> None:
    emb = OnnxMiniLMEmbedder(threads=2)
    texts = ["Which company did the Chinese group buy in 2019?", "company", "chinese", "group", "2019"]
    _, spread = emb._forward(texts)  # small input: cut into one call per core, not padded to the longest
    _, single = emb._forward(texts, spread=False)
    assert len(spread) == 2 and len(single) == 1
    one_call = OnnxMiniLMEmbedder(threads=1).embed(texts)  # one core: one call
    assert np.allclose(emb.embed(texts), one_call, atol=1e-5)


def _child_embeds(emb: OnnxMiniLMEmbedder, texts: list[str], expected: np.ndarray, q: Any) -> None:
    q.put(bool(np.allclose(emb.embed(texts), expected, atol=1e-5)))


def test_bulk_embedding_works_in_a_forked_child() -> None:
    """The worker pool's threads do not survive fork(); a child must not wait on them forever."""
    import multiprocessing

    emb = OnnxMiniLMEmbedder(threads=2, batch_tokens=64)
    texts = [f"sentence number {i} about rare earth export licences" for i in range(40)]
    expected = emb.embed(texts)  # the parent's pool now exists
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    child = ctx.Process(target=_child_embeds, args=(emb, texts, expected, q), daemon=True)
    child.start()
    child.join(60)
    assert child.exitcode == 0 and q.get(timeout=5) is True


@pytest.mark.slow
def test_matches_sentence_transformers(seeds_dir: Path) -> None:
    texts = list(SAMPLES)
    for f in sorted(seeds_dir.glob("*.txt")):
        paras = [p for p in f.read_text(encoding="utf-8").split("\n") if p.strip()]
        texts += paras[:40]
        # Chunk-sized texts (~150 wordpieces), what indexing embeds in bulk.
        texts += [" ".join(paras[i : i + 4]) for i in range(0, min(len(paras), 40), 4)]
    ref = MiniLMEmbedder().embed(texts)
    for emb in (OnnxMiniLMEmbedder(), OnnxMiniLMEmbedder(batch_tokens=4096, threads=1)):
        cos = (emb.embed(texts) * ref).sum(axis=1)
        # Same model, same fp32 arithmetic up to summation order: the index need not be rebuilt.
        assert cos.min() >= 0.9999, cos.min()


def test_export_is_cached(repo: Path) -> None:
    first = ensure_onnx_model()
    mtime = first.stat().st_mtime_ns
    assert ensure_onnx_model() == first and first.stat().st_mtime_ns == mtime
    info = json.loads((first.parent / "export.json").read_text())
    assert info["precision"] == "fp32" and info["format"] == EXPORT_FORMAT
    # `python -m index.onnx_embed` (make install) is idempotent: a second run only prints the path.
    code = "import sys; from index.onnx_embed import main; main(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(first), "False"] and first.stat().st_mtime_ns == mtime


def test_export_uses_eager_attention() -> None:
    """The SDPA export's per-layer IsNaN/Where mask clean-up is unfusable and ~15 % slower on CPU."""
    import onnx

    graph = onnx.load(str(ensure_onnx_model()), load_external_data=False).graph
    ops = [n.op_type for n in graph.node]
    assert "IsNaN" not in ops and ops.count("Softmax") == 6, sorted(set(ops))


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


def test_token_vectors_are_unit_and_spans_point_into_the_text() -> None:
    emb = default_embedder()
    texts = ["The EU sees this as stability.", "Nexperia’s chips, used by the billion."]
    got = emb.embed_tokens(texts)
    assert len(got) == 2
    for text, tv in zip(texts, got):
        assert tv.vecs.shape == (len(tv.spans), 384)
        assert np.allclose(np.linalg.norm(tv.vecs, axis=1), 1.0, atol=1e-5)
        pieces = [text[a:b] for a, b in tv.spans]
        assert all(pieces) and "".join(pieces).lower() == "".join(text.split()).lower()
    assert emb.embed_tokens([]) == []


def test_token_vectors_do_not_depend_on_the_batch() -> None:
    emb = default_embedder()
    alone = emb.embed_tokens([SAMPLES[3]])[0]
    batched = emb.embed_tokens(SAMPLES)[3]
    assert batched.spans == alone.spans
    assert np.allclose(batched.vecs, alone.vecs, atol=1e-4)


def test_a_question_embedded_for_retrieval_is_not_run_again_for_its_token_vectors(monkeypatch: Any) -> None:
    emb = OnnxMiniLMEmbedder()
    question = SAMPLES[0]
    fresh = OnnxMiniLMEmbedder().embed_tokens([question])[0]
    emb.embed([question, "licence", "duration"])  # what retrieval does: the question with its key terms
    runs: list[int] = []
    forward = emb._forward
    monkeypatch.setattr(emb, "_forward", lambda texts, spread=None: runs.append(len(texts)) or forward(texts, spread))
    kept = emb.embed_tokens([question])[0]
    assert runs == [] and kept.spans == fresh.spans
    assert np.allclose(kept.vecs, fresh.vecs, atol=1e-5)
    emb.embed_tokens([question, "never embedded"])  # any text not kept: the whole call runs
    assert runs == [2]


def test_a_large_embed_call_keeps_no_token_vectors() -> None:
    emb = OnnxMiniLMEmbedder()
    emb.embed([f"sentence number {i}" for i in range(100)])  # a build's batch
    assert not emb._recent
