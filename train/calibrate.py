"""Fit the learned answerer's ranking weights and thresholds through the whole pipeline on held-out articles.

The calibration articles (``train.squad_pairs.CALIBRATION``, never trained on) are indexed as documents in
a temporary index and every question goes through retrieval and candidate scoring exactly as
``Assistant.ask`` does. On what comes back:

* ``rank``: a logistic regression of "this candidate holds a gold answer" on (cosine, selection logit),
  over the answerable questions' candidates;
* ``answerable``: the verifier threshold maximising balanced accuracy, where an answerable question
  counts only if the sentence it would answer with holds a gold answer, an unanswerable one if it
  abstains;
* ``second_odds``: 2, a second sentence is cited when its odds of holding the answer are at least half
  the best one's (a ratio, not a fitted number: see ``rag.answer.calibration``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.calibration import Calibration, logit
from rag.answer.learned import answerability, reading_order

__all__ = ["collect", "fit_rank", "fit_threshold", "figures_at", "write"]

SECOND_ODDS = 2.0


def collect(
    data: dict[str, Any], articles: Sequence[str], scorer: Any, top: int = 12, limit: int = 0
) -> list[dict[str, Any]]:
    """Each question of ``articles`` (the first ``limit``, if given) with its scored candidates."""
    from evals.squad import normalize_answer, write_corpus
    from rag import Assistant
    from rag.answer.learned import score_candidates

    out = []
    with tempfile.TemporaryDirectory(prefix="rag-calibrate-") as tmp:
        corpus = Path(tmp) / "squad"
        questions = write_corpus(data, corpus, articles)
        a = Assistant(home=Path(tmp) / "home", docs=[corpus], root=Path(tmp), progress=False)
        for q in questions[: limit or None]:
            text = " ".join(q["question"].split())
            e = a.evidence(text)  # exactly what ``ask`` hands the answer stage
            got = score_candidates(text, e.terms, e.qvec, e.candidates, scorer, top)
            gold = [normalize_answer(g) for g in q["answers"] if g.strip()] if not q["impossible"] else []
            out.append(
                {
                    "question": text,
                    "impossible": q["impossible"],
                    "texts": [s.text for s in got.sentences],
                    "heading": [bool(s.heading) for s in got.sentences],
                    "cosine": got.cosine.tolist(),
                    "select": got.select.tolist(),
                    "holds": [any(g in normalize_answer(s.text) for g in gold) for s in got.sentences],
                }
            )
    return out


def fit_rank(rows: Sequence[dict[str, Any]], top: int = 12) -> Calibration:
    """Ranking weights from ``rows`` (from ``collect``); thresholds left at 0 / ``SECOND_ODDS``."""
    from sklearn.linear_model import LogisticRegression

    answerable = [r for r in rows if not r["impossible"] and r["texts"]]
    x = np.concatenate([np.c_[r["cosine"], logit(np.asarray(r["select"]))] for r in answerable])
    y = np.concatenate([np.asarray(r["holds"], dtype=float) for r in answerable])
    lr = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    w_cos, w_sel = (float(v) for v in lr.coef_[0])
    return Calibration(w_cos, w_sel, float(lr.intercept_[0]), 0.0, SECOND_ODDS, top)


def _decisions(
    rows: Sequence[dict[str, Any]], cal: Calibration, verifier: Any | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: the answerability score, whether the sentence it would answer with is right, answerable."""
    picked_right, answers, labels = [], [], []
    for r in rows:
        if not r["texts"]:
            continue
        prob = cal.rank(np.asarray(r["cosine"]), np.asarray(r["select"]))
        order = reading_order(prob, r["heading"])  # the answerer's own decision, as ``select_learned`` takes it
        answers.append(answerability(r["question"], [r["texts"][i] for i in order], float(prob[order[0]]), verifier))
        picked_right.append(bool(r["holds"][order[0]]))
        labels.append(not r["impossible"])
    return np.asarray(answers), np.asarray(picked_right, dtype=bool), np.asarray(labels, dtype=bool)


def _rates(a: np.ndarray, ok: np.ndarray, lab: np.ndarray, t: float) -> tuple[float, float]:
    has = float(np.mean((a[lab] >= t) & ok[lab])) if lab.any() else 0.0
    return has, float(np.mean(a[~lab] < t)) if (~lab).any() else 0.0


def _figures(a: np.ndarray, ok: np.ndarray, lab: np.ndarray, t: float) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    has, no = _rates(a, ok, lab, t)
    return {
        "questions": len(lab),
        "answerable": int(lab.sum()),
        "top1_holds_answer": round(float(ok[lab].mean()), 4) if lab.any() else None,
        "answerability_auc": round(float(roc_auc_score(lab, a)), 4) if 0 < lab.sum() < len(lab) else None,
        "has_ans_at_threshold": round(has, 4),
        "no_ans_at_threshold": round(no, 4),
    }


def fit_threshold(
    rows: Sequence[dict[str, Any]], cal: Calibration, verifier: Any | None
) -> tuple[Calibration, dict[str, Any]]:
    """``cal`` with the answerability threshold fitted on ``rows`` (best balanced accuracy), and its figures."""
    a, ok, lab = _decisions(rows, cal, verifier)
    best = max(np.unique(np.r_[0.0, a]), key=lambda t: (sum(_rates(a, ok, lab, float(t))), -float(t)))
    fitted = Calibration(cal.w_cosine, cal.w_select, cal.bias, float(best), cal.second_odds, cal.top)
    return fitted, _figures(a, ok, lab, float(best))


def figures_at(rows: Sequence[dict[str, Any]], cal: Calibration, verifier: Any | None) -> dict[str, Any]:
    """The figures of ``cal`` as it stands on other ``rows`` (the test articles)."""
    a, ok, lab = _decisions(rows, cal, verifier)
    return _figures(a, ok, lab, cal.answerable)


def write(path: Path, cal: Calibration, figures: dict[str, Any], provenance: dict[str, Any]) -> None:
    """``answerer.json``: what ``rag.answer.calibration.load_calibration`` reads, with how it was made."""
    body = {
        "rank": {"cosine": cal.w_cosine, "select": cal.w_select, "bias": cal.bias},
        "thresholds": {"answerable": cal.answerable, "second_odds": cal.second_odds},
        "top": cal.top,
        "fitted_on": provenance,
        "figures_on_calibration_articles": figures,
    }
    path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
