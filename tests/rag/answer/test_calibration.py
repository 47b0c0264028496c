"""The learned answerer's calibration file: read strictly, and a damaged one names the command that rebuilds it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.answer.calibration import CALIBRATION_FILE, Calibration, load_calibration
from rag.errors import ModelMissingError
from train.calibrate import figures_at, fit_rank, fit_threshold, write


def test_the_shipped_calibration_loads() -> None:
    cal = load_calibration(CALIBRATION_FILE)
    assert cal.w_cosine > 0 and cal.w_select > 0  # both signals count towards "holds the answer"
    assert 0.0 <= cal.answerable <= 1.0 and cal.second_odds >= 1.0


@pytest.mark.parametrize("text", [None, "", "{", '{"rank": {}}', '{"rank": {"cosine": "x"}}'])
def test_a_missing_or_damaged_file_names_make_train(tmp_path: Path, text: str | None) -> None:
    path = tmp_path / "answerer.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelMissingError, match="make train"):
        load_calibration(path)


def test_non_finite_numbers_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "answerer.json"
    body = {"rank": {"cosine": 1, "select": 1, "bias": 0}, "thresholds": {"answerable": "nan", "second_odds": 2}}
    path.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(ModelMissingError, match="non-finite"):
        load_calibration(path)


def test_rank_is_monotone_in_both_signals_and_the_second_rule_is_relative() -> None:
    cal = Calibration(3.0, 0.4, -3.0, 0.5, 2.0)
    p = cal.rank(np.array([0.2, 0.4, 0.4]), np.array([0.5, 0.5, 0.9]))
    assert p[0] < p[1] < p[2]
    assert cal.close_second(0.2, 0.12) and not cal.close_second(0.2, 0.05)  # odds 0.25 vs 0.136 / 0.053
    assert cal.close_second(0.8, 0.67) and not cal.close_second(0.8, 0.6)  # same ratio, another scale


def _rows(n: int, seed: int) -> list[dict]:
    # Synthetic pipeline rows: the answer sentence has the higher cosine and selection; unanswerable
    # questions' best candidates score lower overall.
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        impossible = i % 2 == 1
        cos = rng.uniform(0.1, 0.4, 4) + (0.0 if impossible else np.array([0.3, 0, 0, 0]))
        sel = rng.uniform(0.05, 0.3, 4) + (0.0 if impossible else np.array([0.6, 0, 0, 0]))
        rows.append({"question": f"q{i}", "impossible": impossible, "texts": [f"s{j}" for j in range(4)],
                     "heading": [False] * 4, "cosine": cos.tolist(), "select": sel.tolist(),
                     "holds": [not impossible and j == 0 for j in range(4)]})  # fmt: skip
    return rows


def test_fit_learns_from_rows_and_reports_on_others(tmp_path: Path) -> None:
    cal = fit_rank(_rows(200, 0))
    assert cal.w_cosine > 0 and cal.w_select > 0
    fitted, fig = fit_threshold(_rows(200, 1), cal, None)
    assert fig["top1_holds_answer"] == 1.0 and fig["answerability_auc"] > 0.9
    held = figures_at(_rows(200, 2), fitted, None)
    assert held["has_ans_at_threshold"] > 0.8 and held["no_ans_at_threshold"] > 0.8
    write(tmp_path / "answerer.json", fitted, fig, {"articles": ["x"]})
    again = load_calibration(tmp_path / "answerer.json")
    assert again == fitted


def test_a_missing_verifier_names_make_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.answer.export as export
    from rag.answer.answerers import LearnedAnswerer

    monkeypatch.setattr(export, "verifier_path", lambda: tmp_path / "verifier.safetensors")
    with pytest.raises(ModelMissingError, match="make train"):
        LearnedAnswerer().verifier().score("Who?", ["Nobody."])
