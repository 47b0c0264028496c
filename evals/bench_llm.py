"""LLM-mode benchmark for the bundled SmolLM2-135M-Instruct GGUF (not a test).

    python -m evals.bench_llm [--json] [--passes N] [--max-tokens N] [--threads N]

Builds the seeds index in a temporary folder, then, on the answerable acceptance questions
(``../shared/evals/acceptance.jsonl``, else the ``origin == "acceptance"`` rows of
``evals/questions.jsonl``), measures on this machine:

* model load: ``Assistant(mode="llm").llm`` (llama.cpp reading the GGUF);
* time to first token, model only: from the ``stream_chat`` call (prompt already built) to the
  first streamed delta -- prompt evaluation plus one decoding step -- and the prompt size;
* time to first token through ``Assistant.stream``: retrieval, the extractive answerability gate,
  prompt building, then the above;
* decoding speed: generated tokens after the first / time from the first delta to the last;
* ``Assistant.ask`` latency in llm mode (generation plus verification of every sentence), with
  the extractive mode's latency on the same questions for comparison;
* what verification did: answers shown as verified LLM text vs extractive fallback, sentences
  shown and dropped per question.

Nothing reaches the network; the temporary index is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# bench_common sets the offline/quiet environment on import, before anything heavy loads.
from evals.bench_common import machine, stats  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_ACCEPTANCE = REPO.parent / "shared" / "evals" / "acceptance.jsonl"
QUESTIONS = REPO / "evals" / "questions.jsonl"


def acceptance_questions() -> list[str]:
    """The answerable acceptance questions (shared copy first)."""
    if SHARED_ACCEPTANCE.is_file():
        rows = [json.loads(x) for x in SHARED_ACCEPTANCE.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        rows = [json.loads(x) for x in QUESTIONS.read_text(encoding="utf-8").splitlines() if x.strip()]
        rows = [r for r in rows if r.get("origin") == "acceptance"]
    return [r["question"] for r in rows if r.get("answerable")]


class TimedLLM:
    """Delegates to a LlamaIndex LLM and times each ``stream_chat``: first delta, last delta, tokens."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[dict[str, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _tokens(self, text: str) -> int:
        return len(self.inner._model.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream_chat(self, messages: Sequence[Any], **kw: Any) -> Iterator[Any]:
        prompt_tokens = self._tokens(self.inner.messages_to_prompt(messages))
        t0 = time.perf_counter()
        first = last = 0.0
        text = ""
        for chunk in self.inner.stream_chat(messages, **kw):
            last = time.perf_counter()
            first = first or last
            text += chunk.delta or ""
            yield chunk
        out = self._tokens(text) if text else 0
        self.calls.append(
            {
                "start": t0,
                "ttft_s": (first or time.perf_counter()) - t0,
                "decode_s": last - first if first else 0.0,
                "prompt_tokens": prompt_tokens,
                "out_tokens": out,
            }
        )


def run(passes: int, max_tokens: int, threads: int | None = None) -> dict[str, Any]:
    from rag import Answer, Assistant

    questions = acceptance_questions()
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-llm-"))
    try:
        result: dict[str, Any] = {"machine": machine(), "questions": len(questions), "passes": passes}
        result["machine"]["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]
        base = Assistant(home=tmp / "home", progress=False)
        base.ask(questions[0])  # loads MiniLM; warms the judge's model too
        a = Assistant(
            home=tmp / "home",
            embedder=base.embedder,
            mode="llm",
            llm_max_tokens=max_tokens,
            llm_threads=threads,
            progress=False,
        )
        t = time.perf_counter()
        llm = a.llm
        result["model"] = {"path": str(getattr(llm, "model_path", "")), "load_s": round(time.perf_counter() - t, 3)}
        result["model"]["threads"] = llm._model.context_params.n_threads
        timed = TimedLLM(llm)
        a.llm = timed
        a.ask(questions[0])  # warm-up: first-call allocations
        timed.calls.clear()

        stream_ttft: list[float] = []
        per_q: list[tuple[str, Answer]] = []
        for _ in range(passes):
            for q in questions:
                t0 = time.perf_counter()
                first = None
                for item in a.stream(q):
                    if isinstance(item, str) and first is None:
                        first = time.perf_counter() - t0
                    answer = item
                if first is not None:
                    stream_ttft.append(first * 1000)
                assert isinstance(answer, Answer)  # the protocol: the Answer comes last
                per_q.append((q, answer))
        calls = list(timed.calls)
        ask_ms = []
        for _ in range(passes):
            for q in questions:
                t = time.perf_counter()
                a.ask(q)
                ask_ms.append((time.perf_counter() - t) * 1000)
        ext_ms = []
        for q in questions * passes:
            t = time.perf_counter()
            base.ask(q)
            ext_ms.append((time.perf_counter() - t) * 1000)

        decoded = sum(max(c["out_tokens"] - 1, 0) for c in calls)
        decode_s = sum(c["decode_s"] for c in calls)
        result["generation"] = {
            "calls": len(calls),
            "ttft_model": stats([c["ttft_s"] * 1000 for c in calls]),
            "ttft_stream": stats(stream_ttft) if stream_ttft else None,
            "prompt_tokens_mean": round(statistics.fmean(c["prompt_tokens"] for c in calls), 1),
            "prompt_tokens_per_s": round(sum(c["prompt_tokens"] for c in calls) / sum(c["ttft_s"] for c in calls), 1),
            "out_tokens_mean": round(statistics.fmean(c["out_tokens"] for c in calls), 1),
            "decode_tokens_per_s": round(decoded / decode_s, 1) if decode_s else None,
        }
        result["ask_llm"] = stats(ask_ms)
        result["ask_extractive"] = stats(ext_ms)
        rows = [
            {
                "question": q,
                "mode": ans.mode,
                "abstained": ans.abstained,
                "shown": ans.text.count("] ") + (1 if ans.text.endswith("]") else 0),
                "dropped": len(ans.unsupported),
            }
            for q, ans in per_q[: len(questions)]
        ]
        result["verification"] = {
            "llm_answers": sum(r["mode"] == "llm" for r in rows),
            "fallback_extractive": sum(r["mode"] == "extractive" and not r["abstained"] for r in rows),
            "abstained": sum(r["abstained"] for r in rows),
            "dropped_per_question": [r["dropped"] for r in rows],
            "rows": rows,
        }
        result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(r: dict[str, Any]) -> str:
    m, g, v = r["machine"], r["generation"], r["verification"]

    def lat(d: dict[str, Any] | None) -> str:
        if not d:
            return "n/a"
        return f"p50 {d['p50_ms']:8.1f} ms   p95 {d['p95_ms']:8.1f} ms   mean {d['mean_ms']:8.1f} ms  (n={d['n']})"

    lines = [
        f"machine: {m['cpu_count']} CPUs ({m.get('cpus_usable', '?')} usable), {m['platform']}, Python {m['python']}",
        f"model: {Path(r['model']['path']).name}, load {r['model']['load_s']:.2f} s, {r['model']['threads']} threads",
        f"load average {m['loadavg_start']} -> {m['loadavg_end']} (1/5/15 min; other processes slow llama.cpp sharply)",
        f"questions: {r['questions']} answerable acceptance questions x {r['passes']} pass(es)",
        "",
        f"time to first token, model only   {lat(g['ttft_model'])}",
        f"  prompt: {g['prompt_tokens_mean']:.0f} tokens on average, evaluated at {g['prompt_tokens_per_s']:.0f} tok/s",
        f"time to first token, via stream() {lat(g['ttft_stream'])}   (retrieval + gate + prompt + above)",
        f"decoding                          {g['decode_tokens_per_s']} tokens/s   "
        f"({g['out_tokens_mean']:.0f} tokens per answer on average)",
        "",
        f"ask, llm mode                     {lat(r['ask_llm'])}   (generation + verification)",
        f"ask, extractive mode              {lat(r['ask_extractive'])}",
        "",
        f"verification: {v['llm_answers']} verified LLM answers, {v['fallback_extractive']} extractive fallbacks, "
        f"{v['abstained']} abstentions; dropped sentences per question {v['dropped_per_question']}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    doc = __doc__ or ""
    ap = argparse.ArgumentParser(prog="python -m evals.bench_llm", description=doc.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    ap.add_argument("--passes", type=int, default=1, help="passes over the questions (default 1)")
    ap.add_argument("--max-tokens", type=int, default=128, help="llm_max_tokens (default 128)")
    ap.add_argument("--threads", type=int, default=None, help="llm_threads (default: the settings' default)")
    args = ap.parse_args(argv)
    if args.passes < 1:
        ap.error("--passes must be at least 1")
    result = run(args.passes, args.max_tokens, args.threads)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
