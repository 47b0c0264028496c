"""Cold start in fresh processes: the bench's in-Python first answer, and ``rag ask`` as a whole process.

``cold_first_answer`` times import + open + first answer inside a fresh interpreter, for ours and the
peer alike. ``cold_ask_cli`` times what a user waits for at a shell: the ``rag ask QUESTION`` console
script from exec to exit (interpreter start, imports, opening the index, the answer, printing), one
untimed run to warm the OS file cache and then the median of five.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from evals.bench_common import REPO, timed_run

__all__ = ["cold_ask_cli", "cold_first_answer"]

_COLD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
kind, home, corpus, q = sys.argv[1:5]
if kind == "ours":
    from rag import Assistant
    a = Assistant(home=home, docs=[corpus], root=corpus, progress=False)
    ans = a.ask(q)
    ok = not ans.abstained
else:
    import chromadb
    from chromadb.config import Settings
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore
    from index.embed import default_embedder
    from rag.retrieval.retrieve import as_llama_embedding
    col = chromadb.PersistentClient(path=home, settings=Settings(anonymized_telemetry=False)).get_collection("plain")
    index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=col),
                                               embed_model=as_llama_embedding(default_embedder()))
    ok = bool(index.as_retriever(similarity_top_k=2).retrieve(q))
t1 = time.perf_counter()
# VmHWM, not ru_maxrss: the latter carries the (big) parent's peak across fork + exec.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
rss = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"first_answer_s": round(t1 - t0, 3), "peak_rss_mb": round(rss, 1), "ok": ok}))
"""


def cold_first_answer(kind: str, home: Path, corpus: Path, question: str) -> dict[str, Any]:
    """Import, open and answer (``ours``) or retrieve (``peer``) once in a fresh interpreter: seconds and peak RSS."""
    env = dict(os.environ, RAG_PROGRESS="false", PYTHONPATH=str(REPO))
    took, out = timed_run(
        [sys.executable, "-c", _COLD, kind, str(home), str(corpus), question], env, f"cold start ({kind})"
    )
    got = dict(json.loads(out.strip().splitlines()[-1]))
    got["process_s"] = round(took, 3)  # interpreter start .. exit
    return got


def cold_ask_cli(home: Path, corpus: Path, question: str, runs: int = 5) -> dict[str, Any]:
    """Seconds from exec to exit of ``rag ask QUESTION`` (the installed console script, beside this
    interpreter) over the index at ``home``: median of ``runs``."""
    rag = Path(sys.executable).with_name("rag")
    if not rag.is_file():
        raise RuntimeError(f"no `rag` console script beside {sys.executable}; run `make install`")
    env = dict(os.environ, RAG_HOME=str(home), RAG_DOCS=json.dumps([str(corpus)]), RAG_ROOT=str(corpus))
    env.update(RAG_PROGRESS="false", PYTHONPATH=str(REPO))
    times = []
    for i in range(runs + 1):
        took, out = timed_run([str(rag), "ask", question], env, "rag ask")
        if not out.strip():
            raise RuntimeError("rag ask printed no answer")
        if i:  # the first run warms the OS file cache
            times.append(round(took, 3))
    return {"median_s": round(statistics.median(times), 3), "runs_s": times}
