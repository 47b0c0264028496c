"""Word-level text helpers shared by indexing and answering: tokens, content terms, names.

The word lists and stemmers they rest on are in :mod:`index.lang`.
"""

from __future__ import annotations

import re

from index.lang import is_stopword

__all__ = ["words", "word_spans", "content_terms", "is_entity_token"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’][a-z]+)?(?:[-–][A-Za-z0-9]+)*|\d+(?:[.,]\d+)*%?")


def words(text: str) -> list[str]:
    """Word tokens (hyphenated compounds and numbers kept whole), original case."""
    return _WORD.findall(text.replace("’", "'"))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """``words`` with each word's ``(start, end)`` in ``text``."""
    return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text.replace("’", "'"))]


def content_terms(text: str) -> list[str]:
    """Non-stopword tokens of ``text``, hyphenated compounds also split into their parts."""
    out: list[str] = []
    for w in words(text):
        parts = [w] + (re.split(r"[-–]", w) if re.search(r"[-–]", w) else [])
        for p in parts:
            if p and not is_stopword(p) and (len(p) > 1 or p.isdigit()):
                out.append(p)
    return out


def is_entity_token(word: str, first: bool = False) -> bool:
    """A capitalised or all-caps token that is not merely sentence-initial, or a number."""
    if any(ch.isdigit() for ch in word):
        return True
    if word.isupper() and len(word) > 1:
        return True
    return word[:1].isupper() and not first
