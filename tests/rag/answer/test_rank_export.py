"""The re-ranker's int8 copy of the ranker: made from the fp32 export, kept only when it orders as fp32 does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import rag.answer.rank_export as rank_export
from rag.answer.export import adapter_path, ensure_cross_model
from rag.answer.scorer import CrossScorer, passage_ranker

pytestmark = pytest.mark.skipif(not adapter_path().is_file(), reason="no trained adapter (run `make train`)")

QUESTION = "How old was the painter when she died?"
SENTENCES = [
    "The painter grew up in a fishing village and studied in Paris.",
    "She died in 1931 at the age of 74.",
    "Her work hangs in the national gallery.",
]


def test_the_rank_model_orders_as_the_answer_model_does() -> None:
    fast = passage_ranker().score(QUESTION, SENTENCES).sel
    exact = CrossScorer().score(QUESTION, SENTENCES).sel
    assert int(np.argmax(fast)) == int(np.argmax(exact)) == 1
    path = rank_export.ensure_rank_model()
    info = json.loads((path.parent / "export.json").read_text(encoding="utf-8"))
    assert info["precision"] in ("int8", "fp32") and info["same_best_sentence"] == (info["precision"] == "int8")


def test_a_copy_that_orders_differently_falls_back_to_fp32(tmp_path: Path, monkeypatch) -> None:
    fp32 = ensure_cross_model()
    calls = iter([([0, 1, 2, 0], [np.zeros(3)]), ([0, 1, 0, 0], [np.ones(3)])])  # fp32's picks, then int8's
    monkeypatch.setattr(rank_export, "_best", lambda model: next(calls))
    info = rank_export.quantise_for_ranking(fp32, tmp_path / "model.onnx")
    assert info["precision"] == "fp32" and not info["same_best_sentence"] and info["max_sel_logit_error"] == 1.0
    assert (tmp_path / "model.onnx").read_bytes() == fp32.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no int8 leftover
