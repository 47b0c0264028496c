"""Core latency/quality benchmark, side by side with a plain LlamaIndex pipeline (not a test).

    python -m evals.bench_core [--json] [--n 200]

One run measures, on this machine:

* cold start: a fresh ``python`` subprocess over an already built index — ``import rag``,
  ``Assistant()`` construction, first ``ask`` (which loads the MiniLM model) and a second ``ask``.
  The OS file cache is warm (this process has already loaded torch and the model);
* index build of ``seeds/`` with the model already loaded: a full build into a fresh empty home,
  then an incremental re-index with nothing changed;
* warm ``Assistant.ask`` latency over ``--n`` asks cycling through ``evals/questions.jsonl``
  (answerable and unanswerable questions alike);
* warm retrieval only (``a.retrieve(q)``: the current generation's hybrid retriever, i.e. query embedding
  + dense + BM25 + fusion);
* the plain LlamaIndex pipeline on the same documents with the same MiniLM embedder:
  ``SimpleDirectoryReader(seeds/, required_exts=[".txt"])`` -> default ``SentenceSplitter`` ->
  ``VectorStoreIndex`` on a fresh Chroma ``PersistentClient`` collection ->
  ``as_retriever(similarity_top_k=2)`` (LlamaIndex's default top-k): build time and warm retrieval latency;
* retrieval quality of both against the ``support`` phrases of the answerable questions: hit@k and MRR@k.
  A retrieved passage *hits* when, after normalisation (NFKC, curly quotes -> straight, lower case,
  whitespace collapsed), its text contains a support phrase or shares a common substring of at least
  40 characters with one (a phrase cut by a chunk boundary still counts). MRR uses the rank of the
  first hit (0 when none in the top k). Ours is scored at its configured k (5); the plain pipeline
  at its default top-k 2 and, for a like-for-like comparison, at top-k 5.

All stores live in a temporary folder that is deleted at the end; nothing reaches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# bench_common sets the offline, quiet environment on import, before anything heavy loads.
from evals.bench_common import (
    QUESTIONS,
    REPO,
    SEEDS,
    interleaved_latency,
    latency,
    machine,
    quality,
    timed_run,
)
from evals.metrics import MIN_OVERLAP

__all__ = ["bench_cold", "build_llamaindex", "build_ours", "main", "report", "run"]

_COLD_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
from rag import Assistant
t1 = time.perf_counter()
a = Assistant()
t2 = time.perf_counter()
first = a.ask(sys.argv[1])
t3 = time.perf_counter()
a.ask(sys.argv[2])
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "construct_s": t2 - t1, "first_ask_s": t3 - t2,
                  "second_ask_s": t4 - t3, "first_abstained": first.abstained}))
"""


