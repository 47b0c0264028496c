"""Exporting all-MiniLM-L6-v2 to ONNX once, into a cache folder keyed by the weights and the recipe.

``make install`` runs ``python -m index.onnx_embed``; otherwise the first use exports it (about 10 s,
the only time torch is imported on the way to an answer). The graph is fp32 with BERT's *eager*
attention (see ``index.onnx_embed`` for why). ``export_once`` is shared with the answer model's
exports (``rag.answer.export``, ``rag.answer.rank_export``): locked, and the file moved in place last.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.embed import minilm_path

__all__ = ["MAX_SEQ_LENGTH", "EXPORT_FORMAT", "onnx_cache_dir", "ensure_onnx_model", "export_onnx", "export_once"]

MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of the bundled model
EXPORT_FORMAT = "eager-attention-1"  # part of the cache key: a changed export gets a new file
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_cache_dir() -> Path:
    """Where exported models live: ``$RAG_ONNX_CACHE``, else ``$XDG_CACHE_HOME/rag-grounded`` (``~/.cache``)."""
    env = os.environ.get("RAG_ONNX_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-grounded"


def _weights_key(model_dir: Path) -> str:
    """Cheap fingerprint of the bundled weights (path, size, mtime) and of the export recipe."""
    st = (model_dir / "model.safetensors").stat()
    raw = f"{model_dir.resolve()}:{st.st_size}:{st.st_mtime_ns}:{EXPORT_FORMAT}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def _model_file(model_dir: Path) -> Path:
    return onnx_cache_dir() / f"all-MiniLM-L6-v2-{_weights_key(model_dir)}" / "model.onnx"


def export_onnx(model_dir: Path, dest: Path) -> None:
    """Export the transformer of ``model_dir`` to ``dest`` (dynamic batch and sequence axes; needs torch)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # Eager attention: the same arithmetic as SDPA, exported as plain MatMul/Softmax that ONNX Runtime fuses.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
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


def export_once(target: Path, make: Callable[[Path], dict[str, Any]]) -> Path:
    """``target``, made by ``make(tmp) -> info`` first if missing; locked, so concurrent callers export once.

    ``info`` goes to ``export.json`` beside it; the model file is moved in place last, so its presence
    means the export finished.
    """
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / "export.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            tmp = target.with_name(f"model.tmp{os.getpid()}.onnx")
            try:
                info = make(tmp)
                (target.parent / "export.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
    return target


def ensure_onnx_model(model_dir: Path | None = None) -> Path:
    """Path of the exported model, exporting it first if missing."""
    model_dir = model_dir or minilm_path()

    def make(tmp: Path) -> dict[str, Any]:
        export_onnx(model_dir, tmp)
        return {
            "source": str(model_dir),
            "max_seq_length": MAX_SEQ_LENGTH,
            "precision": "fp32",
            "format": EXPORT_FORMAT,
        }

    return export_once(_model_file(model_dir), make)
