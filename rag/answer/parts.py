"""Two-part questions: each part gets its own best sentence, so the answer covers both.

"How long have the sides been talking, and what set the talks off?" ranked as one question rewards a
sentence that touches both a little; asked part by part, each part's own best sentence comes first.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.draft import Candidate, Draft

__all__ = ["merge_parts"]


def merge_parts(whole: Draft, parts: Sequence[Draft], max_sentences: int, context: int = 10) -> Draft:
    """The best sentence of each part, then the whole question's picks, up to ``max_sentences``.

    A part asked alone lacks the rest of the question ("...and how did China respond?" - to what?),
    so its pick must be among the whole question's ``context`` best candidates. The whole question
    decides whether to answer at all: a near miss in one part still abstains.
    """
    if whole.abstained:
        return whole
    near = {_key(c) for c in whole.ranked[:context]} | {_key(c) for c in whole.chosen}
    picks = []
    for part in parts:
        own = [c for c in (*part.chosen, *part.ranked) if _key(c) in near]
        if own:
            picks.append(own[0])
    chosen: list[Candidate] = []
    for cand in [*picks, *whole.chosen]:
        if _key(cand) not in {_key(c) for c in chosen} and len(chosen) < max_sentences:
            chosen.append(cand)
    return Draft(tuple(chosen), coverage=whole.coverage, missing=whole.missing, ranked=whole.ranked)


def _key(cand: Candidate) -> tuple[str, int]:
    return cand.sentence.doc_id, cand.sentence.start
