"""The cross-encoder for ONNX Runtime: the shipped adapter applied to the installed base weights, exported
once (``make install`` runs ``python -m rag.answer.export``; otherwise the first use does, ~15 s, the
only time torch is imported) and quantised to int8.

int8 (dynamic, per channel) is what makes the answer stage fit a question's time budget on a CPU:
about 2-3x faster than fp32 here. Unlike the embedder's vectors, which other indexes must match to
within a cosine of 0.9999, these are scores whose order and threshold matter; the export checks the
int8 model against the fp32 one on fixed pairs (``MAX_LOGIT_ERROR``) and keeps fp32 if it strays.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from index.onnx_export import export_once, onnx_cache_dir
from rag.errors import ModelMissingError

__all__ = [
    "ADAPTER",
    "VERIFIER",
    "adapter_path",
    "verifier_path",
    "ensure_cross_model",
    "export_cross_encoder",
    "MAX_LOGIT_ERROR",
]

ADAPTER = "adapter.safetensors"
VERIFIER = "verifier.safetensors"
EXPORT_FORMAT = "cross-int8-1"
MAX_LOGIT_ERROR = 0.35  # most a logit of the int8 model may differ from fp32 on the check pairs
_REBUILD = "run `make train` to rebuild it (or restore it with `git checkout rag/answer/model`)"
_CHECK = [
    ("How long are the licences valid?", "Currently, only three-month licences are available."),
    ("Who owns the company?", "The firm is owned by a Chinese group, Wingtech, which bought it in 2019."),
    ("When did the war end?", "The treaty was signed in the spring, and the troops went home in June."),
    ("What does the report say about prices?", "Advertisement"),
]


def adapter_path() -> Path:
    """The shipped adapter (trained layers + head)."""
    return Path(__file__).resolve().parent / "model" / ADAPTER


def verifier_path() -> Path:
    """The shipped answerability verifier (same form as the adapter: trained layers + head)."""
    return Path(__file__).resolve().parent / "model" / VERIFIER


def _key(adapter: Path) -> str:
    digest = hashlib.sha256(adapter.read_bytes()).hexdigest()
    return hashlib.sha1(f"{digest}:{EXPORT_FORMAT}".encode()).hexdigest()[:12]


def _check_adapter(adapter: Path) -> None:
    if not adapter.is_file():
        raise ModelMissingError(f"the answer model {adapter} is missing; {_REBUILD}")
    try:
        from safetensors import safe_open

        with safe_open(str(adapter), framework="numpy") as fh:
            if not any(k.startswith("head.") for k in fh.keys()):
                raise ValueError("no head in it")
    except ModelMissingError:
        raise
    except Exception as exc:  # truncated or not a safetensors file
        raise ModelMissingError(f"the answer model {adapter} is unreadable ({exc}); {_REBUILD}") from exc


def export_cross_encoder(adapter: Path, dest: Path) -> dict[str, Any]:
    """Export base + ``adapter`` to ``dest`` (int8 if it stays within ``MAX_LOGIT_ERROR`` of fp32)."""
    import warnings

    import numpy as np
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from rag.answer.model import load_adapter

    ce = load_adapter(adapter)

    class _Scores(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model, self.head = ce.model, ce.head

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            weights = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            pooled = (out.last_hidden_state * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return self.head(pooled)

    fp32 = dest.with_name(dest.stem + ".fp32.onnx")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Scores().eval(),
            dummy,
            str(fp32),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in (*names, "logits")},
            opset_version=17,
            dynamo=False,
        )
    int8 = dest.with_name(dest.stem + ".int8.onnx")
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    batch = ce.encode([q for q, _ in _CHECK], [s for _, s in _CHECK])
    feed = {n: batch[n].numpy().astype(np.int64) for n in names}
    want = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    got = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    error = float(np.abs(want - got).max())
    precision = "int8" if error <= MAX_LOGIT_ERROR else "fp32"
    os.replace(int8 if precision == "int8" else fp32, dest)
    for leftover in (fp32, int8):
        leftover.unlink(missing_ok=True)
    return {"precision": precision, "max_logit_error_int8": round(error, 4), "format": EXPORT_FORMAT}


def ensure_cross_model(adapter: Path | None = None) -> Path:
    """Path of the exported cross-encoder, exporting it first if missing (locked: concurrent callers export once).

    Raises ``ModelMissingError`` naming the command that rebuilds when the adapter is missing or damaged.
    """
    adapter = adapter or adapter_path()
    _check_adapter(adapter)
    target = onnx_cache_dir() / f"answerer-{_key(adapter)}" / "model.onnx"
    return export_once(target, lambda tmp: export_cross_encoder(adapter, tmp))


if __name__ == "__main__":
    for adapter in (adapter_path(), verifier_path()):
        if adapter == adapter_path() or adapter.is_file():
            path = ensure_cross_model(adapter)
            print(path, (path.parent / "export.json").read_text(encoding="utf-8"))
    from rag.answer.rank_export import ensure_rank_model  # its int8 copy for passage re-ranking

    path = ensure_rank_model()
    print(path, (path.parent / "export.json").read_text(encoding="utf-8"))
