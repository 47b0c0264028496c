"""FEVER-Symmetric dev, the grounding judge's labelled data: (evidence, claim) pairs grouped by claim."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DEV_PATH", "FeverData", "load_fever"]

# shared/ sits beside the checkout (CI clones next to it).
DEV_PATH = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "fever_symmetric" / "dev.jsonl"


@dataclass(frozen=True)
class FeverData:
    """Pairs, labels (1 = SUPPORTS) and claim groups of the FEVER-Symmetric file."""

    pairs: list[tuple[str, str]]
    labels: np.ndarray
    groups: np.ndarray


def load_fever(path: Path = DEV_PATH) -> FeverData:
    """Read the JSONL file: premise = ``evidence``, hypothesis = ``claim``."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    claim_ids: dict[str, int] = {}
    groups = [claim_ids.setdefault(r["claim"], len(claim_ids)) for r in rows]
    return FeverData(
        pairs=[(r["evidence"], r["claim"]) for r in rows],
        labels=np.array([r["gold_label"] == "SUPPORTS" for r in rows], dtype=np.float64),
        groups=np.array(groups),
    )
