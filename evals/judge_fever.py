"""Score the grounding judge (:mod:`rag.grounding.verify`) on FEVER-Symmetric dev; optionally refit it.

Usage::

    python -m evals.judge_fever            # in-sample and grouped 5-fold CV figures
    python -m evals.judge_fever --refit    # also relearn and write rag/grounding/verify_weights.json
    python -m evals.judge_fever --errors 20

Premise = ``evidence``, hypothesis = ``claim``. The dev file is the only labelled data, so
the headline figure is cross-validated balanced accuracy with folds grouped by claim (the
two lines that share a claim always fall in the same fold); the in-sample figure of the
shipped weights is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.fever_augment import AUG_WEIGHT, Augmented, aug_weights, augment
from evals.fever_data import DEV_PATH, load_fever
from index.lang import JUDGE_STOPWORDS, light_stem
from rag.grounding.verify import (
    SUPPORT_THRESHOLD,
    WEIGHTS_PATH,
    JudgeWeights,
    feature_matrix,
    load_weights,
)
from rag.grounding.verify_features import FEATURE_NAMES, tokens

__all__ = [
    "balanced_accuracy",
    "cross_validate",
    "fit_logistic",
    "fit_with_augmentation",
    "grouped_folds",
    "main",
    "overlap_baseline",
]

L2 = 1.0
N_FOLDS = 5
CV_SEEDS = (0, 1, 2, 3, 4)


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    """(balanced accuracy, recall on SUPPORTS, recall on REFUTES) for 0/1 arrays."""
    pos = y == 1
    rec_s = float(np.mean(pred[pos] == 1))
    rec_r = float(np.mean(pred[~pos] == 0))
    return (rec_s + rec_r) / 2, rec_s, rec_r


def grouped_folds(groups: np.ndarray, k: int = N_FOLDS, seed: int = 0) -> np.ndarray:
    """Fold index per row; all rows of one group share a fold."""
    uniq = np.unique(groups)
    order = np.random.default_rng(seed).permutation(len(uniq))
    fold_of = dict(zip(uniq[order].tolist(), (np.arange(len(uniq)) % k).tolist(), strict=True))
    return np.array([fold_of[g] for g in groups.tolist()])


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, l2: float = L2) -> JudgeWeights:
    """Weighted, L2-penalised logistic regression on standardised features (Newton)."""
    sw = np.ones(len(y)) if weight is None else weight
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    penalty = np.diag(np.r_[np.full(x.shape[1], l2), 0.0])
    w = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (sw * (p - y)) + penalty @ w
        hess = (z * (sw * p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return JudgeWeights(FEATURE_NAMES, mean, scale, w[:-1], float(w[-1]))


def fit_with_augmentation(
    x: np.ndarray, y: np.ndarray, xa: np.ndarray, aug: Augmented, rows: np.ndarray
) -> JudgeWeights:
    """Fit on the real ``rows`` plus the synthetic pairs made from those rows only."""
    keep = np.isin(aug.source, rows)
    xs = np.vstack([x[rows], xa[keep]])
    ys = np.r_[y[rows], aug.labels[keep]]
    weight = np.r_[np.ones(len(rows)), aug_weights(aug.labels[keep], len(rows))]
    return fit_logistic(xs, ys, weight)


def cross_validate(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, xa: np.ndarray, aug: Augmented, seed: int
) -> np.ndarray:
    """Out-of-fold support probabilities from grouped k-fold CV (scored on real rows only)."""
    folds = grouped_folds(groups, seed=seed)
    out = np.zeros(len(y))
    for k in range(N_FOLDS):
        test = folds == k
        model = fit_with_augmentation(x, y, xa, aug, np.flatnonzero(~test))
        out[test] = model.predict(x[test])
    return out


def overlap_baseline(pairs: Sequence[tuple[str, str]], y: np.ndarray) -> tuple[float, float]:
    """Plain content-word overlap with its best threshold chosen in-sample: (bacc, thr)."""

    def content(text: str) -> set[str]:
        return {light_stem(w) for w in tokens(text) if w.lower() not in JUDGE_STOPWORDS}

    cov = np.array(
        [len(content(h) & content(p)) / max(len(content(h)), 1) for p, h in pairs],
    )
    best = max((balanced_accuracy(y, (cov >= t).astype(float))[0], t) for t in np.unique(cov))
    return best[0], float(best[1])


def _show(name: str, y: np.ndarray, probs: np.ndarray) -> None:
    bacc, rec_s, rec_r = balanced_accuracy(y, (probs >= SUPPORT_THRESHOLD).astype(float))
    print(f"{name:<40} bacc {bacc:.3f}   recall SUPPORTS {rec_s:.3f}   REFUTES {rec_r:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures; with ``--refit`` relearn the weights and write them first."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refit", action="store_true", help=f"relearn and write {WEIGHTS_PATH}")
    ap.add_argument("--data", type=Path, default=DEV_PATH, help="FEVER-Symmetric JSONL file")
    ap.add_argument("--errors", type=int, default=0, help="print this many CV errors")
    args = ap.parse_args(argv)

    data = load_fever(args.data)
    y = data.labels
    aug = augment(data)
    x = feature_matrix(data.pairs)
    xa = feature_matrix(aug.pairs)
    print(f"{len(y)} pairs, {len(np.unique(data.groups))} claims, {x.shape[1]} features")
    print(f"{len(aug.pairs)} synthetic pairs (weight {AUG_WEIGHT}) from the SUPPORTS rows")

    cv_probs = [cross_validate(x, y, data.groups, xa, aug, seed) for seed in CV_SEEDS]
    cv_baccs = [balanced_accuracy(y, (p >= SUPPORT_THRESHOLD).astype(float))[0] for p in cv_probs]
    if args.refit:
        weights = fit_with_augmentation(x, y, xa, aug, np.arange(len(y)))
        in_bacc = balanced_accuracy(y, (weights.predict(x) >= SUPPORT_THRESHOLD).astype(float))
        meta = {
            "trained_on": f"FEVER-Symmetric dev ({len(y)} pairs), premise=evidence",
            "l2": L2,
            "synthetic_pairs": len(aug.pairs),
            "synthetic_weight": AUG_WEIGHT,
            "threshold": SUPPORT_THRESHOLD,
            "cv_balanced_accuracy_seed0": round(cv_baccs[0], 4),
            "cv_balanced_accuracy_mean_5_seeds": round(float(np.mean(cv_baccs)), 4),
            "in_sample_balanced_accuracy": round(in_bacc[0], 4),
        }
        WEIGHTS_PATH.write_text(json.dumps({**weights.to_json(), **meta}, indent=2) + "\n")
        load_weights.cache_clear()
        print(f"wrote {WEIGHTS_PATH}")
    weights = load_weights()

    base, thr = overlap_baseline(data.pairs, y)
    print(f"{'baseline: content-word overlap >= ' + f'{thr:.2f}':<40} bacc {base:.3f} (in-sample)")
    _show("judge, grouped 5-fold CV (seed 0)", y, cv_probs[0])
    spread = f"{np.mean(cv_baccs):.3f} (min {min(cv_baccs):.3f}, max {max(cv_baccs):.3f})"
    print(f"{'judge, grouped 5-fold CV, 5 seeds':<40} bacc {spread}")
    _show("judge, in-sample (shipped weights)", y, weights.predict(x))
    pa = weights.predict(xa)
    for kind in sorted(set(aug.kinds)):
        mask = np.array([k == kind for k in aug.kinds])
        ok = np.mean((pa[mask] >= SUPPORT_THRESHOLD) == (aug.labels[mask] == 1))
        print(f"  synthetic {kind:<10} n={mask.sum():<4} correct {ok:.3f} (in-sample)")
    print("standardised weights:")
    for name, coef in zip(weights.feature_names, weights.coef, strict=True):
        print(f"  {name:<14} {coef:+.3f}")

    if args.errors:
        wrong = np.flatnonzero((cv_probs[0] >= SUPPORT_THRESHOLD) != (y == 1))
        for i in wrong[: args.errors]:
            premise, claim = data.pairs[i]
            gold = "SUPPORTS" if y[i] else "REFUTES"
            print(f"\n[{gold}, p={cv_probs[0][i]:.2f}] {claim}\n    evidence: {premise}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
