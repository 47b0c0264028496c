"""``rag eval --judge``: the grounding judge (:mod:`rag.grounding.verify`) scored on FEVER-Symmetric dev."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from evals.inputs import FEVER_DEV, EvalInputError, check_thresholds, load_thresholds, rel
from evals.metrics import balanced_accuracy

__all__ = ["judge_on_fever", "run_judge"]


def judge_on_fever(path: Path = FEVER_DEV, cv: bool = False, progress: bool = True) -> dict[str, Any]:
    """Balanced accuracy and per-class recall of the judge (:mod:`rag.grounding.verify`) on FEVER-Symmetric dev.

    Premise = ``evidence``, hypothesis = ``claim`` (read by :func:`evals.fever_data.load_fever`).
    Scores are ``rag.grounding.verify.support_scores``'s: the shipped weights over ``feature_matrix``, computed
    once in batches. Those weights were fitted on this same file, so that figure is in-sample;
    ``cv=True`` adds the grouped 5-fold cross-validated figure of :mod:`evals.judge_fever`.
    """
    if not path.is_file():
        raise EvalInputError(f"FEVER-Symmetric dev file not found at {path}; the judge evaluation needs it")
    import numpy as np
    from tqdm import tqdm

    from evals.fever_data import load_fever
    from rag.grounding.verify import SUPPORT_THRESHOLD, feature_matrix, load_weights, support_scores

    t0 = time.perf_counter()
    data = load_fever(path)
    gold = [bool(v) for v in data.labels]
    parts = []
    batch = 64
    with tqdm(total=len(data.pairs), desc="judge on FEVER", unit="pair", file=sys.stderr, disable=not progress) as bar:
        for i in range(0, len(data.pairs), batch):
            parts.append(feature_matrix(data.pairs[i : i + batch]))
            bar.update(len(parts[-1]))
    x = np.vstack(parts)
    scores = np.clip(load_weights().predict(x), 0.0, 1.0)
    # the same numbers as the public API (spot-checked so this never drifts from support_scores)
    probe = [0, len(gold) // 2, len(gold) - 1]
    if not np.allclose(support_scores([data.pairs[i] for i in probe]), scores[probe], atol=1e-6):
        raise RuntimeError("rag.grounding.verify.support_scores disagrees with its own feature_matrix/load_weights")
    bacc, rec_s, rec_r = balanced_accuracy(gold, [bool(s >= SUPPORT_THRESHOLD) for s in scores])
    out: dict[str, Any] = {
        "dataset": rel(path),
        "pairs": len(gold),
        "threshold": SUPPORT_THRESHOLD,
        "judge_balanced_accuracy": round(bacc, 4),
        "recall_supports": round(rec_s, 4),
        "recall_refutes": round(rec_r, 4),
        "note": "shipped weights, fitted on this file (in-sample)",
    }
    if cv:
        out.update(_judge_cv(data, x))
    out["runtime_s"] = round(time.perf_counter() - t0, 2)
    return out


def _judge_cv(data: Any, x: Any) -> dict[str, Any]:
    """Grouped 5-fold CV (seed 0) through :mod:`evals.judge_fever`'s own fitting code."""
    from evals.fever_augment import augment
    from evals.judge_fever import cross_validate
    from rag.grounding.verify import SUPPORT_THRESHOLD, feature_matrix

    aug = augment(data)
    probs = cross_validate(x, data.labels, data.groups, feature_matrix(aug.pairs), aug, 0)
    gold = [bool(v) for v in data.labels]
    bacc, rec_s, rec_r = balanced_accuracy(gold, [bool(p >= SUPPORT_THRESHOLD) for p in probs])
    return {
        "judge_balanced_accuracy_cv": round(float(bacc), 4),
        "recall_supports_cv": round(float(rec_s), 4),
        "recall_refutes_cv": round(float(rec_r), 4),
        "note_cv": "grouped 5-fold cross-validation by claim, fold seed 0 (weights refitted per fold)",
    }


def run_judge(args: argparse.Namespace) -> int:
    """``rag eval --judge``: exit 0 when the judge's floor holds, 1 when it fails."""
    thresholds = load_thresholds(args.thresholds)
    result = judge_on_fever(args.fever, cv=args.cv, progress=not args.quiet)
    failures = check_thresholds(result, thresholds)
    result["gate"] = {"passed": not failures, "failures": failures}
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "judge.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"judge on {result['dataset']} ({result['pairs']} pairs, threshold {result['threshold']})")
        print(
            f"  shipped weights (in-sample): balanced accuracy {result['judge_balanced_accuracy']:.3f}   "
            f"recall SUPPORTS {result['recall_supports']:.3f}   REFUTES {result['recall_refutes']:.3f}"
        )
        if "judge_balanced_accuracy_cv" in result:
            print(
                f"  grouped 5-fold CV:           balanced accuracy {result['judge_balanced_accuracy_cv']:.3f}   "
                f"recall SUPPORTS {result['recall_supports_cv']:.3f}   REFUTES {result['recall_refutes_cv']:.3f}"
            )
        print("gate: PASS" if not failures else "gate: FAIL\n" + "\n".join(f"  {f}" for f in failures))
    return 0 if not failures else 1
