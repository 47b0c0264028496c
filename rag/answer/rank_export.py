"""An int8 copy of the exported ranker for passage re-ranking, where only the order of the scores is used.

The answer stage keeps the fp32 export when int8 moves a logit by more than ``MAX_LOGIT_ERROR``
(``rag.answer.export``): its thresholds read the values. Re-ranking (``rag.retrieval.rerank``) only
sorts passages by a calibrated mix of cosine and selection logit and keeps the top ``k``, and it runs
on every question: int8 (dynamic, per channel) halves its time on a CPU (45 vs 90 ms for ~5 pairs on
2 cores, measured). So the int8 copy is made from the fp32 export (no torch: ONNX Runtime's quantiser)
and kept only if it picks the same best sentence as fp32 in every group of ``_GROUPS``; otherwise the
fp32 export is used as it is. Retrieval quality with it is measured by ``rag bench`` (hit@5).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from index.onnx_export import export_once, onnx_cache_dir
from rag.answer.export import adapter_path, ensure_cross_model

__all__ = ["ensure_rank_model", "quantise_for_ranking"]

RANK_FORMAT = "rank-int8-1"
# Generic questions, each with one sentence that answers among ones on its topic (not from any
# project document or question file): the order the re-ranker depends on.
_GROUPS = [
    (
        "When did the factory close?",
        [
            "The factory was opened by the Ross family in 1888 and employed 300 people.",
            "It closed in 1954, after a fire destroyed the main hall.",
            "Today the site is a park with a small museum.",
        ],
    ),
    (
        "Who designed the bridge?",
        [
            "The bridge carries four lanes of traffic across the estuary.",
            "Its engineer, Maria Olsen, also built the harbour wall.",
            "Work began in 1962 and took six years.",
            "Tolls were abolished in 2008.",
        ],
    ),
    (
        "Why did the council raise parking fees?",
        [
            "Parking fees in the centre rose by a third last spring.",
            "The council said the extra money would pay for repairs to the bus station.",
            "Shop owners complained that fewer people came into town.",
        ],
    ),
    (
        "How many people live in the valley?",
        [
            "The valley is known for its orchards and its cheese.",
            "About 12,000 people live there, most of them in three villages.",
            "A railway line reached it in 1871.",
        ],
    ),
]


def _best(model: Path) -> tuple[list[int], list[Any]]:
    """Per group of ``_GROUPS``: the index of the sentence ``model`` ranks first, and the selection logits."""
    from rag.answer.calibration import logit
    from rag.answer.scorer import CrossScorer

    scorer = CrossScorer(model=model)
    logits = [logit(scorer.score(question, sentences).sel) for question, sentences in _GROUPS]
    return [int(np.argmax(x)) for x in logits], logits


def quantise_for_ranking(fp32: Path, dest: Path) -> dict[str, Any]:
    """Write to ``dest`` the int8 copy of ``fp32`` if it orders ``_GROUPS`` as fp32 does, else ``fp32`` itself."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = dest.with_name(dest.stem + ".int8.onnx")
    logging.disable(logging.WARNING)  # the quantiser's advice to pre-process, on the root logger
    try:
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        want, want_logits = _best(fp32)
        got, got_logits = _best(int8)
        error = max(float(np.abs(a - b).max()) for a, b in zip(want_logits, got_logits))
        precision = "int8" if got == want else "fp32"
        if precision == "int8":
            os.replace(int8, dest)
        else:
            shutil.copyfile(fp32, dest)
    finally:
        logging.disable(logging.NOTSET)
        int8.unlink(missing_ok=True)
    return {
        "precision": precision,
        "same_best_sentence": got == want,
        "max_sel_logit_error": round(error, 4),
        "format": RANK_FORMAT,
    }


def ensure_rank_model(adapter: Path | None = None) -> Path:
    """Path of the model passage re-ranking runs: the cross-encoder's export itself when that is already
    int8, else its int8 copy (made once, locked, from the fp32 export)."""
    cross = ensure_cross_model(adapter or adapter_path())
    try:
        precision = json.loads((cross.parent / "export.json").read_text(encoding="utf-8")).get("precision")
    except (OSError, ValueError):  # no record of the export: make the copy, which checks itself
        precision = None
    if precision == "int8":
        return cross
    # Its own folder (``export_once`` writes ``export.json`` beside the model it makes), named by the
    # export it copies and by this format.
    key = cross.parent.name.removeprefix("answerer-")
    target = onnx_cache_dir() / f"ranker-{key}-{RANK_FORMAT}" / "model.onnx"
    return export_once(target, lambda tmp: quantise_for_ranking(cross, tmp))
