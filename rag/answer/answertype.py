"""What kind of fact a question asks for, and whether a sentence holds one."""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.lang import AUXILIARIES, MODALS, MONTH_ABBREVIATIONS, MONTHS, NUMBER_WORDS, stem
from index.text import words

__all__ = ["expected_type", "has_type", "proper_names", "counted_noun", "has_count"]

_MONTHS = "|".join((*MONTHS, *MONTH_ABBREVIATIONS))
# The counting words these rules were calibrated with: one to a dozen, the scales, and "half" (thirteen
# to ninety were never among them). No word here is a prefix of another, so their order is immaterial.
_NUMWORD = "|".join([w for w, v in NUMBER_WORDS.items() if 1 <= v <= 12 or v >= 100] + ["half"])
_PATTERNS = {
    "date": re.compile(
        rf"\b(?:{_MONTHS})\b|\b(?:1[89]|20)\d\d\b|\b(?:yesterday|today|last|next|early|late|mid)[- ]"
        r"(?:week|month|year|spring|summer|autumn|fall|winter)\b|\b(?:since|until|after|before)\b",
        re.I,
    ),
    "day": re.compile(
        rf"\b(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS})\b|"
        r"\b\d{4}-\d\d-\d\d\b|\b(?:yesterday|today|tomorrow)\b",
        re.I,
    ),
    "duration": re.compile(
        rf"\b(?:\d+|{_NUMWORD}|a|several|few)[- ](?:year|month|week|day|hour|minute|decade)s?\b"
        r"|\b(?:annual|yearly|monthly|weekly|year-long|long-term|short-term|decades?)\b",
        re.I,
    ),
    "quantity": re.compile(
        rf"\d|%|\b(?:{_NUMWORD}|percent|per cent|near-total|total|majority|most|all|none|bulk|share|fraction)\b",
        re.I,
    ),
    "person": re.compile(
        r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+|\b(?:officials?|government|minister|president|chancellor|commissioner|spokes(?:man|woman|person)|ceo|executives?|sources|author|reporter)\b"
    ),
    # "What share/percentage of X?": a proportion, not any number ("three-month" is no share).
    "share": re.compile(
        r"%|\bper ?cent\b|\b(?:half|halves|third|thirds|quarter|quarters|majority|minority|most|bulk|"
        r"near-total|total|entire|all|none|fraction|proportion)\b|\b\d+ (?:in|out of) \d+\b",
        re.I,
    ),
    "year": re.compile(r"\b(?:1[89]|20)\d\d\b"),
    "money": re.compile(
        r"[$€£¥]|\b(?:euros?|dollars?|yuan|renminbi|pounds? sterling|usd|eur|rmb|cents?)\b|\bfees? of\b", re.I
    ),
    "name": re.compile(r"(?<!^)\b[A-Z][A-Za-z]+"),
}
# "Which company ...?" asks for a name; "which products ...?" need not.
_NAMED_KINDS = (
    r"company|companies|firm|carmaker|automaker|chipmaker|manufacturer|maker|producer|supplier|country|"
    r"countries|nation|economy|economies|city|government|minister|ministry|official|commissioner|chancellor|president|"
    r"executive|ceo|person|agency|bank|newspaper|outlet|publication|organi[sz]ation|region|province|state"
)
_QUESTION_TYPES = [
    # Checked first: "how much does it cost?" asks for an amount of money, not any quantity.
    (
        re.compile(
            r"^\s*how much\b.*\b(?:cost|costs|pay|paid|charge[sd]?|spend|spent|earn\w*|worth|invest\w*|"
            r"fund\w*|price[sd]?|fees?|money)\b|\bwhat (?:is|was|are|were) the (?:\w+ ){0,2}?(?:price|cost|fee)s?\b",
            re.I,
        ),
        "money",
    ),
    (re.compile(r"^\s*(?:in |by |since )?(?:what|which) year\b", re.I), "year"),
    # "On what date", "what exact day": a calendar day, not a month ("late September" does not do).
    (re.compile(r"\b(?:on )?(?:what|which) (?:exact |precise |specific )?(?:date|day)\b|\bexact date\b", re.I), "day"),
    (re.compile(r"^\s*(?:when|by when)\b|\b(?:which|what) month\b", re.I), "date"),
    (re.compile(r"^\s*how long\b", re.I), "duration"),
    (re.compile(r"\bhow much of\b|\bwhat (?:percentage|proportion|share|fraction)\b", re.I), "share"),
    (re.compile(r"\bhow (?:many|much)\b|\bwhat (?:number|amount)\b", re.I), "quantity"),
    (re.compile(r"^\s*(?:who|whom|whose)\b", re.I), "person"),
    (
        re.compile(
            rf"^\s*(?:which|what)\s+(?!(?:kind|type|sort|form)s?\s+of\b)(?:[\w-]+\s+){{0,2}}?(?:{_NAMED_KINDS})(?:['’]s)?\b",
            re.I,
        ),
        "name",
    ),
]


