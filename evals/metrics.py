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

import re
import statistics
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from rag.types import Answer, Citation

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

Judge = Callable[[str, str], bool]
"""``judge(premise, hypothesis)``: does the premise support the hypothesis?"""

TextLoader = Callable[[str], str]
"""``load(source)``: the current text of a citation's source file (raises ``OSError`` if unreadable)."""

MIN_OVERLAP = 40
"""Characters of common substring with a support phrase that make a passage a hit."""

_MARKER = re.compile(r"\[(\d+)\]")
_LEAD = re.compile(r"^(?:according to|per)\s+(?P<who>[^:,]{1,80}?)\s*[:,]\s+", re.I)
_MARKED = re.compile(r"(.*?)((?:\s*\[\d+\])+)", re.S)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201a"): "'", ord("\u201b"): "'", ord("\u2032"): "'"}
_QUOTES |= {ord("\u201c"): '"', ord("\u201d"): '"', ord("\u201e"): '"', ord("\u201f"): '"', ord("\u2033"): '"'}


# -- text matching ------------------------------------------------------------------------
def normalise(text: str) -> str:
    """NFKC, curly -> straight quotes, dash variants -> ``-``, soft hyphens dropped, lower case, one space."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = text.translate(_QUOTES).translate(_DASHES)
    return " ".join(text.lower().split())


def missing_groups(text: str, must: Sequence[Sequence[str]]) -> list[list[str]]:
    """The ``must`` groups none of whose alternatives occurs in ``text`` (both normalised)."""
    norm = normalise(text)
    return [list(group) for group in must if not any(normalise(alt) in norm for alt in group)]


def is_correct(answer: Answer, must: Sequence[Sequence[str]]) -> bool:
    """Correct = not abstained and every ``must`` group present."""
    return not answer.abstained and not missing_groups(answer.text, must)


def is_hit(passage_text: str, support: Sequence[str]) -> bool:
    """Does ``passage_text`` contain a support phrase, or share >= ``MIN_OVERLAP`` characters with one?

    Both sides are normalised; the overlap rule still counts a phrase cut by a chunk boundary.
    """
    text = normalise(passage_text)
    for phrase in support:
        p = normalise(phrase)
        if p and p in text:
            return True
        if len(p) >= MIN_OVERLAP:
            m = SequenceMatcher(None, text, p, autojunk=False).find_longest_match(0, len(text), 0, len(p))
            if m.size >= MIN_OVERLAP:
                return True
    return False


# -- citations ----------------------------------------------------------------------------
def invalid_citations(citations: Iterable[Citation], load: TextLoader) -> list[tuple[Citation, str]]:
    """Citations whose ``quote`` is not exactly ``load(source)[start:end]``, each with the reason."""
    bad: list[tuple[Citation, str]] = []
    for c in citations:
        try:
            text = load(c.source)
        except (OSError, UnicodeDecodeError, LookupError) as exc:
            bad.append((c, f"source unreadable ({exc})"))
            continue
        if not 0 <= c.start <= c.end <= len(text):
            bad.append((c, f"span [{c.start}:{c.end}] outside the file ({len(text)} chars)"))
        elif text[c.start : c.end] != c.quote:
            bad.append((c, f"quote differs from {c.source}[{c.start}:{c.end}]"))
    return bad


def strip_markers(sentence: str) -> str:
    """The sentence without its ``[n]`` markers (what the judge sees, as in ALCE)."""
    return " ".join(_MARKER.sub(" ", sentence).split())


def split_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Split answer text on its ``[n]`` markers: ``[(sentence without markers, cited ids), ...]``.

    Each extractive sentence ends with its markers; trailing text without a marker is a sentence
    citing nothing. Pieces without any letter or digit (stray punctuation) are dropped.
    """
    out: list[tuple[str, tuple[int, ...]]] = []
    end = 0
    for m in _MARKED.finditer(text):
        out.append((strip_markers(m.group(1)), tuple(int(n) for n in _MARKER.findall(m.group(2)))))
        end = m.end()
    out.append((strip_markers(text[end:]), ()))
    return [(s, ids) for s, ids in out if any(ch.isalnum() for ch in s)]


@dataclass(frozen=True)
class CitationScores:
    """ALCE citation recall and precision of one answer, with the counts and what failed."""

    recall: float
    precision: float
    sentences: int
    supported: int
    citations: int
    precise: int
    problems: tuple[str, ...] = ()


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def split_attribution(sentence: str) -> tuple[str | None, str]:
    """``"According to REEx: X"`` -> ``("REEx", "X")``; a sentence without such a lead -> ``(None, sentence)``."""
    m = _LEAD.match(sentence)
    return (m.group("who"), sentence[m.end() :]) if m else (None, sentence)


def _publisher_names(c: Citation) -> set[str]:
    return {n for n in (c.publisher, c.title) if n}


def alce_citation_scores(
    answer: Answer,
    judge: Judge,
    names: Callable[[Citation], Collection[str]] = _publisher_names,
    joiner: str = "\n",
) -> CitationScores:
    """ALCE citation recall and precision (Gao et al. 2023, ``compute_autoais``) of one answer.

    Recall: share of sentences whose cited quotes, joined, support the sentence (markers stripped);
    a sentence citing nothing, or an id with no citation, is unsupported.
    Precision: share of citations that support their sentence alone, or whose removal from the
    sentence's citations breaks the support of the rest; a citation of an unsupported sentence
    is never precise (as in ALCE). Dangling ids count as citations that are not precise.

    An attribution lead (``"According to REEx: ..."``) is checked against the cited documents'
    ``names`` (publisher, short name, aliases) instead of by the judge, which sees only the rest of
    the sentence: ALCE's premise carries the document's title for the same purpose. A lead naming
    none of the cited documents makes the sentence unsupported.
    """
    by_id = {c.id: c for c in answer.citations}
    sentences = split_sentences(answer.text)
    supported = precise = n_cites = 0
    problems: list[str] = []
    for i, (sentence, ids) in enumerate(sentences, start=1):
        n_cites += len(ids)
        quotes = [by_id[n].quote for n in ids if n in by_id]
        dangling = [n for n in ids if n not in by_id]
        if not ids:
            problems.append(f"sentence {i} cites nothing: {_short(sentence)!r}")
            continue
        if dangling:
            problems.append(f"sentence {i} cites missing ids {dangling}")
            continue
        who, claim = split_attribution(sentence)
        if who is not None and not any(normalise(who) in {normalise(n) for n in names(by_id[n])} for n in ids):
            problems.append(f"sentence {i} is attributed to {who!r}, which none of its citations {list(ids)} is")
            continue
        sentence = claim
        if not judge(joiner.join(quotes), sentence):
            problems.append(f"sentence {i} not supported by its citations {list(ids)}: {_short(sentence)!r}")
            continue
        supported += 1
        if len(ids) == 1:
            precise += 1
            continue
        for j, n in enumerate(ids):
            rest = quotes[:j] + quotes[j + 1 :]
            if judge(quotes[j], sentence) or not judge(joiner.join(rest), sentence):
                precise += 1
            else:
                problems.append(f"citation [{n}] of sentence {i} is redundant (the others support it alone)")
    return CitationScores(
        recall=supported / len(sentences) if sentences else 0.0,
        precision=precise / n_cites if n_cites else 0.0,
        sentences=len(sentences),
        supported=supported,
        citations=n_cites,
        precise=precise,
        problems=tuple(problems),
    )


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
    names: Callable[[Citation], Collection[str]] = _publisher_names,
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
