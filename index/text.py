"""Word-level text helpers shared by indexing and answering: tokens, stems, stopwords."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["STOPWORDS", "words", "word_spans", "stem", "content_terms", "is_entity_token"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’][a-z]+)?(?:[-–][A-Za-z0-9]+)*|\d+(?:[.,]\d+)*%?")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can cannot could couldn't did didn't do does doesn't doing don't down
    during each either even ever every few for from further had hadn't has hasn't have haven't having he
    her here hers herself him himself his how however i if in into is isn't it it's its itself just let
    like many may me might more most much must my myself no nor not now of off on once only or other ought
    our ours ourselves out over own per same she should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they this those through thus to too toward towards
    under until up upon us very via was wasn't we were weren't what what's when where whether which while
    who whom whose why will with within without won't would wouldn't yet you your yours yourself
    yourselves according say says said tell told give given describe described explain mention mentioned
    mentions show shows kind sort type way ways one's each thing things anything something happen happened
    one s""".split()
)

# Spelling variants normalised before stemming (applied to both sides, so only consistency matters).
_VARIANTS = [
    (re.compile(r"([a-z]{2,})is(e|ed|es|ing|ation|ations)$"), r"\1iz\2"),
    (re.compile(r"([a-z]{3,})our(s|ed|ing)?$"), r"\1or\2"),
    (re.compile(r"([a-z]{2,})lling$"), r"\1ling"),
    (re.compile(r"([a-z]{2,})lled$"), r"\1led"),
]


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Word tokens (hyphenated compounds and numbers kept whole), original case."""
    return _WORD.findall(text.replace("’", "'"))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """``words`` with each word's ``(start, end)`` in ``text``."""
    return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text.replace("’", "'"))]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Lower-cased Snowball stem with British/American spelling folded (licence ~ license)."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for pat, rep in _VARIANTS:
        w = pat.sub(rep, w)
    s: str = _stemmer().stemWord(w)
    if s.endswith("enc"):
        s = s[:-1] + "s"
    return s


def content_terms(text: str) -> list[str]:
    """Non-stopword tokens of ``text``, hyphenated compounds also split into their parts."""
    out: list[str] = []
    for w in words(text):
        parts = [w] + (re.split(r"[-–]", w) if re.search(r"[-–]", w) else [])
        for p in parts:
            if p and p.lower() not in STOPWORDS and (len(p) > 1 or p.isdigit()):
                out.append(p)
    return out


def is_entity_token(word: str, first: bool = False) -> bool:
    """A capitalised or all-caps token that is not merely sentence-initial, or a number."""
    if any(ch.isdigit() for ch in word):
        return True
    if word.isupper() and len(word) > 1:
        return True
    return word[:1].isupper() and not first