def expected_type(question: str) -> str | None:
    """The kind of fact asked for: ``money``, ``year``, ``day``, ``date``, ``duration``, ``share``,
    ``quantity``, ``person``, ``name``; or None."""
    for pattern, kind in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return None


def has_type(
    text: str, kind: str | None, asked: set[str] | frozenset[str] = frozenset(), names: frozenset[str] = frozenset()
) -> bool:
    """Whether ``text`` contains something of ``kind`` that is not just a word of the question (``asked``).

    A capital at the start of a sentence proves nothing, so a first word counts as a name only if it is
    one of ``names`` (words seen capitalised mid-sentence nearby: "*China* has repeatedly used...").
    """
    if kind is None:
        return True
    for m in _PATTERNS[kind].finditer(text):
        if kind in ("person", "name") and all(w.lower() in asked for w in m.group(0).split()):
            continue  # "Who wrote the SCMP piece?" is not answered by the name "SCMP"
        return True
    if kind == "name":
        first = words(text)[:1]
        if first and first[0] in names and first[0].lower() not in asked:
            return True
    return False


def proper_names(texts: Iterable[str]) -> frozenset[str]:
    """Words capitalised other than at the start of a sentence in ``texts`` (their possessives stripped)."""
    out = set()
    for text in texts:
        for w in words(text)[1:]:
            if w[:1].isupper():
                out.add(re.sub(r"['’]s$", "", w))
    return frozenset(out)


_AUX = AUXILIARIES | MODALS
_NUMBERS = frozenset(_NUMWORD.split("|"))


def counted_noun(question: str) -> str | None:
    """The noun a "how many ...?" question counts ("how many *licences* has China granted?")."""
    toks = [w.lower() for w in words(question)]
    for i in range(len(toks) - 1):
        if toks[i] == "how" and toks[i + 1] == "many":
            phrase = []
            for w in toks[i + 2 :]:
                if w in _AUX:
                    break
                phrase.append(w)
            if "of" in phrase:  # "how many tonnes of rare earths": tonnes are counted
                phrase = phrase[: phrase.index("of")]
            return phrase[-1] if phrase else None
    return None


def has_count(text: str, noun: str, window: int = 3) -> bool:
    """Whether a number in ``text`` counts ``noun`` ("2,000 tonnes", "three new licences").

    The number must come shortly before the noun: "three-month licences" and "licences ... from
    three months" do not count licences.
    """
    toks = [w.lower() for w in words(text)]
    target = stem(noun)
    nums = [i for i, w in enumerate(toks) if w.replace(",", "").replace(".", "").isdigit() or w in _NUMBERS]
    nouns = [i for i, w in enumerate(toks) if stem(w) == target]
    return any(0 < j - i <= window for i in nums for j in nouns)
