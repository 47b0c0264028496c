"""Grounding metrics as pure functions: no model, no index, no files (the judge and loaders are injected).

Definitions follow the published ones (see ``evals/README.md``):

* correctness: every ``must`` group has an alternative in the normalised answer, and it did not abstain;
* citation validity: ``load(source)[start:end] == quote`` for every citation;
* citation recall / precision: ALCE (Gao et al. 2023), with an injected ``judge(premise, hypothesis)``;
* retrieval hit@k and MRR against the question's ``support`` phrases;
* abstention recall (unanswerable) and false-abstention rate (answerable);
* latency percentiles (linear interpolation, like numpy's default);
* balanced accuracy of a binary judge (mean of per-class recalls).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from evals.citations import (
    CitationScores,
    Judge,
    TextLoader,
    alce_citation_scores,
    invalid_citations,
    publisher_names,
    split_attribution,
    split_sentences,
    strip_markers,
)
from evals.matching import MIN_OVERLAP, is_correct, is_hit, missing_groups, normalise
from rag.types import Answer, Citation

# Text matching and citation metrics live in evals.matching and evals.citations; the names stay here too.
__all__ = [
    "Judge",
    "TextLoader",
    "MIN_OVERLAP",
    "normalise",
    "missing_groups",
    "is_correct",
    "invalid_citations",
    "split_sentences",
    "strip_markers",
    "split_attribution",
    "CitationScores",
    "alce_citation_scores",
    "is_hit",
    "first_hit_rank",
    "hit_at_k",
    "mrr",
    "abstention_recall",
    "false_abstention_rate",
    "percentile",
    "latency_summary",
    "balanced_accuracy",
    "QuestionResult",
    "score_question",
    "aggregate",
    "cached_judge",
]


def cached_judge(judge: Judge, maxsize: int = 4096) -> Judge:
    """The same judge, memoised on ``(premise, hypothesis)`` (ALCE asks some pairs more than once)."""
    return lru_cache(maxsize=maxsize)(judge)


# -- retrieval, abstention, latency, judge accuracy ------------------------------------------
def first_hit_rank(passage_texts: Sequence[str], support: Sequence[str], k: int | None = None) -> int:
    """1-based rank of the first passage (of the top ``k``) that hits a support phrase; 0 if none."""
    top = passage_texts if k is None else passage_texts[:k]
    return next((i for i, t in enumerate(top, start=1) if is_hit(t, support)), 0)


def hit_at_k(ranks: Sequence[int], k: int) -> float:
    """Share of questions whose first hit is within the top ``k`` (rank 0 = no hit)."""
    return sum(1 for r in ranks if 0 < r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int], k: int | None = None) -> float:
    """Mean reciprocal rank of the first hit (0 for no hit, or a hit below ``k``)."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r > 0 and (k is None or r <= k)) / len(ranks)


def abstention_recall(abstained_on_unanswerable: Sequence[bool]) -> float:
    """Share of unanswerable questions on which the assistant abstained."""
    flags = abstained_on_unanswerable
    return sum(flags) / len(flags) if flags else 0.0