# -- the measurements ---------------------------------------------------------------------
class _TimedEmbedder:
    """Delegates to an embedder and records (texts, seconds) per call: where a build's time goes."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.calls: list[tuple[int, float]] = []

    def embed(self, texts: Sequence[str]) -> Any:
        t = time.perf_counter()
        vecs = self.inner.embed(texts)
        self.calls.append((len(texts), time.perf_counter() - t))
        return vecs


def build_ours(home: Path, embedder: Any) -> tuple[Any, dict[str, Any]]:
    """Full build into an empty ``home``, open it, then an incremental re-index with nothing changed."""
    from index.build import build_index
    from index.store import Store
    from rag import Assistant

    out: dict[str, Any] = {}
    timed = _TimedEmbedder(embedder)
    t = time.perf_counter()
    store = Store(home)
    report = build_index([SEEDS], store, timed, REPO, progress=False)
    out["build_full"] = {
        "seconds": round(time.perf_counter() - t, 3),
        "summary": report.summary(),
        "docs": len(report.added),
        "chunks": report.chunks,
        "chunks_in_store": store.count()[0],
        # one call per document (chunks + sentences), then one for the vocabulary terms
        "embed_calls": [{"texts": n, "seconds": round(sec, 3)} for n, sec in timed.calls],
    }
    del store

    t = time.perf_counter()
    a = Assistant(home=home, embedder=embedder, progress=False)
    out["open_built_s"] = round(time.perf_counter() - t, 3)  # store + vocabulary + BM25 + retrievers

    t = time.perf_counter()
    report = a.index()
    out["reindex_nochange"] = {"seconds": round(time.perf_counter() - t, 3), "summary": report.summary()}
    return a, out


def bench_cold(home: Path, questions: list[dict]) -> dict[str, Any]:
    """A fresh interpreter over the built index: import, construct, first and second answer."""
    answerable = next(q["question"] for q in questions if q.get("answerable"))
    other = next(q["question"] for q in questions if not q.get("answerable"))
    env = dict(os.environ, RAG_HOME=str(home), RAG_PROGRESS="false", HF_HUB_OFFLINE="1")
    wall, out = timed_run([sys.executable, "-c", _COLD_SCRIPT, answerable, other], env, "cold-start subprocess", 600)
    got = json.loads(out.strip().splitlines()[-1])
    res = {k: round(v, 3) if isinstance(v, float) else v for k, v in got.items()}
    res["construct_plus_first_ask_s"] = round(got["construct_s"] + got["first_ask_s"], 3)
    res["process_wall_s"] = round(wall, 3)  # interpreter start .. exit
    return res


def build_llamaindex(folder: Path, embedder: Any) -> tuple[Any, dict[str, Any]]:
    """The plain pipeline: reader -> default SentenceSplitter -> VectorStoreIndex on a fresh Chroma store."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.retrieval.retrieve import as_llama_embedding

    embed = as_llama_embedding(embedder)
    # Never resolve a default (OpenAI) LLM or embedder. MockLLM rather than `llm = None`: same effect,
    # but no "LLM is explicitly disabled" line on stdout.
    LlamaSettings.llm = MockLLM()
    LlamaSettings.embed_model = embed

    t = time.perf_counter()
    docs = SimpleDirectoryReader(str(SEEDS), required_exts=[".txt"]).load_data()
    nodes = SentenceSplitter().get_nodes_from_documents(docs)
    client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("plain", metadata={"hnsw:space": "cosine"})
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    index = VectorStoreIndex(nodes, storage_context=storage, embed_model=embed)
    seconds = time.perf_counter() - t
    return index, {
        "build_full": {
            "seconds": round(seconds, 3),
            "docs": len(docs),
            "chunks": len(nodes),
            "chunks_in_store": collection.count(),
        }
    }


def _preimport() -> float:
    """Import the heavy libraries up front so build timings don't include first-import costs."""
    t = time.perf_counter()
    import chromadb  # noqa: F401
    import llama_index.core  # noqa: F401
    import llama_index.retrievers.bm25  # noqa: F401
    import llama_index.vector_stores.chroma  # noqa: F401

    import rag.assistant  # noqa: F401

    return time.perf_counter() - t


