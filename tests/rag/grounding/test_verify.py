"""The grounding judge: rejects swapped facts, flipped negation and added claims; accepts
faithful paraphrase and sub-spans. Uses the real bundled MiniLM model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.grounding.verify import (
    SUPPORT_THRESHOLD,
    is_supported,
    load_weights,
    support_score,
    support_scores,
)
from rag.grounding.verify_features import FEATURE_NAMES, normalise

FEVER_DEV = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "fever_symmetric" / "dev.jsonl"

LICENCE = "The one-year licence can be renewed online at any post office."
BRIDGE = "The bridge opened to traffic on 12 March 1932."
FILM = "The film was directed by James Cameron and released in 1997."
LAB = "Dr. Sarah Lindqvist leads the genetics laboratory at Uppsala University."
COUNCIL = "The council approved the new budget in May."
COMPANY = "The company was founded in Berlin in 1998."
TOWER = "The Eiffel Tower was completed in 1889 and stands 330 metres tall."
MUSEUM = "The museum is open from Tuesday to Sunday, and admission is free for children under twelve."
FAST = "Patients must fast for eight hours before the procedure."
FESTIVAL = "In 2019 the festival moved from Leeds to Manchester after a dispute over funding."


def _rejected(premise: str, hypothesis: str) -> None:
    score = support_score(premise, hypothesis)
    assert score < SUPPORT_THRESHOLD, (hypothesis, score)
    assert not is_supported(premise, hypothesis)


def _accepted(premise: str, hypothesis: str) -> None:
    score = support_score(premise, hypothesis)
    assert score >= SUPPORT_THRESHOLD, (hypothesis, score)
    assert is_supported(premise, hypothesis)


@pytest.mark.parametrize(
    ("premise", "hypothesis"),
    [
        (LICENCE, "Licences last three months."),
        (TOWER, "The Eiffel Tower stands 300 metres tall."),
        (FAST, "Patients must fast for twelve hours before the procedure."),
    ],
)
def test_number_swap_rejected(premise: str, hypothesis: str) -> None:
    _rejected(premise, hypothesis)


@pytest.mark.parametrize(
    "hypothesis",
    [
        "The bridge opened on 14 March 1932.",
        "The bridge opened in June 1932.",
        "The bridge opened to traffic in 1936.",
    ],
)
def test_date_swap_rejected(hypothesis: str) -> None:
    _rejected(BRIDGE, hypothesis)


@pytest.mark.parametrize(
    ("premise", "hypothesis"),
    [
        (FILM, "The film was directed by Steven Spielberg."),
        (LAB, "Dr. Sarah Lindqvist leads the genetics laboratory at Lund University."),
        (LAB, "Dr. Anna Berg leads the genetics laboratory at Uppsala University."),
    ],
)
def test_entity_swap_rejected(premise: str, hypothesis: str) -> None:
    _rejected(premise, hypothesis)


@pytest.mark.parametrize(
    ("premise", "hypothesis"),
    [
        (COUNCIL, "The council did not approve the new budget."),
        (COUNCIL, "The council refused to approve the new budget."),
        (COUNCIL, "The council never approved the new budget."),
        (FAST, "Patients do not need to fast before the procedure."),
        ("The river flows north into the Baltic Sea.", "The river flows south into the Baltic Sea."),
    ],
)
def test_negation_flip_rejected(premise: str, hypothesis: str) -> None:
    _rejected(premise, hypothesis)


@pytest.mark.parametrize(
    ("premise", "hypothesis"),
    [
        (COMPANY, "The company was founded in Berlin by two former bankers."),
        (TOWER, "The Eiffel Tower was completed in 1889 and was designed as a radio antenna."),
        (FAST, "Patients must fast for eight hours before the procedure and avoid caffeine for a week."),
    ],
)
def test_added_unsupported_clause_rejected(premise: str, hypothesis: str) -> None:
    _rejected(premise, hypothesis)


@pytest.mark.parametrize(
    ("premise", "hypothesis"),
    [
        (MUSEUM, "Children under twelve can enter the museum for free."),
        (FAST, "Before the procedure, patients have to fast for eight hours."),
        (FESTIVAL, "The festival relocated from Leeds to Manchester in 2019."),
        (BRIDGE, "On 12 March 1932 the bridge was opened to traffic."),
    ],
)
def test_faithful_paraphrase_accepted(premise: str, hypothesis: str) -> None:
    _accepted(premise, hypothesis)


@pytest.mark.parametrize(
    ("premise", "hypothesis"),
    [
        (MUSEUM, "The museum is open from Tuesday to Sunday."),
        (MUSEUM, "Admission is free for children under twelve."),
        (TOWER, "The Eiffel Tower was completed in 1889."),
        (LAB, "Sarah Lindqvist leads the genetics laboratory."),
        (COUNCIL, "The council approved the new budget."),
    ],
)
def test_sub_span_accepted(premise: str, hypothesis: str) -> None:
    _accepted(premise, hypothesis)


def test_scores_are_probabilities_and_batch_matches_single() -> None:
    pairs = [
        (BRIDGE, "The bridge opened on 12 March 1932."),
        (BRIDGE, "The bridge opened in June 1932."),
        (COUNCIL, "The council never approved the new budget."),
        (BRIDGE, BRIDGE),
        ("", "Anything at all."),
        (BRIDGE, "   "),
        ("-LRB- PTB -RRB- `` tokens '' survive .", "Tokens survive ."),
    ]
    scores = support_scores(pairs)
    assert len(scores) == len(pairs)
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert scores[4] == 0.0 and scores[5] == 1.0
    single = [support_score(p, h) for p, h in pairs]
    assert np.allclose(scores, single, atol=1e-5)
    assert support_scores([]) == []


def test_weights_match_features_and_threshold_is_fixed() -> None:
    weights = load_weights()
    assert weights.feature_names == FEATURE_NAMES
    assert len(weights.coef) == len(weights.mean) == len(weights.scale) == len(FEATURE_NAMES)
    assert SUPPORT_THRESHOLD == 0.5


def test_ptb_normalisation() -> None:
    assert normalise("born -LRB- 1980 -RRB- `` Hi '' Noël") == 'born ( 1980 ) " Hi " Noel'


def test_import_does_not_load_torch() -> None:
    code = "import sys, rag.grounding.verify; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
@pytest.mark.skipif(not FEVER_DEV.is_file(), reason="FEVER-Symmetric dev file not present")
def test_fever_symmetric_in_sample_balanced_accuracy() -> None:
    from evals.fever_data import load_fever
    from evals.judge_fever import balanced_accuracy
    from rag.grounding.verify import feature_matrix

    data = load_fever(FEVER_DEV)
    probs = load_weights().predict(feature_matrix(data.pairs))
    bacc, rec_s, rec_r = balanced_accuracy(data.labels, (probs >= SUPPORT_THRESHOLD).astype(float))
    assert bacc >= 0.72, (bacc, rec_s, rec_r)
