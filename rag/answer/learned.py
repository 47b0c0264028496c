"""The learned extractive choice: the ranker reads the question with each candidate sentence and picks the
sentence(s) that answer; a verifier reads the question with that evidence and decides whether it answers
at all.

* Ranking: P(holds the answer) from the cross-encoder's selection logit and the bi-encoder cosine,
  weighted by a logistic regression fitted on held-out SQuAD articles (``rag.answer.calibration``).
* Answerability: the verifier's P(answers) for the question and its best ``EVIDENCE`` sentences
  (``rag.answer.verifier``), against a threshold fitted on the same held-out articles.

What stays rule-based is structure, not English: a question naming one speaker is answered from that
speaker's document, a heading question from the documents' headings, a comparison takes one sentence
per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.types import Sentence
from rag.answer.calibration import Calibration, load_calibration
from rag.answer.draft import Candidate, Draft
from rag.answer.extractive import QuestionTerms
from rag.answer.headings import asks_heading, pick_heading
from rag.answer.question import COMPARE
from rag.answer.scorer import CrossScorer
from rag.answer.verifier import EVIDENCE, evidence_text

__all__ = ["Scored", "score_candidates", "reading_order", "answerability", "select_learned"]


@dataclass(frozen=True)
class Scored:
    """The candidates the cross-encoder read, with their features (what calibration is fitted on)."""

    sentences: tuple[Sentence, ...]
    cosine: np.ndarray
    select: np.ndarray  # the cross-encoder's P(this sentence answers)
    passage_rank: tuple[int, ...]


def score_candidates(
    question: str,
    qterms: QuestionTerms,
    qvec: np.ndarray,
    candidates: Sequence[tuple[Sentence, np.ndarray, int]],
    scorer: CrossScorer,
    top: int,
) -> Scored:
    """The ``top`` candidates by cosine (of the named speaker's document, if one is named), cross-scored."""
    pool = list(candidates)
    if len(qterms.attributed) == 1 and not COMPARE.search(question):
        pool = [c for c in pool if c[0].doc_id in qterms.attributed] or pool
    cos = np.asarray([float(v @ qvec) for _, v, _ in pool])
    order = [int(i) for i in np.argsort(-cos, kind="stable")[:top]]
    sents = tuple(pool[i][0] for i in order)
    sel = scorer.score(question, [s.text for s in sents]).sel if sents else np.zeros(0)
    return Scored(sents, cos[order], np.asarray(sel), tuple(pool[i][2] for i in order))


def reading_order(prob: np.ndarray, heading: Sequence[bool]) -> list[int]:
    """Candidate indices best first, headings left out unless nothing else is there (a heading answers only a
    heading question, which ``pick_heading`` handles)."""
    everything = [int(i) for i in np.argsort(-np.asarray(prob), kind="stable")]
    return [i for i in everything if not heading[i]] or everything


def answerability(question: str, best_first: Sequence[str], best_prob: float, verifier: CrossScorer | None) -> float:
    """The verifier's P(the best ``EVIDENCE`` sentences answer ``question``); without one, ``best_prob``."""
    if verifier is None:
        return best_prob
    return float(verifier.score(question, [evidence_text(best_first[:EVIDENCE])]).ans[0])


def select_learned(
    question: str,
    qterms: QuestionTerms,
    qvec: np.ndarray,
    candidates: Sequence[tuple[Sentence, np.ndarray, int]],
    scorer: CrossScorer,
    max_sentences: int = 2,
    *,
    verifier: CrossScorer | None = None,
    calibration: Calibration | None = None,
) -> Draft:
    """Choose from ``candidates`` (sentence, vector, passage rank) the sentences that answer, or abstain.

    ``calibration`` defaults to the shipped ``answerer.json``. Without a ``verifier`` the best sentence's
    ranking probability stands in for answerability (the shipped threshold is the verifier's).
    """
    if not candidates:
        return Draft(reason="nothing relevant was retrieved")
    cal = calibration or load_calibration()
    got = score_candidates(question, qterms, qvec, candidates, scorer, cal.top)
    prob = cal.rank(got.cosine, got.select)
    cands = [
        Candidate(s, float(c), float(sel), float(p), rank)
        for s, c, sel, p, rank in zip(got.sentences, got.cosine, got.select, prob, got.passage_rank)
    ]
    ranked = [cands[i] for i in np.argsort(-prob, kind="stable")]
    shown = tuple(ranked[:10])
    if asks_heading(question):
        heading = pick_heading(question, ranked, qterms.sources)
        if heading is not None:
            return Draft((heading,), coverage=1.0, ranked=shown)
    body = [cands[i] for i in reading_order(prob, [s.heading for s in got.sentences])]
    best = body[0]
    answers = answerability(question, [c.sentence.text for c in body], best.score, verifier)
    if answers < cal.answerable:
        return Draft(reason="the sources do not answer this", coverage=answers, ranked=shown)
    chosen = [best]
    if COMPARE.search(question) or (len(qterms.sources) > 1 and len(qterms.attributed) != 1):
        other = [c for c in body if c.sentence.doc_id != best.sentence.doc_id]
        if other and len(chosen) < max_sentences:
            chosen.append(other[0])
    for cand in body[1:]:
        if len(chosen) >= max_sentences:
            break
        if cal.close_second(best.score, cand.score) and cand not in chosen:
            chosen.append(cand)
    return Draft(tuple(chosen), coverage=answers, ranked=shown)
