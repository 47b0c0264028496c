"""The shipped cross-encoder through its ONNX export: the same scores as the torch model, and sensible ones."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answer.export import adapter_path
from rag.answer.scorer import CrossScorer

pytestmark = pytest.mark.skipif(not adapter_path().is_file(), reason="no trained adapter (run `make train`)")

QUESTION = "When did the factory close?"
SENTENCES = [
    "The factory was opened by the Ross family in 1888 and employed 300 people.",
    "It closed in 1954, after a fire destroyed the main hall.",
    "Today the site is a park with a small museum.",
]


@pytest.fixture(scope="module")
def scorer() -> CrossScorer:
    return CrossScorer()


def test_the_answering_sentence_scores_highest(scorer: CrossScorer) -> None:
    got = scorer.score(QUESTION, SENTENCES)
    assert int(np.argmax(got.sel)) == 1 and got.sel.shape == (3,) and got.ans.shape == (3,)
    assert scorer.score(QUESTION, []).sel.shape == (0,)


def test_onnx_scores_match_the_torch_model(scorer: CrossScorer) -> None:
    from rag.answer.model import load_adapter, score

    want = score(load_adapter(adapter_path()), [QUESTION] * 3, SENTENCES)
    got = scorer.score(QUESTION, SENTENCES)
    prob = 1 / (1 + np.exp(-want))
    assert np.allclose(got.sel, prob[:, 0], atol=0.03) and np.allclose(got.ans, prob[:, 1], atol=0.03)


def test_order_of_the_sentences_does_not_change_their_scores(scorer: CrossScorer) -> None:
    a = scorer.score(QUESTION, SENTENCES)
    b = scorer.score(QUESTION, SENTENCES[::-1])
    assert np.allclose(a.sel, b.sel[::-1], atol=1e-5)
