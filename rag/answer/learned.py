"""The learned extractive choice: the cross-encoder reads the question with each candidate sentence, picks
the sentence(s) that answer, and decides on its own whether the evidence answers at all.

What stays rule-based is structure, not English: a question naming one speaker is answered from that
speaker's document, a heading question from the documents' headings, a comparison takes one sentence
per source. (Not yet the assistant's default answerer: its thresholds are to be calibrated on held-out
SQuAD articles through the whole pipeline.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.types import Sentence
from rag.answer.extractive import Candidate, Draft, QuestionTerms
from rag.answer.headings import asks_heading, pick_heading
from rag.answer.question import COMPARE
from rag.answer.scorer import CrossScorer

__all__ = ["LearnedThresholds", "select_learned"]


@dataclass(frozen=True)
class LearnedThresholds:
    """Decision constants of the learned answerer (to be set from held-out SQuAD articles, never the seeds)."""

    answerable: float = 0.5  # P(ans) of the best sentence below this: abstain
    second: float = 0.5  # a second sentence needs P(sel) at least this
    top: int = 12  # candidates the cross-encoder reads, after a cosine pre-rank (its cost is per pair)


def select_learned(
    question: str,
    qterms: QuestionTerms,
    qvec: np.ndarray,
    candidates: Sequence[tuple[Sentence, np.ndarray, int]],
    scorer: CrossScorer,
    max_sentences: int = 2,
    t: LearnedThresholds = LearnedThresholds(),
) -> Draft:
    """Choose from ``candidates`` (sentence, vector, passage rank) the sentences that answer, or abstain."""
    if not candidates:
        return Draft(reason="nothing relevant was retrieved")
    pool = list(candidates)
    if len(qterms.attributed) == 1 and not COMPARE.search(question):
        pool = [c for c in pool if c[0].doc_id in qterms.attributed] or pool
    cos = np.asarray([float(v @ qvec) for _, v, _ in pool])
    order = np.argsort(-cos)[: t.top]
    reading = [pool[i] for i in order]
    scores = scorer.score(question, [s.text for s, _, _ in reading])
    ranked = sorted(
        (
            Candidate(s, float(cos[i]), float(scores.ans[j]), float(scores.sel[j]), prank)
            for j, (i, (s, _, prank)) in enumerate(zip(order, reading))
        ),
        key=lambda c: c.score,
        reverse=True,
    )
    if asks_heading(question):
        heading = pick_heading(question, ranked, qterms.sources)
        if heading is not None:
            return Draft((heading,), coverage=1.0, ranked=tuple(ranked[:10]))
    best = ranked[0]
    if best.lexical < t.answerable:  # ``lexical`` carries P(ans) here
        return Draft(reason="the sources do not answer this", coverage=best.lexical, ranked=tuple(ranked[:10]))
    chosen = [best]
    if COMPARE.search(question) or (len(qterms.sources) > 1 and len(qterms.attributed) != 1):
        other = [c for c in ranked if c.sentence.doc_id != best.sentence.doc_id and not c.sentence.heading]
        if other and len(chosen) < max_sentences:
            chosen.append(other[0])
    for cand in ranked[1:]:
        if len(chosen) >= max_sentences:
            break
        if cand.score >= t.second and cand not in chosen and not cand.sentence.heading:
            chosen.append(cand)
    return Draft(tuple(chosen), coverage=best.lexical, ranked=tuple(ranked[:10]))
