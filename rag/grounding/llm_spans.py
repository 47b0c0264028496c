"""Candidate evidence spans for one LLM sentence, all exact slices of the raw source.

Three kinds, in the order they are preferred when several are verified:

* ``sentence``: an indexed sentence (its raw offsets come from indexing);
* ``clause``: consecutive clauses of such a sentence, cut at ``, ; : —`` -- a claim about one
  part of a long sentence is judged against that part, so that a negation elsewhere in the
  sentence ("... they do **not** have a military end-use") does not sink it, and the citation
  points at the words that support it;
* ``pair``: two adjacent sentences with only whitespace between them.

Only the best few by word overlap with the claim go to the (costlier) judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from index.lang import NEGATORS, NUMBER_LIKE, NUMBER_WORDS, STOPWORDS, stem
from index.text import content_terms, words
from index.types import Sentence
from rag.answer.llm_prompt import Numbered

__all__ = ["Span", "KINDS", "candidate_spans", "content_stems", "negation_agrees", "numbers_agree", "consistent"]

KINDS = ("sentence", "clause", "pair")
_CLAUSE_CUT = re.compile(r"\s*[,;:]\s+|\s+[—–-]\s+")
_MAX_CLAUSES = 3  # longest run of clauses tried as a span
_MIN_WORDS = 3
_SEEDS = 3  # sentences (best by overlap) whose clauses and neighbours are also tried
_FROM_CITED = 4  # judged spans reserved for the passages the claim cites
_JUDGED = 12  # at most this many spans per claim go to the judge
_NEG_REACH = 4  # a negation applies to the first content word within this many tokens
_MIN_COVER = 0.5  # share of the claim's content words the span must contain (stems)
# Number words as the figures they state ("six" and "6" agree); format "g" keeps a scale word distinct
# from a written-out figure ("1e+06" for "million" never equals "1000000", as before). Sixty to ninety
# were never read as numbers here; counting them is a behaviour change left to a commit of its own.
_NUMBER_WORDS = {w: format(v, "g") for w, v in (NUMBER_WORDS | NUMBER_LIKE).items() if not 50 < v < 100}


@dataclass(frozen=True)
class Span:
    """An exact span of a source: ``read_text(source)[start:end] == text``."""

    n: int  # the passage it was found in
    source: str
    start: int
    end: int
    text: str
    meta: dict[str, str] = field(hash=False, compare=False, default_factory=dict)
    kind: str = "sentence"


def content_stems(text: str) -> set[str]:
    """Stems of the content words of ``text``."""
    return {stem(t) for t in content_terms(text)}


def _negated(text: str) -> tuple[set[str], set[str]]:
    """(stems of the content words, stems of those directly under a negation) of ``text``."""
    toks = [w.lower() for w in words(text)]
    content = {stem(t) for t in toks if t not in STOPWORDS}
    negated: set[str] = set()
    for i, t in enumerate(toks):
        if t in NEGATORS or t.endswith(("n't", "n’t")):
            nxt = next((u for u in toks[i + 1 : i + 1 + _NEG_REACH] if u not in STOPWORDS), None)
            if nxt is not None:
                negated.add(stem(nxt))
    return content, negated


def negation_agrees(premise: str, hypothesis: str) -> bool:
    """False when a word is negated in one text and stated plainly in the other."""
    p_words, p_neg = _negated(premise)
    h_words, h_neg = _negated(hypothesis)
    return not ((h_neg & p_words) - p_neg or (p_neg & h_words) - h_neg)


def _numbers(text: str) -> set[str]:
    """Numbers stated in ``text``, digits and words alike ("six-month" and "6-month" both give "6")."""
    out: set[str] = set()
    for w in words(text):
        for part in re.split(r"[-–]", w.lower()):
            part = part.rstrip("%")
            if part in _NUMBER_WORDS:
                out.add(_NUMBER_WORDS[part])
            elif re.fullmatch(r"\d+(?:[.,]\d+)*", part):
                out.add(part.replace(",", ""))
    return out


def numbers_agree(premise: str, hypothesis: str) -> bool:
    """Every number the hypothesis states is stated in the premise too."""
    return _numbers(hypothesis) <= _numbers(premise)


def consistent(premise: str, hypothesis: str) -> bool:
    """Cheap checks a span must pass besides the judge: word coverage, numbers, negation scope.

    The judge scores whole texts and can be swayed by a related sentence ("a year-long licence
    is not a breakthrough" scored 0.59 for "only six-month licences are available"); these
    reject such spans outright.
    """
    claim = content_stems(hypothesis)
    if not claim or len(claim & content_stems(premise)) < _MIN_COVER * len(claim):
        return False
    return numbers_agree(premise, hypothesis) and negation_agrees(premise, hypothesis)


def _clauses(s: Sentence, n: int, x: Numbered) -> list[Span]:
    """Runs of 1..``_MAX_CLAUSES`` consecutive clauses of ``s`` (never the whole sentence)."""
    cuts = [(m.start(), m.end()) for m in _CLAUSE_CUT.finditer(s.text)]
    if not cuts:
        return []
    bounds = [0] + [e for _, e in cuts]
    ends = [a for a, _ in cuts] + [len(s.text)]
    out = []
    for i in range(len(bounds)):
        for j in range(i, min(i + _MAX_CLAUSES, len(bounds))):
            if i == 0 and j == len(bounds) - 1:
                continue
            a, b = bounds[i], ends[j]
            text = s.text[a:b]
            if len(words(text)) >= _MIN_WORDS:
                out.append(Span(n, x.source, s.start + a, s.start + b, text, x.meta, "clause"))
    return out


def _pair(n: int, a: Sentence, b: Sentence, x: Numbered, raw: str) -> Span | None:
    """``a`` and ``b`` (adjacent, whitespace between) as one exact span, if the source still holds them."""
    if raw[a.end : b.start].strip() or raw[a.start : a.end] != a.text or raw[b.start : b.end] != b.text:
        return None
    return Span(n, x.source, a.start, b.end, raw[a.start : b.end], x.meta, "pair")


def _rank(stems: set[str], spans: Sequence[Span], top: int) -> list[Span]:
    """The ``top`` spans sharing the most content words with the claim (shorter first on ties)."""
    scored = [(len(stems & content_stems(sp.text)), -len(sp.text), i) for i, sp in enumerate(spans)]
    scored = [t for t in scored if t[0] > 0]
    scored.sort(reverse=True)
    return [spans[i] for _, _, i in scored[:top]]


def candidate_spans(
    claim: str, cited: Sequence[int], numbered: Sequence[Numbered], read: Callable[[str], str]
) -> list[Span]:
    """Spans worth judging for ``claim``: from the cited passages first, then from any passage."""
    stems = content_stems(claim)
    if not stems:
        return []
    sents = [Span(x.n, x.source, s.start, s.end, s.text, x.meta) for x in numbered for s in x.sentences]
    by_span = {(x.n, s.start): (x, i) for x in numbered for i, s in enumerate(x.sentences)}
    pool: dict[tuple[str, int, int], Span] = {}
    for sp in _rank(stems, sents, 2 * _FROM_CITED):
        pool.setdefault((sp.source, sp.start, sp.end), sp)
    for sp in _rank(stems, [s for s in sents if s.n in cited], _FROM_CITED):
        pool.setdefault((sp.source, sp.start, sp.end), sp)
    seeds = _rank(stems, [s for s in sents if s.n in cited], 1) + _rank(stems, sents, _SEEDS)
    for seed in dict.fromkeys(seeds):
        x, i = by_span[(seed.n, seed.start)]
        raw = read(x.source)
        if raw[seed.start : seed.end] != seed.text:
            continue  # the source changed: make_citation will refuse it anyway
        extra = _clauses(x.sentences[i], seed.n, x)
        for a, b in ((i - 1, i), (i, i + 1)):
            if 0 <= a and b < len(x.sentences):
                extra += [p for p in [_pair(seed.n, x.sentences[a], x.sentences[b], x, raw)] if p]
        for sp in extra:
            pool.setdefault((sp.source, sp.start, sp.end), sp)
    spans = list(pool.values())
    chosen = _rank(stems, [s for s in spans if s.n in cited], _FROM_CITED)
    chosen += [s for s in _rank(stems, spans, _JUDGED) if s not in chosen]
    return chosen[:_JUDGED]
