"""What the benchmarks share: the repository paths, the offline environment, timing statistics, the
hit@k/MRR rule, the machine description and running a timed subprocess.

Importing it sets the offline, quiet environment before anything heavy loads, so every benchmark
imports it first.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.metrics import is_hit

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ["RAG_PROGRESS"] = "false"

__all__ = [
    "QUESTIONS",
    "REPO",
    "SEEDS",
    "interleaved_latency",
    "latency",
    "machine",
    "quality",
    "stats",
    "timed_run",
]

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
QUESTIONS = REPO / "evals" / "questions.jsonl"


def quality(retrieve: Callable[[str], list[str]], questions: Sequence[dict], k: int) -> dict[str, Any]:
    """hit@k and MRR@k of ``retrieve`` (question -> passage texts, best first) on answerable questions."""
    hits, rr = 0, 0.0
    graded = [q for q in questions if q.get("answerable") and q.get("support")]
    for q in graded:
        texts = retrieve(q["question"])[:k]
        rank = next((i + 1 for i, t in enumerate(texts) if is_hit(t, q["support"])), 0)
        hits += rank > 0
        rr += 1.0 / rank if rank else 0.0
    n = max(len(graded), 1)
    return {"k": k, "questions": len(graded), "hit": round(hits / n, 4), "mrr": round(rr / n, 4)}


def latency(fn: Callable[[str], Any], questions: Sequence[str], n: int, warmup: int = 3) -> dict[str, Any]:
    """Call ``fn`` on ``n`` questions (cycling) after ``warmup`` untimed calls; stats in milliseconds."""
    for q in questions[:warmup]:
        fn(q)
    times = []
    for i in range(n):
        q = questions[i % len(questions)]
        t = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t) * 1000)
    return stats(times)


def stats(ms: Sequence[float]) -> dict[str, Any]:
    """n, p50, p95, mean and max of ``ms`` (milliseconds), rounded to 0.01."""
    s = sorted(ms)

    def pct(p: float) -> float:  # linear interpolation, like numpy's default
        x = (len(s) - 1) * p
        lo = int(x)
        hi = min(lo + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (x - lo)

    return {
        "n": len(s),
        "p50_ms": round(pct(0.50), 2),
        "p95_ms": round(pct(0.95), 2),
        "mean_ms": round(statistics.fmean(s), 2),
        "max_ms": round(s[-1], 2),
    }


def machine() -> dict[str, Any]:
    """CPU count (and usable), platform, Python and torch versions: what a figure was measured on."""
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    try:
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except Exception:
        pass
    return info


def interleaved_latency(fns: dict[str, Callable[[str], Any]], questions: Sequence[str], n: int) -> dict:
    """Like ``latency`` for several functions, alternating calls so machine load drifts hit all alike."""
    for q in questions[:3]:
        for fn in fns.values():
            fn(q)
    times: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(n):
        q = questions[i % len(questions)]
        for name, fn in fns.items():
            t = time.perf_counter()
            fn(q)
            times[name].append((time.perf_counter() - t) * 1000)
    return {name: stats(ms) for name, ms in times.items()}


def timed_run(cmd: Sequence[str], env: dict[str, str], what: str, timeout: int = 900) -> tuple[float, str]:
    """Run ``cmd`` in the repository with ``env``: its wall seconds (exec to exit) and stdout; ``what``
    names it in the error raised when it fails."""
    t = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return took, proc.stdout
