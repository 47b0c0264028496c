"""Questions about a document's headline or section headings ("What is the Post article's headline?").

Headings rank low for ordinary questions (they state a topic, not a fact), and a heading's own words
rarely match a question about it. So such a question is answered by a heading, chosen by how well the
section under it matches the question; "headline"/"title" means each document's first heading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.draft import Candidate

__all__ = ["asks_heading", "pick_heading"]

_HEADING = re.compile(
    r"\b(?:headlines?|headings?|titles?|titled|sub-?headings?|subtitles?|sub-?heads?|headers?)\b", re.I
)
_TITLE = re.compile(r"\b(?:headlines?|titles?|titled)\b", re.I)
# "What's the final section called?": a section asked for by its name.
_NAMED_SECTION = re.compile(r"\b(?:sections?|parts?|chapters?)\b.{0,60}?\b(?:called|named|entitled)\b", re.I)
_LAST = re.compile(r"\b(?:final|last|closing|concluding|end)\b", re.I)


def asks_heading(question: str) -> bool:
    """Whether ``question`` asks for a headline, title or section heading."""
    return bool(_HEADING.search(question) or _NAMED_SECTION.search(question))


def pick_heading(question: str, scored: Sequence[Candidate], sources: frozenset[str] = frozenset()) -> Candidate | None:
    """The heading that answers ``question`` among ``scored`` (ranked candidates, headings included), if any.

    ``sources``: documents the question names; only their headings are considered when it names any.
    """
    heads = sorted((c for c in scored if c.sentence.heading), key=lambda c: (c.sentence.doc_id, c.sentence.start))
    if sources:
        heads = [h for h in heads if h.sentence.doc_id in sources]
    if not heads:
        return None
    title = bool(_TITLE.search(question))
    if title or _LAST.search(question):
        ends: dict[str, Candidate] = {}  # each document's first heading, or its last one
        for h in heads if title else reversed(heads):
            ends.setdefault(h.sentence.doc_id, h)
        options = list(ends.values())
    else:
        options = heads

    def section_score(h: Candidate) -> float:
        nxt = min(
            (
                o.sentence.start
                for o in heads
                if o.sentence.doc_id == h.sentence.doc_id and o.sentence.start > h.sentence.start
            ),
            default=None,
        )
        body = [
            c.score
            for c in scored
            if c.sentence.doc_id == h.sentence.doc_id
            and not c.sentence.heading
            and c.sentence.start > h.sentence.start
            and (nxt is None or c.sentence.start < nxt)
        ]
        # The section's text decides: a heading's own words are few, and often a name ("Why It Matters
        # to REEx Readers") that any question naming the source matches.
        # ...unless the question quotes the heading ("the subheading about velvet gloves").
        own = [h.score] if h.lexical >= 0.5 or not body else []
        return max([*body, *own])

    return max(options, key=section_score)
