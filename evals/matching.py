"""Text matching for grading answers: one normalisation, the ``must`` groups, and retrieval hits."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher

from rag.types import Answer

__all__ = ["MIN_OVERLAP", "normalise", "missing_groups", "is_correct", "is_hit"]

MIN_OVERLAP = 40
"""Characters of common substring with a support phrase that make a passage a hit."""

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201a"): "'", ord("\u201b"): "'", ord("\u2032"): "'"}
_QUOTES |= {ord("\u201c"): '"', ord("\u201d"): '"', ord("\u201e"): '"', ord("\u201f"): '"', ord("\u2033"): '"'}


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
