"""Citation metrics: validity (``load(source)[start:end] == quote``) and ALCE recall / precision (Gao et al.
2023), with an injected ``judge(premise, hypothesis)``."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from evals.matching import normalise
from rag.types import Answer, Citation

__all__ = [
    "Judge",
    "TextLoader",
    "source_loader",
    "invalid_citations",
    "split_sentences",
    "strip_markers",
    "split_attribution",
    "CitationScores",
    "alce_citation_scores",
    "publisher_names",
]

Judge = Callable[[str, str], bool]
"""``judge(premise, hypothesis)``: does the premise support the hypothesis?"""

TextLoader = Callable[[str], str]
"""``load(source)``: the current text of a citation's source file (raises ``OSError`` if unreadable)."""


def source_loader(root: Path) -> TextLoader:
    """Reads a citation's ``source`` (relative ones under ``root``), as the checks re-read it."""

    def load(source: str) -> str:
        p = Path(source)
        return (p if p.is_absolute() else root / p).read_text(encoding="utf-8")

    return load


_MARKER = re.compile(r"\[(\d+)\]")
_LEAD = re.compile(r"^(?:according to|per)\s+(?P<who>[^:,]{1,80}?)\s*[:,]\s+", re.I)
_MARKED = re.compile(r"(.*?)((?:\s*\[\d+\])+)", re.S)


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


def publisher_names(c: Citation) -> set[str]:
    """The names a citation's document goes by, from the citation alone (publisher, title)."""
    return {n for n in (c.publisher, c.title) if n}


def alce_citation_scores(
    answer: Answer,
    judge: Judge,
    names: Callable[[Citation], Collection[str]] = publisher_names,
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
