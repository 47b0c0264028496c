"""Examples for the answerability verifier: (question, the best evidence the answerer would read) -> answers?

The verifier reads the question with the top ``EVIDENCE`` sentences the ranker puts first, as one text,
the way the assistant will at run time (sketch, then verify: Zhang et al., "Retrospective Reader",
2021). Labels come from SQuAD 2.0's paragraph-level ones:

* 1: an answerable question whose evidence holds a gold-answer sentence;
* 0: an unanswerable question (crowd-written to look answerable) with its best evidence, an answerable
  question whose evidence misses its answer, and an answerable question with evidence from the other
  paragraphs of its article only (the topic is right, the fact is not there: a retrieval near miss).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.verifier import EVIDENCE, evidence_text
from train.squad_pairs import Question, lookalikes

__all__ = ["VerifierExample", "make_examples"]

_LOOKALIKES = 4  # other paragraphs' sentences added to a question's pool (what retrieval would add)

# (question, sentences) -> one ranking score per sentence (higher: more likely the answer).
Rank = Callable[[str, Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class VerifierExample:
    """A training example, in the field names ``train.cross_encoder.train`` reads."""

    question: str
    sentence: str  # the evidence: the best sentences joined
    sel: int  # always -1: no selection label
    ans: int
    qid: str


def make_examples(
    questions: Sequence[Question], embed: Callable[[Sequence[str]], np.ndarray], rank: Rank, seed: int = 0
) -> list[VerifierExample]:
    """One example per question plus one near-miss example per answerable question (see the module doc)."""
    rng = random.Random(seed)
    out: list[VerifierExample] = []
    for q, others in zip(questions, lookalikes(questions, embed)):
        pool = list(q.sentences) + others[:_LOOKALIKES]
        scores = rank(q.question, pool)
        top = [int(i) for i in np.argsort(-scores)[:EVIDENCE]]
        holds = bool(q.gold) and any(i in q.gold for i in top)
        out.append(VerifierExample(q.question, evidence_text([pool[i] for i in top]), -1, int(holds), q.qid))
        if q.gold:
            away = others[: _LOOKALIKES + len(q.sentences)]
            away_scores = rank(q.question, away)
            best = [away[int(i)] for i in np.argsort(-away_scores)[:EVIDENCE]]
            out.append(VerifierExample(q.question, evidence_text(best), -1, 0, q.qid + "/away"))
    rng.shuffle(out)
    return out
