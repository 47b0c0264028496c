"""Word-level text helpers shared by indexing and answering: tokens, content terms, names.

The word lists and stemmers they rest on are in :mod:`index.lang`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from index.lang import fold_accents, is_stopword

__all__ = [
    "words",
    "word_spans",
    "compound_parts",
    "content_terms",
    "is_entity_token",
    "one_edit_apart",
    "slip_of",
    "as_typed",
]

# A letter of any script (a word character that is neither a digit nor "_"): "Möngke" and "Zürich" are one
# word each, not the ASCII pieces around their accents ("M", "ngke"), so they can be counted and matched.
_LETTER = r"[^\W\d_]"
# A clitic ("'s", "'t") may close any part of a compound, so "al-Qaeda's" is one word as "Qaeda's" is.
_WORD = re.compile(rf"{_LETTER}[^\W_]*(?:['’][a-z]+)?(?:[-–][^\W_]+(?:['’][a-z]+)?)*|\d+(?:[.,]\d+)*%?")
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
            if not is_stopword(p) and (len(p) > 1 or p.isdigit()):
                out.append(p)
    return out


def is_entity_token(word: str, first: bool = False) -> bool:
    """A capitalised or all-caps token that is not merely sentence-initial, or a number."""
    if any(ch.isdigit() for ch in word):
        return True
    if word.isupper() and len(word) > 1:
        return True
    return word[:1].isupper() and not first


def one_edit_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter inserted, deleted, replaced or two neighbours swapped.

    (Damerau–Levenshtein distance exactly 1): the typing slips "campaigh", "Septmber", "Bismark".
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (
        i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    )


def slip_of(term: str, texts: Iterable[str], min_length: int = 6) -> str | None:
    """The word of ``texts`` that ``term`` is one typing slip away from ("Septmber" -> "September"), if any.

    Callers pass the passages a question retrieved, not the whole corpus: a slip is read as the word
    in front of the reader, so "Finnish" is not taken for a "finish" elsewhere. Short words are left
    alone: one letter turns "rate" into "date" and "cost" into "most".
    """
    low = fold_accents(term.lower())
    if len(low) < min_length:
        return None
    for text in texts:
        for w in words(text):
            if one_edit_apart(low, fold_accents(w.lower())):
                return w
    return None


def as_typed(text: str, terms: Sequence[str]) -> list[str]:
    """``terms`` as ``text`` writes them: neighbours separated by spaces only join into one phrase.

    For messages: "the documents never mention Hong Kong", not "Hong, Kong". Terms ``text`` does not
    hold as whole words (a compound's part) are kept as they are, after the phrases.
    """
    spans = word_spans(text)
    at: dict[str, int] = {}
    for i, (_, _, w) in enumerate(spans):
        at.setdefault(w, i)
    found = sorted({at[t] for t in terms if t in at})
    phrases: list[str] = []
    prev = -2
    for i in found:
        start, end, _ = spans[i]
        if i == prev + 1 and not text[spans[prev][1] : start].strip():
            phrases[-1] = phrases[-1] + text[spans[prev][1] : start] + text[start:end]
        else:
            phrases.append(text[start:end])
        prev = i
    return phrases + [t for t in dict.fromkeys(terms) if t not in at]
