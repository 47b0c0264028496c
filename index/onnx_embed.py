"""all-MiniLM-L6-v2 on ONNX Runtime + ``tokenizers``: the same model as sentence-transformers, without torch.

The ONNX graph is exported once from the bundled weights (``index.onnx_export``, fp32). Afterwards
queries and indexing load only onnxruntime (~0.2 s) and run mean pooling + L2 normalisation exactly
as sentence-transformers does (``max_seq_length`` 256), so vectors match the torch model to cosine
> 0.9999.

Why it is fast (figures: ``python -m evals.bench_embed``):

* The export uses BERT's *eager* attention. transformers' default SDPA attention exports as a graph
  with an ``IsNaN``/``Where`` mask clean-up per layer that ONNX Runtime cannot fuse (6-15 % more CPU
  time per text, more in bigger calls); the eager graph is the classic pattern that its built-in CPU
  fusions (``FusedMatMul``, ``BiasGelu``, ``LayerNormalization``) handle at session creation.
  onnxruntime's offline transformer optimizer (fused ``Attention``/``SkipLayerNormalization``/
  ``EmbedLayerNormalization``) was measured too: 5-10 % *more* CPU time per text on this model (its
  CPU Attention and SkipLayerNormalization kernels are slower than the unfused ops), and no faster
  session creation, so it is not used.
* Calls are small (``BATCH_TOKENS`` padded wordpieces, about 4 chunks): the activations stay in the
  core's cache, about 20 % less CPU time per text than batches of 32.
* Bulk work runs those calls data-parallel on one single-threaded session, one call per core, instead
  of splitting every operator across cores: no per-operator barriers and no spinning threads, so a
  busy, shared machine slows it down far less. A query's texts are one call on the caller's thread.

What is left is fp32 matrix products running at about the core's peak (~190 GFLOP/s per core
measured), so more speed would need lower precision (int8 was rejected as too lossy; ONNX Runtime has
no bf16 kernels on x86).
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from index.embed import TokenVectors, minilm_path
from index.onnx_export import MAX_SEQ_LENGTH, ensure_onnx_model
from index.warm import Warmable

__all__ = ["OnnxMiniLMEmbedder", "physical_cores", "main"]

BATCH_TOKENS = 640  # padded wordpieces per ONNX call: 4 chunks of 160, 20 sentences of 32, 213 words of 3
MAX_BATCH_TEXTS = 256  # most texts per ONNX call
_RECENT_TEXTS = 32  # texts of small `embed` calls whose token vectors are kept (see `__init__`)


def physical_cores() -> int:
    """Cores this process may use, one per physical core where psutil can tell (SMT siblings share units)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        import psutil

        return max(1, min(usable, psutil.cpu_count(logical=False) or usable))
    except ImportError:
        return max(1, usable)