def false_abstention_rate(abstained_on_answerable: Sequence[bool]) -> float:
    """Share of answerable questions on which the assistant abstained."""
    flags = abstained_on_answerable
    return sum(flags) / len(flags) if flags else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation between order statistics."""
    if not values:
        raise ValueError("percentile of no values")
    s = sorted(values)
    x = (len(s) - 1) * p / 100
    lo = int(x)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (x - lo)


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of latencies in milliseconds (empty input gives zeros)."""
    if not ms:
        return {"n": 0, "p50_ms": 0.0, "p95_ms": 0.0, "mean_ms": 0.0, "max_ms": 0.0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def balanced_accuracy(gold: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float, float]:
    """(balanced accuracy, recall on positives, recall on negatives) of binary predictions."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    pos = [p for g, p in zip(gold, predicted) if g]
    neg = [not p for g, p in zip(gold, predicted) if not g]
    rec_pos = sum(pos) / len(pos) if pos else 0.0
    rec_neg = sum(neg) / len(neg) if neg else 0.0
    return (rec_pos + rec_neg) / 2, rec_pos, rec_neg


# -- per question and aggregate ------------------------------------------------------------
@dataclass(frozen=True)
class QuestionResult:
    """Everything the report needs about one question."""

    id: str
    category: str
    answerable: bool
    question: str
    answer: str
    abstained: bool
    latency_ms: float
    correct: bool
    citations: int
    valid_citations: int
    cite: CitationScores | None
    rank: int | None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        d = {k: v for k, v in self.__dict__.items() if k != "cite"}
        d["reasons"] = list(self.reasons)
        if self.cite is not None:
            c = self.cite
            d["citation_recall"], d["citation_precision"] = round(c.recall, 4), round(c.precision, 4)
        return d


def score_question(
    q: Mapping[str, Any],
    answer: Answer,
    latency_ms: float,
    judge: Judge,
    load: TextLoader,
    k: int,
    names: Callable[[Citation], Collection[str]] = publisher_names,
) -> QuestionResult:
    """Score one answer against its question row (``answerable``, ``must``, ``support``, ``category``).

    ``names`` gives the names a citation's document goes by (for attribution leads, see
    :func:`alce_citation_scores`).
    """
    reasons: list[str] = []
    answerable = bool(q["answerable"])
    if answerable:
        correct = is_correct(answer, q.get("must", []))
        if answer.abstained:
            reasons.append(f"abstained: {answer.reason or answer.text}")
        else:
            reasons += [f"missing {g}" for g in missing_groups(answer.text, q.get("must", []))]
    else:
        correct = answer.abstained and not answer.citations
        if not correct:
            reasons.append("answered an unanswerable question" if not answer.abstained else "abstained with citations")
    bad = invalid_citations(answer.citations, load)
    reasons += [f"citation [{c.id}] invalid: {why}" for c, why in bad]
    cite = None if answer.abstained else alce_citation_scores(answer, judge, names)
    if cite is not None:
        reasons += list(cite.problems)
    rank = None
    if answerable and q.get("support"):
        rank = first_hit_rank([p.chunk.text for p in answer.passages], q["support"], k)
        if not rank:
            reasons.append(f"no support phrase in the top {k} passages")
    return QuestionResult(
        id=str(q["id"]),
        category=str(q.get("category", "uncategorised")),
        answerable=answerable,
        question=str(q["question"]),
        answer=answer.text,
        abstained=answer.abstained,
        latency_ms=latency_ms,
        correct=correct,
        citations=len(answer.citations),
        valid_citations=len(answer.citations) - len(bad),
        cite=cite,
        rank=rank,
        reasons=tuple(reasons),
    )


def aggregate(results: Sequence[QuestionResult], k: int) -> dict[str, Any]:
    """Scores of a group of results; a metric with no eligible question is ``None``.

    correctness: over answerable questions; citation validity: over all citations (micro);
    citation recall/precision: mean over non-abstained answers (macro, as ALCE); hit@k/MRR: over
    answerable questions with support phrases; latency: over every ask.
    """
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r.cite for r in results if r.cite is not None]
    ranks = [r.rank for r in results if r.rank is not None]
    n_cites = sum(r.citations for r in results)

    def mean(xs: Sequence[float]) -> float | None:
        return round(statistics.fmean(xs), 4) if xs else None

    lat = latency_summary([r.latency_ms for r in results])
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "correctness": mean([float(r.correct) for r in answerable]),
        "citation_validity": round(sum(r.valid_citations for r in results) / n_cites, 4) if n_cites else None,
        "citation_recall": mean([c.recall for c in answered]),
        "citation_precision": mean([c.precision for c in answered]),
        "hit_at_k": round(hit_at_k(ranks, k), 4) if ranks else None,
        "mrr": round(mrr(ranks, k), 4) if ranks else None,
        "abstention_recall": round(abstention_recall([r.correct for r in unanswerable]), 4) if unanswerable else None,
        "false_abstention": round(false_abstention_rate([r.abstained for r in answerable]), 4) if answerable else None,
        "latency_p50_ms": lat["p50_ms"] if results else None,
        "latency_p95_ms": lat["p95_ms"] if results else None,
        "k": k,
    }
