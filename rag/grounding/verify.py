"""Offline grounding judge: does a premise (a cited span) support a hypothesis (a claim)?

The judge is a small logistic regression over hand-engineered features (see
:mod:`rag.grounding.verify_features`): coverage of the hypothesis's content words by the premise
(light stemming), number and date agreement, named-entity coverage, negation parity,
antonyms, and MiniLM cosines (whole texts, and each missing hypothesis word against the
premise). Its weights were learned on FEVER-Symmetric dev by ``python -m
evals.judge_fever --refit`` and live in ``verify_weights.json`` next to this file.

Embeddings come only from :func:`index.embed.default_embedder`, imported lazily so that
``import rag.grounding.verify`` stays cheap. One call embeds every distinct text of the batch at
once; a single short pair takes about 10 ms on CPU once the model is loaded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.grounding.verify_features import FEATURE_NAMES, pair_features

__all__ = [
    "SUPPORT_THRESHOLD",
    "WEIGHTS_PATH",
    "JudgeWeights",
    "feature_matrix",
    "is_supported",
    "load_weights",
    "support_score",
    "support_scores",
]

SUPPORT_THRESHOLD = 0.5
"""A hypothesis counts as supported when its score is at least this (fixed, not tuned)."""

WEIGHTS_PATH = Path(__file__).with_name("verify_weights.json")
"""Where the learned weights live (written by ``python -m evals.judge_fever --refit``)."""


@dataclass(frozen=True)
class JudgeWeights:
    """Logistic-regression weights over standardised features."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Probabilities of support for a ``(n, n_features)`` feature matrix."""
        z = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        logits = z @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)

    def to_json(self) -> dict[str, object]:
        """The fields as plain JSON values."""
        return {
            "feature_names": list(self.feature_names),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> JudgeWeights:
        """Build from :meth:`to_json` output (extra keys such as metadata are ignored)."""

        def arr(key: str) -> np.ndarray:
            values = data[key]
            assert isinstance(values, list)
            return np.asarray(values, dtype=np.float64)

        names = data["feature_names"]
        intercept = data["intercept"]
        assert isinstance(names, list) and isinstance(intercept, (int, float))
        return cls(tuple(str(n) for n in names), arr("mean"), arr("scale"), arr("coef"), intercept)


@lru_cache(maxsize=1)
def load_weights(path: Path = WEIGHTS_PATH) -> JudgeWeights:
    """Read the learned weights; fails if their features differ from ``FEATURE_NAMES``."""
    weights = JudgeWeights.from_json(json.loads(path.read_text(encoding="utf-8")))
    if weights.feature_names != FEATURE_NAMES:
        raise ValueError(f"{path} was fitted on other features; rerun evals.judge_fever --refit")
    return weights


def feature_matrix(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Features of ``(premise, hypothesis)`` pairs, with all embeddings in one batch."""
    from index.embed import default_embedder

    return pair_features(pairs, default_embedder().embed)


def support_scores(pairs: Sequence[tuple[str, str]]) -> list[float]:
    """Support probability in [0, 1] for each ``(premise, hypothesis)`` pair.

    A blank premise supports nothing (0.0); a blank hypothesis claims nothing (1.0).
    """
    scores = [0.0 if not p.strip() else 1.0 for p, h in pairs]
    todo = [i for i, (p, h) in enumerate(pairs) if p.strip() and h.strip()]
    if todo:
        probs = load_weights().predict(feature_matrix([pairs[i] for i in todo]))
        for i, prob in zip(todo, probs, strict=True):
            scores[i] = min(1.0, max(0.0, float(prob))) if math.isfinite(prob) else 0.0
    return scores


def support_score(premise: str, hypothesis: str) -> float:
    """Probability in [0, 1] that ``premise`` supports ``hypothesis``."""
    return support_scores([(premise, hypothesis)])[0]


def is_supported(premise: str, hypothesis: str) -> bool:
    """Whether ``support_score(premise, hypothesis) >= SUPPORT_THRESHOLD``."""
    return support_score(premise, hypothesis) >= SUPPORT_THRESHOLD
