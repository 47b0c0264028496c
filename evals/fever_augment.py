"""Counterfactual pairs made from FEVER's SUPPORTS rows, one per kind of error the judge must catch.

A claim with an added clause, a flipped negation, a changed number or month, or a swapped name is no
longer supported by its evidence; a clause cut out of the evidence is. They teach the judge
(``evals.judge_fever``) the cases the 700-odd real pairs show too rarely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from evals.fever_data import FeverData
from index.lang import AUXILIARIES, MONTHS
from rag.grounding.verify_features import entity_runs, normalise

__all__ = ["AUG_WEIGHT", "Augmented", "augment", "aug_weights"]

AUG_WEIGHT = 0.5
"""Total weight of the synthetic pairs relative to the real ones (each class half of it)."""
# The verbs a negation is put after; the weights were fitted with exactly these (not "should", "may" ...).
_AUX = AUXILIARIES | {"can", "could", "will", "would"}


@dataclass(frozen=True)
class Augmented:
    """Synthetic pairs made from SUPPORTS rows; ``source`` is the row each came from."""

    pairs: list[tuple[str, str]]
    labels: np.ndarray
    source: np.ndarray
    kinds: list[str]


def _negate(claim: str) -> str | None:
    words = claim.split()
    for i, w in enumerate(words[1:], start=1):
        if w.lower() in ("not", "never"):
            return " ".join(words[:i] + words[i + 1 :])
        if w.lower() in _AUX:
            return " ".join(words[: i + 1] + ["not"] + words[i + 1 :])
    return None


def _swap_number(claim: str, rng: np.random.Generator) -> str | None:
    words = claim.split()
    spots = [i for i, w in enumerate(words) if w.isdigit() or w.lower() in MONTHS]
    if not spots:
        return None
    i = int(rng.choice(spots))
    if words[i].isdigit():
        value = int(words[i])
        words[i] = str(value + int(rng.choice([1, 2, 3, 5, 7])) * (1 if value < 1000 else -1))
    else:
        words[i] = str(rng.choice(sorted(set(MONTHS) - {words[i].lower()}))).capitalize()
    return " ".join(words)


def _swap_entity(claim: str, donors: list[str], rng: np.random.Generator) -> str | None:
    runs = entity_runs(claim.split())[1:]
    if not runs:
        return None
    run = runs[int(rng.integers(len(runs)))]
    new = donors[int(rng.integers(len(donors)))]
    return claim.replace(" ".join(run), new, 1) if " ".join(run) in claim else None


def _predicate(claim: str) -> str:
    """The claim minus a leading name: "Lost is a party ." -> "is a party"."""
    words = claim.rstrip(" .").split()
    runs = entity_runs(words)
    if runs and words[0] == runs[0][0] and len(words) > len(runs[0]) + 2:
        k = 0
        while k < len(words) and (words[k] in runs[0] or words[k] in ("of", "the", "'s")):
            k += 1
        words = words[k:]
    return " ".join(words)


def _clause(premise: str, rng: np.random.Generator) -> str | None:
    parts = [c.strip() for c in re.split(r" [,;(] | -- |\) ", normalise(premise))]
    parts = [c for c in parts if len(c.split()) >= 4]
    return parts[int(rng.integers(len(parts)))] + " ." if parts else None


def augment(data: FeverData, seed: int = 0) -> Augmented:
    """Counterfactuals of each SUPPORTS pair, one per category the judge must handle.

    Not supported: the claim with an added clause (another claim's predicate), with its
    negation flipped, with a number or month changed, with a non-subject name replaced.
    Supported: a clause cut out of the premise (a sub-span).
    """
    rng = np.random.default_rng(seed)
    claims = [h for _, h in data.pairs]
    donors = sorted({" ".join(r) for h in claims for r in entity_runs(h.split()) if len(r) > 1})
    # Added clauses use predicates without names: entity swaps have their own
    # counterfactuals, and added plain content is the hard case.
    plain = sorted({pred for pred in map(_predicate, claims) if not entity_runs(pred.split())})
    pairs: list[tuple[str, str]] = []
    labels: list[float] = []
    source: list[int] = []
    kinds: list[str] = []
    for i in np.flatnonzero(data.labels == 1).tolist():
        premise, claim = data.pairs[i]
        extra = plain[int(rng.integers(len(plain)))]
        candidates = {
            "clause": (claim.rstrip(" .") + " and " + extra + " .", 0.0),
            "negation": (_negate(claim), 0.0),
            "number": (_swap_number(claim, rng), 0.0),
            "entity": (_swap_entity(claim, donors, rng), 0.0),
            "subspan": (_clause(premise, rng), 1.0),
        }
        for kind, (hyp, label) in candidates.items():
            if hyp and hyp != claim and extra not in claim:
                pairs.append((premise, hyp))
                labels.append(label)
                source.append(i)
                kinds.append(kind)
    return Augmented(pairs, np.array(labels), np.array(source), kinds)


def aug_weights(labels: np.ndarray, n_real: int) -> np.ndarray:
    """Per-row weights: each synthetic class gets ``AUG_WEIGHT * n_real / 2`` in total."""
    w = np.zeros(len(labels))
    for cls in (0.0, 1.0):
        mask = labels == cls
        if mask.any():
            w[mask] = AUG_WEIGHT * n_real / 2 / mask.sum()
    return w