class OnnxMiniLMEmbedder(Warmable):
    """all-MiniLM-L6-v2 (fp32 ONNX): length-sorted small calls, run one per core; mean pooling, L2 norm.

    ``name`` equals the torch embedder's on purpose: the vectors are the same model's (cosine
    > 0.9999), so an index built with either stays valid. A quantised variant would need its own name.
    ``threads``: calls run at once for bulk input (default: one per physical core).
    """

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(
        self,
        batch_tokens: int = BATCH_TOKENS,
        threads: int | None = None,
        model_dir: Path | None = None,
        max_batch_texts: int = MAX_BATCH_TEXTS,
    ) -> None:
        self.batch_tokens = batch_tokens
        self.max_batch_texts = max_batch_texts
        self.threads = threads
        self.model_dir = model_dir
        self._session: Any = None
        self._tokenizer: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._lock = threading.Lock()
        # The encodings and hidden states of the texts of the last few small ``embed`` calls: a question is
        # embedded for retrieval, then read piece by piece by the token matcher; this way it runs through
        # the model once. Kept raw, so a build's small calls pay a dict insertion, not the token vectors.
        self._recent: OrderedDict[str, tuple[Any, np.ndarray]] = OrderedDict()
        self._recent_lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        """The tokenizer and the (single-threaded) inference session, made on first use."""
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str((self.model_dir or minilm_path()) / "tokenizer.json"))
                tok.enable_truncation(MAX_SEQ_LENGTH)
                tok.no_padding()  # calls are padded here, to their longest text
                self._tokenizer = tok
            if self._session is None:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                opts.log_severity_level = 3
                # One thread per call: parallelism comes from running calls side by side (``_runner``),
                # so there is no intra-op thread pool whose threads spin or wait on each other.
                opts.intra_op_num_threads = 1
                opts.inter_op_num_threads = 1
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                path = ensure_onnx_model(self.model_dir or minilm_path())
                self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            return self._session, self._tokenizer

    def _runner(self) -> ThreadPoolExecutor | None:
        """Worker threads for bulk input (``None``: run on the caller's thread)."""
        workers = self.threads or physical_cores()
        if workers <= 1:
            return None
        with self._lock:
            # A forked child inherits the pool object but not its threads: it gets a pool of its own.
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="onnx-embed")
                self._pool_pid = os.getpid()
            return self._pool

    def _calls(self, lengths: Sequence[int], budget: int | None = None) -> list[list[int]]:
        """Text indices per ONNX call: sorted by length, each call at most ``budget`` (default
        ``batch_tokens``) wordpieces once padded."""
        budget = budget or self.batch_tokens
        order = sorted(range(len(lengths)), key=lengths.__getitem__)
        calls: list[list[int]] = []
        i = 0
        while i < len(order):
            j = i + 1  # ascending lengths: a call's padded size is its count times its last text's length
            while j < len(order) and j - i < self.max_batch_texts and (j + 1 - i) * lengths[order[j]] <= budget:
                j += 1
            calls.append(order[i:j])
            i = j
        return calls

    def _forward(
        self, texts: Sequence[str], spread: bool | None = None
    ) -> tuple[list[Any], list[tuple[list[int], np.ndarray, np.ndarray]]]:
        """Encodings of ``texts`` and, per ONNX call, its text indices, last hidden state and mask.

        ``spread``: cut even a small input into one call per core, for latency rather than throughput;
        ``None``: when the input would fit one call. A question is embedded with its key terms: in one
        call the terms are padded to the question's length and one core does it all (p50 26 ms on a slow
        2-core machine; spread: 10 ms, measured interleaved).
        """
        session, tok = self._load()
        encs = tok.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encs]
        if spread is None:
            spread = 1 < len(lengths) and sum(lengths) <= self.batch_tokens
        budget = None
        if spread:
            workers = self.threads or physical_cores()
            budget = max(max(lengths), -(-sum(lengths) // workers) + max(lengths))
        calls = self._calls(lengths, budget)

        def run(idx: list[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
            width = len(encs[idx[-1]].ids)  # sorted: the last is the longest
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, j in enumerate(idx):
                k = len(encs[j].ids)
                ids[row, :k] = encs[j].ids
                mask[row, :k] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            return idx, session.run(None, feeds)[0], mask

        pool = self._runner() if len(calls) > 1 else None
        return encs, list(pool.map(run, calls) if pool else map(run, calls))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` (any order). Texts are tokenised once, sorted by length and cut into calls of
        about ``batch_tokens`` padded wordpieces (a few chunks, or many short sentences and words)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encs, results = self._forward(texts)
        out = np.empty((len(encs), self.dim), dtype=np.float32)
        for idx, hidden, mask in results:
            out[idx] = _mean_pool_normalise(hidden, mask)
        if len(texts) <= _RECENT_TEXTS:  # a question and its terms, not a build's batch
            self._remember(texts, encs, results)
        return out

    def _remember(self, texts: Sequence[str], encs: list[Any], results: list[Any]) -> None:
        with self._recent_lock:
            for idx, hidden, _ in results:
                for row, j in enumerate(idx):
                    self._recent[texts[j]] = (encs[j], hidden[row])
                    self._recent.move_to_end(texts[j])
            while len(self._recent) > _RECENT_TEXTS:
                self._recent.popitem(last=False)

    def embed_tokens(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Per text: unit vectors of its word pieces in context (no [CLS]/[SEP]) and their character spans."""
        if not texts:
            return []
        with self._recent_lock:
            known = [self._recent.get(t) for t in texts]
        if all(k is not None for k in known):
            return [_token_vectors(*k) for k in known if k is not None]
        encs, results = self._forward(texts, spread=True)
        out: list[TokenVectors | None] = [None] * len(encs)
        for idx, hidden, _ in results:
            for row, j in enumerate(idx):
                out[j] = _token_vectors(encs[j], hidden[row])
        return [t for t in out if t is not None]


def _token_vectors(enc: Any, hidden: np.ndarray) -> TokenVectors:
    """One text's word-piece unit vectors (no [CLS]/[SEP]: special tokens have empty spans) and spans."""
    spans = enc.offsets
    keep = [i for i, (a, b) in enumerate(spans) if b > a]
    vecs = hidden[keep]
    vecs = vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
    return TokenVectors(vecs.astype(np.float32), tuple(spans[i] for i in keep))


def _mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' Pooling(mean) + Normalize: masked mean, then unit length."""
    m = mask[..., None].astype(np.float32)
    summed = (hidden * m).sum(axis=1)
    vecs = summed / np.clip(m.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.clip(norms, 1e-12, None)).astype(np.float32)


def main() -> int:
    """``python -m index.onnx_embed``: export the model if missing (idempotent) and print its path."""
    print(ensure_onnx_model(), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
