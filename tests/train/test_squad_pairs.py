"""Training pairs from SQuAD 2.0: labels from answer offsets, split by article, look-alike negatives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from train.squad_pairs import load_squad, make_pairs, split_articles


def _file(tmp_path: Path) -> Path:
    ctx = "The mill opened in 1820. It closed after a fire in 1901. Workers then moved to the coast."
    other = "The coast had fishing villages. Boats left at dawn."
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": "Mill",
                "paragraphs": [
                    {
                        "context": ctx,
                        "qas": [
                            {"id": "a", "question": "When did the mill close?", "is_impossible": False,
                             "answers": [{"text": "1901", "answer_start": ctx.index("1901")}]},
                            {"id": "b", "question": "When did the mill reopen?", "is_impossible": True, "answers": []},
                        ],
                    },
                    {"context": other, "qas": [
                        {"id": "d", "question": "When do boats leave?", "is_impossible": False,
                         "answers": [{"text": "at dawn", "answer_start": other.index("at dawn")}]}]},
                ],
            },
            {"title": "Normans", "paragraphs": [{"context": "Normandy is in France.", "qas": [
                {"id": "c", "question": "Where is Normandy?", "is_impossible": False,
                 "answers": [{"text": "France", "answer_start": 15}]}]}]},
        ],
    }  # fmt: skip
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _embed(texts):
    rng = np.random.default_rng(len(texts))
    v = rng.standard_normal((len(texts), 8))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_labels_follow_the_answer_offsets_and_articles_split(tmp_path: Path) -> None:
    qs = load_squad(_file(tmp_path))
    by_id = {q.qid: q for q in qs}
    assert by_id["a"].gold == frozenset({1}) and len(by_id["a"].sentences) == 3
    assert by_id["b"].gold == frozenset()
    parts = split_articles(qs)
    assert [q.qid for q in parts["calibration"]] == ["c"] and {q.qid for q in parts["train"]} == {"a", "b", "d"}
    pairs = make_pairs(parts["train"], _embed, cross_negatives=1)
    a = [p for p in pairs if p.qid == "a"]
    assert sorted((p.sel, p.ans) for p in a) == [(0, -1), (0, -1), (0, 0), (1, 1)]  # + one look-alike
    b = [p for p in pairs if p.qid == "b"]
    assert all(p.sel == 0 and p.ans == 0 for p in b) and len(b) == 4
    assert all(p.sentence in by_id["d"].sentences for p in a if p.ans == 0)  # the look-alike is from elsewhere
