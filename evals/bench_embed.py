"""Embedding throughput: the ONNX MiniLM embedder vs sentence-transformers (torch fp32), repeated.

    python -m evals.bench_embed [--reps 3] [--texts 256] [--rounds 4] [--cold 5] [--json]

The sample is ``--texts`` chunks of 130-180 wordpieces (what indexing embeds), packed from the Debian
text pool of ``evals/bench_corpus.py`` with its fixed seed, so every run embeds the same texts. Each
repetition is one ``evals.bench.embed_throughput`` call (both embedders, ABBA-alternating over the
same sample); printed: each repetition's ratio with the load average, their median, the cosine of
every ONNX vector to sentence-transformers', and the cold start of the ONNX model in fresh processes
(session creation and first query). On a shared machine compare ratios, not absolute rates.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from evals.bench_common import REPO

__all__ = ["sample_chunks", "cold_start", "run", "main"]

_COLD = r"""
import json, time
t0 = time.perf_counter()
import onnxruntime
from index.onnx_embed import OnnxMiniLMEmbedder
t1 = time.perf_counter()
emb = OnnxMiniLMEmbedder()
emb._load()
t2 = time.perf_counter()
emb.embed(["Which licence duration are the EU and China close to agreeing on?"])
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "session_s": t2 - t1, "first_query_s": t3 - t2}))
"""


def sample_chunks(n: int = 256, lo: int = 130, hi: int = 180) -> list[str]:
    """``n`` texts of ``lo``..``hi`` wordpieces: shuffled pool pieces joined at blank lines (deterministic)."""
    from evals.bench_corpus import SEED, text_pool
    from index.chunk import count_tokens

    pool = text_pool()
    if not pool:
        raise SystemExit("bench_embed: no texts under /usr/share/doc to sample from")
    random.Random(SEED).shuffle(pool)
    out: list[str] = []
    parts: list[str] = []
    used = 0
    for (_, piece), k in zip(pool, count_tokens([p for _, p in pool[: 20 * n]])):
        if k > hi:
            continue
        if used + k > hi:
            parts, used = [], 0
        parts.append(piece)
        used += k
        if used >= lo:
            out.append("\n\n".join(parts))
            parts, used = [], 0
            if len(out) == n:
                break
    return out


def cold_start(times: int) -> dict[str, Any]:
    """Median seconds of a fresh process: importing onnxruntime, creating the session, the first query."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    runs = []
    for _ in range(times):
        proc = subprocess.run(
            [sys.executable, "-c", _COLD], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            raise RuntimeError(f"cold start failed:\n{proc.stderr[-2000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]} | {"runs": times}


def run(reps: int, n_texts: int, rounds: int, cold: int) -> dict[str, Any]:
    """Everything ``main`` prints, as a dict."""
    import numpy as np

    from evals.bench import embed_throughput
    from index.chunk import count_tokens
    from index.embed import MiniLMEmbedder
    from index.onnx_embed import OnnxMiniLMEmbedder
    from index.onnx_export import ensure_onnx_model

    ensure_onnx_model()
    texts = sample_chunks(n_texts)
    sizes = count_tokens(texts)
    res: dict[str, Any] = {
        "texts": len(texts),
        "wordpieces": {"min": min(sizes), "mean": round(sum(sizes) / len(sizes), 1), "max": max(sizes)},
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    if cold:
        res["cold"] = cold_start(cold)  # first, while this process holds no model threads
    embedder = OnnxMiniLMEmbedder()
    cos = (embedder.embed(texts) * MiniLMEmbedder().embed(texts)).sum(axis=1)
    res["cosine_to_torch"] = {"min": float(np.round(cos.min(), 7)), "mean": float(np.round(cos.mean(), 7))}
    res["runs"] = []
    for _ in range(reps):
        before = os.getloadavg()[0]
        got = embed_throughput(embedder, texts, rounds=rounds)
        got["loadavg"] = [round(before, 2), round(os.getloadavg()[0], 2)]
        res["runs"].append(got)
        print(
            f"  run {len(res['runs'])}: onnx {got['onnx_per_s']}/s, torch {got['torch_per_s']}/s, "
            f"ratio {got['speedup']:.2f} (load average {got['loadavg'][0]} -> {got['loadavg'][1]})",
            file=sys.stderr,
            flush=True,
        )
    ratios = [r["speedup"] for r in res["runs"]]
    res["median_ratio"] = round(statistics.median(ratios), 2)
    res["min_ratio"] = min(ratios)
    return res


def report(r: dict[str, Any]) -> str:
    """The human-readable summary."""
    w = r["wordpieces"]
    lines = [f"{r['texts']} texts of {w['min']}-{w['max']} wordpieces (mean {w['mean']}), {r['cpus']} CPUs"]
    for i, x in enumerate(r["runs"], 1):
        lines.append(
            f"run {i}: onnx {x['onnx_per_s']:.1f}/s  torch {x['torch_per_s']:.1f}/s  ratio {x['speedup']:.2f}"
            f"  (load average {x['loadavg'][0]} -> {x['loadavg'][1]})"
        )
    lines.append(f"median ratio {r['median_ratio']:.2f} (lowest {r['min_ratio']:.2f}) over {len(r['runs'])} runs")
    c = r["cosine_to_torch"]
    lines.append(f"cosine to sentence-transformers: min {c['min']:.7f}, mean {c['mean']:.7f}")
    if "cold" in r:
        c = r["cold"]
        lines.append(
            f"fresh process (median of {c['runs']}): import {c['import_s']:.2f}s, session {c['session_s']:.2f}s, "
            f"first query {c['first_query_s'] * 1000:.0f} ms"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evals.bench_embed``."""
    p = argparse.ArgumentParser(prog="python -m evals.bench_embed", description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3, help="repetitions of the alternating measurement (default 3)")
    p.add_argument("--texts", type=int, default=256, help="sample size (default 256)")
    p.add_argument("--rounds", type=int, default=4, help="ABBA rounds per repetition (default 4)")
    p.add_argument("--cold", type=int, default=5, help="fresh processes timed for cold start (0: skip)")
    p.add_argument("--json", action="store_true", help="print the JSON result instead of the summary")
    args = p.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    r = run(max(1, args.reps), max(8, args.texts), max(1, args.rounds), max(0, args.cold))
    print(json.dumps(r, indent=1) if args.json else report(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
