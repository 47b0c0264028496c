"""The learned answerer's decision constants, fitted on held-out SQuAD articles by ``make train``.

``answerer.json`` (beside the adapter) holds:

* ``rank``: logistic-regression weights turning a candidate's bi-encoder cosine and the cross-encoder's
  selection logit into P(this sentence holds the answer). The two disagree usefully: the cosine knows
  paraphrase (MiniLM was trained on a billion sentence pairs), the cross-encoder knows which sentence
  of a topic answers the question (SQuAD).
* ``answerable``: the verifier's probability below which the answerer abstains, and ``second_odds``:
  how many times less likely (in odds) than the best a second sentence may be. Relative, not a
  probability: the cosine's scale differs between domains (news scores lower than Wikipedia), so the
  ranking probabilities do too, while their order and ratios travel.

Both are fitted through the whole pipeline on the calibration articles (``train.squad_pairs.CALIBRATION``),
never on the test articles the model card reports nor on any question about the seeds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelMissingError

__all__ = ["CALIBRATION_FILE", "Calibration", "load_calibration", "logit"]

CALIBRATION_FILE = Path(__file__).resolve().parent / "model" / "answerer.json"
_REBUILD = "run `make train` to rebuild it (or restore it with `git checkout rag/answer/model`)"


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), clipped so 0 and 1 stay finite."""
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


@dataclass(frozen=True)
class Calibration:
    """Ranking weights and thresholds of the learned answerer (see the module docstring)."""

    w_cosine: float
    w_select: float
    bias: float
    answerable: float  # verifier P(answers) below this: abstain
    second_odds: float  # a second sentence may be at most this many times less likely (odds) than the best
    top: int = 12  # candidates the cross-encoder reads, after a cosine pre-rank (its cost is per pair)

    def rank(self, cosine: np.ndarray, select: np.ndarray) -> np.ndarray:
        """P(holds the answer) of each candidate from its cosine and selection probability."""
        z = self.w_cosine * np.asarray(cosine, dtype=np.float64) + self.w_select * logit(select) + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def close_second(self, best: float, other: float) -> bool:
        """Whether a sentence of ranking probability ``other`` is close enough to the best to be cited too."""
        gap = float(logit(np.asarray(best)) - logit(np.asarray(other)))
        return gap <= math.log(self.second_odds)


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    """Read ``answerer.json``; a missing or damaged file raises ``ModelMissingError`` naming the fix."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        r, t = raw["rank"], raw["thresholds"]
        cal = Calibration(
            float(r["cosine"]), float(r["select"]), float(r["bias"]), float(t["answerable"]), float(t["second_odds"])
        )
    except FileNotFoundError as exc:
        raise ModelMissingError(f"the answerer's calibration {path} is missing; {_REBUILD}") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelMissingError(f"the answerer's calibration {path} is unreadable ({exc}); {_REBUILD}") from exc
    if not all(math.isfinite(v) for v in (cal.w_cosine, cal.w_select, cal.bias, cal.answerable, cal.second_odds)):
        raise ModelMissingError(f"the answerer's calibration {path} holds a non-finite number; {_REBUILD}")
    return cal