def run(n: int) -> dict[str, Any]:
    from index.embed import default_embedder

    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    texts = [q["question"] for q in questions]
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        result: dict[str, Any] = {"machine": machine()}
        result["machine"]["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]
        result["corpus"] = {"folder": "seeds", "files": len(list(SEEDS.glob("*.txt")))}
        result["questions"] = {"file": "evals/questions.jsonl", "total": len(questions), "asks": n}
        result["imports_s"] = round(_preimport(), 3)
        embedder = default_embedder()
        t = time.perf_counter()
        embedder.embed(["warm up"])
        result["model_load_s"] = round(time.perf_counter() - t, 3)

        a, ours = build_ours(tmp / "ours", embedder)
        result["cold"] = bench_cold(tmp / "ours", questions)
        index, plain = build_llamaindex(tmp / "llamaindex", embedder)
        top2 = index.as_retriever(similarity_top_k=2)
        top5 = index.as_retriever(similarity_top_k=5)

        abstained = sum(a.ask(q).abstained for q in texts)
        ours["ask"] = latency(a.ask, texts, n)
        ours["ask"]["abstained_per_pass"] = f"{abstained}/{len(texts)}"
        both = interleaved_latency({"ours": a.retrieve, "plain": top2.retrieve}, texts, n)
        ours["retrieve"], plain["retrieve"] = both["ours"], both["plain"]
        ours["retrieve"]["k"], plain["retrieve"]["k"] = a.settings.k, 2

        k = a.settings.k
        ours["quality"] = quality(lambda q: [p.chunk.text for p in a.retrieve(q)], questions, k)
        plain["quality_top2"] = quality(lambda q: [h.node.get_content() for h in top2.retrieve(q)], questions, 2)
        plain["quality_top5"] = quality(lambda q: [h.node.get_content() for h in top5.retrieve(q)], questions, 5)
        result["ours"], result["llamaindex_plain"] = ours, plain
        result["hit_rule"] = (
            f"passage contains a support phrase or shares >= {MIN_OVERLAP} chars with one "
            "(NFKC, straight quotes, lower case, collapsed whitespace)"
        )
        result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(r: dict[str, Any]) -> str:
    m, c, o, li = r["machine"], r["cold"], r["ours"], r["llamaindex_plain"]
    oq, l2, l5 = o["quality"], li["quality_top2"], li["quality_top5"]

    def lat(d: dict[str, Any]) -> str:
        p50, p95, mean = d["p50_ms"], d["p95_ms"], d["mean_ms"]
        return f"p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   mean {mean:8.2f} ms  (n={d['n']})"

    lines = [
        f"machine: {m['cpu_count']} CPUs ({m.get('cpus_usable', '?')} usable), {m['platform']}, "
        f"Python {m['python']}, torch {m.get('torch', '?')} ({m.get('torch_threads', '?')} threads)",
        f"corpus: {r['corpus']['files']} seed files; questions: {r['questions']['total']} "
        f"(cycled for {r['questions']['asks']} asks)",
        "",
        "cold start (fresh subprocess, index already built, OS file cache warm)",
        f"  import rag            {c['import_s']:8.3f} s",
        f"  Assistant()           {c['construct_s']:8.3f} s",
        f"  first ask             {c['first_ask_s']:8.3f} s   (loads the MiniLM model)",
        f"  time to first answer  {c['construct_plus_first_ask_s']:8.3f} s   (Assistant() + first ask)",
        f"  second ask            {c['second_ask_s']:8.3f} s",
        f"  whole process         {c['process_wall_s']:8.3f} s",
        "",
        f"in process: imports {r['imports_s']:.3f} s, model load {r['model_load_s']:.3f} s; "
        f"load average {m['loadavg_start']} -> {m['loadavg_end']} (1/5/15 min; other work skews latencies)",
        "",
        "ours (hybrid dense+BM25, extractive)",
        f"  full build (warm)     {o['build_full']['seconds']:8.3f} s   {o['build_full']['summary']}",
        "                        embedding: "
        + ", ".join(f"{c['texts']} texts {c['seconds']:.2f} s" for c in o["build_full"]["embed_calls"])
        + " (per document, then vocabulary)",
        f"  open built index      {o['open_built_s']:8.3f} s   (Assistant() on it, model loaded)",
        f"  re-index, no change   {o['reindex_nochange']['seconds']:8.3f} s   {o['reindex_nochange']['summary']}",
        f"  ask                   {lat(o['ask'])}   abstained {o['ask']['abstained_per_pass']} per pass",
        f"  retrieve (k={o['retrieve']['k']})        {lat(o['retrieve'])}",
        f"  quality               hit@{oq['k']} {oq['hit']:.3f}   MRR@{oq['k']} {oq['mrr']:.3f}"
        f"   ({oq['questions']} answerable questions; {o['build_full']['chunks']} chunks)",
        "",
        "plain LlamaIndex (SimpleDirectoryReader -> SentenceSplitter -> VectorStoreIndex on Chroma, same MiniLM)",
        f"  full build            {li['build_full']['seconds']:8.3f} s   "
        f"{li['build_full']['docs']} docs, {li['build_full']['chunks']} chunks",
        f"  retrieve (top_k=2)    {lat(li['retrieve'])}   (interleaved with ours)",
        f"  quality top_k=2       hit@2 {l2['hit']:.3f}   MRR@2 {l2['mrr']:.3f}",
        f"  quality top_k=5       hit@5 {l5['hit']:.3f}   MRR@5 {l5['mrr']:.3f}",
        "",
        f"hit rule: {r['hit_rule']}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.bench_core", description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    ap.add_argument("--n", type=int, default=200, help="timed asks/retrievals per measurement (default 200)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("--n must be at least 1")
    result = run(args.n)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
