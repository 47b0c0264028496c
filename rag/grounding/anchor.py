"""Re-anchor an LLM's sentences to exact source spans and verify each one before it is shown.

The model's ``[n]`` markers are treated as hints, never as evidence:

1. the output is split into sentences; markers naming no passage are dropped;
2. for each sentence, candidate spans (indexed sentences, clauses of them, adjacent pairs: see
   :mod:`rag.grounding.llm_spans`) are drawn from the passages it cites and from every retrieved passage;
3. every candidate is scored by the grounding judge (:func:`rag.grounding.verify.support_scores`, one
   batch for the whole answer); a sentence is kept only with a span scoring at least
   ``SUPPORT_THRESHOLD`` -- exactly :func:`rag.grounding.verify.is_supported` -- preferring a span of a
   passage it cited, then a whole sentence over a clause over a pair, then the higher score;
4. the judge scores whole texts, so a span must also pass cheap literal checks
   (:func:`rag.grounding.llm_spans.consistent`): it holds at least half of the claim's content words,
   every number the claim states, and agrees on *what* is negated ("are **not** close");
5. fragments (under four words or two content words: "Yes.", "HACKED.", "European industry."),
   sentences that only restate the question or share no content word with it (true but off
   topic: "China controls the taps." for "What kind of company is Nexperia?"), a last sentence
   cut off by the token limit, sentences that read as instructions (a passage's injected "ignore
   previous instructions") and sentences without a verified span are reported in
   ``unsupported`` and never shown. Spans that read as instructions are never evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from index.sentences import split_paragraph
from index.text import words
from rag.answer.llm_prompt import Numbered
from rag.grounding.guard import is_instruction_override
from rag.grounding.llm_spans import KINDS, Span, candidate_spans, consistent, content_stems
from rag.grounding.verify import SUPPORT_THRESHOLD, support_scores

__all__ = ["Claim", "Anchored", "Anchoring", "split_claims", "anchor", "strip_markers", "terminal"]

_MARK = re.compile(
    r"\s*[\[【]\s*(?:(?:passages?|sources?|docs?|documents?|refs?)\s*)?"
    r"(\d{1,3}(?:\s*(?:,|;|&|and|-|–)\s*\d{1,3})*)\s*[\]】]",
    re.I,
)
_MARK_AFTER_STOP = re.compile(r"([.!?…])((?:\s*[\[【][^\]】\n]{0,40}[\]】])+)")
_COMPLETE = re.compile(r"(?:[.!?…][\"'”’)]*|[\]】])$")
_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_MIN_CONTENT = 2  # content words a sentence needs to be worth showing ...
_MIN_WORDS = 4  # ... and words: "European industry." is a heading, not an answer


@dataclass(frozen=True)
class Claim:
    """One sentence of the LLM's output, without its markers."""

    text: str
    cited: tuple[int, ...] = ()  # markers that name a passage
    invalid: tuple[int, ...] = ()  # markers that name none (fabricated, e.g. ``[7]`` of 5)
    complete: bool = True  # False: cut off mid-sentence by the token limit


@dataclass(frozen=True)
class Anchored:
    """A verified claim and the span that supports it."""

    claim: Claim
    span: Span
    score: float

    @property
    def reanchored(self) -> bool:
        """True when the supporting span is not in a passage the model cited."""
        return self.span.n not in self.claim.cited


@dataclass
class Anchoring:
    """The outcome for a whole answer."""

    kept: list[Anchored] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    invalid_markers: int = 0
    reanchored: int = 0

    @property
    def dropped(self) -> int:
        """Sentences not shown."""
        return len(self.unsupported)


def _parse_marker(body: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|&|and)\s*", body):
        ends = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x.strip().isdigit()]
        if len(ends) == 2 and 0 < ends[1] - ends[0] < 10:
            out.extend(range(ends[0], ends[1] + 1))
        else:
            out.extend(ends)
    return out


