"""Answers from replies: every citation built from raw offsets and re-checked, or an abstention.

The one place an ``Answer`` is made. The facade turns each answerer's ``Reply`` into one here, so
whichever answerer spoke, a quote reaches the user only when ``read(source)[start:end]`` is still
the text it cites (``make_citation``, then ``check_answer`` on the finished text).
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.protocol import Reply
from rag.errors import CitationError
from rag.grounding.cite import SourceTexts, check_answer, make_citation
from rag.types import Answer, Citation, Passage

__all__ = ["compose", "abstain", "source_changed"]


def compose(question: str, reply: Reply, texts: SourceTexts) -> Answer:
    """The answer ``reply`` states, citation ``n`` being ``reply.spans[n - 1]``; raises ``CitationError``
    when a span no longer reads as it did when indexed."""
    cites: list[Citation] = []
    for n, sp in enumerate(reply.spans, start=1):
        cites.append(make_citation(n, sp.source, sp.start, sp.end, sp.text, texts, sp.meta))
    text = " ".join(f"{st.text} [{st.cites + 1}]" for st in reply.statements)
    check_answer(text, cites, texts)
    return Answer(
        question,
        text,
        tuple(cites),
        reply.passages,
        False,
        unsupported=reply.unsupported,
        mode=reply.mode,
        reason=reply.reason,
    )


def abstain(question: str, passages: Sequence[Passage], reason: str) -> Answer:
    """The abstention: no citation, and the reason in words."""
    text = f"The indexed documents don't answer this: {reason}."
    return Answer(question, text, (), tuple(passages), True, reason=reason)


def source_changed(exc: CitationError) -> str:
    """The reason given when a cited source no longer holds what was indexed: never show an unchecked quote."""
    return f"a cited source changed since indexing ({exc}); re-run `rag index`"
