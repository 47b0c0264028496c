"""Word-level text helpers shared by indexing and answering: tokens, content terms, names.

The word lists and stemmers they rest on are in :mod:`index.lang`.
"""

from __future__ import annotations

import re

from index.lang import is_stopword

__all__ = ["words", "word_spans", "compound_parts", "content_terms", "is_entity_token"]

# A letter of any script (a word character that is neither a digit nor "_"): "Möngke" and "Zürich" are one
# word each, not the ASCII pieces around their accents ("M", "ngke"), so they can be counted and matched.
_LETTER = r"[^\W\d_]"
_WORD = re.compile(rf"{_LETTER}[^\W_]*(?:['’][a-z]+)?(?:[-–][^\W_]+)*|\d+(?:[.,]\d+)*%?")
_HYPHEN = re.compile(r"[-–]")


def words(text: str) -> list[str]:
    """Word tokens (hyphenated compounds and numbers kept whole), original case."""
    return _WORD.findall(text.replace("’", "'"))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """``words`` with each word's ``(start, end)`` in ``text``."""
    return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text.replace("’", "'"))]


def compound_parts(word: str) -> list[str]:
    """``word`` and, for a hyphenated compound ("Saint-Clair-sur-Epte"), each of its parts."""
    parts = _HYPHEN.split(word)
    return [word] + [p for p in parts if p] if len(parts) > 1 else [word]


def content_terms(text: str) -> list[str]:
    """Non-stopword tokens of ``text``, hyphenated compounds also split into their parts."""
    out: list[str] = []
    for w in words(text):
        for p in compound_parts(w):
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