def terminal(text: str) -> str:
    """``text`` ending in sentence punctuation (a full stop is added when it has none)."""
    return text if _END.search(text) else text.rstrip(",;:–- ") + "."


def strip_markers(text: str) -> str:
    """``text`` without ``[n]`` markers, whitespace collapsed."""
    return " ".join(_MARK.sub("", text).split())


def _echo(labels: Sequence[str]) -> re.Pattern[str]:
    """A passage header the model copied into its answer: "(SCMP) ", "SCMP: ", "Passage 2: "."""
    names = "|".join(re.escape(x) for x in sorted({x for x in labels if x}, key=len, reverse=True))
    alts = [r"(?:passage|source)\s*\d{1,3}\s*[:.)–-]"] + ([rf"\((?:{names})\)", rf"(?:{names})\s*:"] if names else [])
    return re.compile(rf"^\s*(?:{'|'.join(alts)})\s*", re.I)


def split_claims(output: str, n_passages: int, labels: Sequence[str] = ()) -> list[Claim]:
    """Sentences of ``output`` with the passage numbers they cite (markers after a full stop count too).

    Echoed passage headers (``labels``: "(SCMP)") are removed; a last sentence cut off by the token
    limit (no closing punctuation or marker) is marked ``complete=False``.
    """
    text = _MARK_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", output)
    echo = _echo(labels)
    claims: list[Claim] = []
    for line in text.splitlines():
        for a, b in split_paragraph(line):
            sent = line[a:b]
            nums = [x for m in _MARK.finditer(sent) for x in _parse_marker(m.group(1))]
            body = strip_markers(sent)
            body = echo.sub("", body, count=1)
            if not re.search(r"\w", body):
                continue  # a stray marker, bullet or header
            valid = tuple(dict.fromkeys(x for x in nums if 1 <= x <= n_passages))
            invalid = tuple(dict.fromkeys(x for x in nums if not 1 <= x <= n_passages))
            claims.append(Claim(terminal(body), valid, invalid))
    if claims and not _COMPLETE.search(output.rstrip()):
        claims[-1] = replace(claims[-1], text=claims[-1].text.rstrip("."), complete=False)
    return claims


def _evidence(text: str) -> bool:
    return not is_instruction_override(text)


def anchor(
    claims: Sequence[Claim], numbered: Sequence[Numbered], read: Callable[[str], str], question: str = ""
) -> Anchoring:
    """Find and verify a supporting span for every claim (see the module docstring)."""
    out = Anchoring(invalid_markers=sum(len(c.invalid) for c in claims))
    asked = content_stems(question)
    seen: set[str] = set()
    todo: list[tuple[Claim, list[Span]]] = []
    for claim in claims:
        key = claim.text.lower()
        if key in seen:
            continue
        seen.add(key)
        said = content_stems(claim.text)
        if (
            not claim.complete
            or len(said) < _MIN_CONTENT
            or len(words(claim.text)) < _MIN_WORDS
            or said <= asked
            or (asked and not said & asked)  # shares no word with the question: off topic, however true
            or is_instruction_override(claim.text)
        ):
            out.unsupported.append(claim.text)
            continue
        spans = candidate_spans(claim.text, claim.cited, numbered, read)
        todo.append((claim, [sp for sp in spans if _evidence(sp.text) and consistent(sp.text, claim.text)]))
    pairs = [(span.text, claim.text) for claim, spans in todo for span in spans]
    scores = iter(support_scores(pairs)) if pairs else iter(())
    for claim, spans in todo:
        scored = [(span, next(scores)) for span in spans]
        ok = [(sp, sc) for sp, sc in scored if sc >= SUPPORT_THRESHOLD]
        if not ok:
            out.unsupported.append(claim.text)
            continue
        span, sc = max(ok, key=lambda t: (t[0].n in claim.cited, -KINDS.index(t[0].kind), t[1]))
        got = Anchored(claim, span, sc)
        out.reanchored += got.reanchored
        out.kept.append(got)
    return out
