"""What kind of fact a question asks for, and whether a sentence holds one."""

from __future__ import annotations

import re

__all__ = ["expected_type", "has_type"]

_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_NUMWORD = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|million|billion|half"
_PATTERNS = {
    "date": re.compile(
        rf"\b(?:{_MONTHS})\b|\b(?:1[89]|20)\d\d\b|\b(?:yesterday|today|last|next|early|late|mid)[- ]"
        r"(?:week|month|year|spring|summer|autumn|fall|winter)\b|\b(?:since|until|after|before)\b",
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
    "place": re.compile(r"(?<!^)\b[A-Z][a-z]+"),
}
_QUESTION_TYPES = [
    (
        re.compile(r"^\s*(?:when|in what year|what year|which year|on what date|what date|by when)\b", re.I),
        "date",
    ),
    (re.compile(r"^\s*how long\b", re.I), "duration"),
    (
        re.compile(r"\bhow (?:many|much)\b|\bwhat (?:percentage|proportion|share|fraction|number|amount)\b", re.I),
        "quantity",
    ),
    (re.compile(r"^\s*(?:who|whom)\b", re.I), "person"),
    (re.compile(r"^\s*where\b", re.I), "place"),
]


def expected_type(question: str) -> str | None:
    """``date``, ``duration``, ``quantity``, ``person``, ``place`` or None (anything goes)."""
    for pattern, kind in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return None


def has_type(text: str, kind: str | None, asked: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` contains something of ``kind`` that is not just a word of the question (``asked``)."""
    if kind is None:
        return True
    for m in _PATTERNS[kind].finditer(text):
        if kind in ("person", "place") and all(w.lower() in asked for w in m.group(0).split()):
            continue  # "Who wrote the SCMP piece?" is not answered by the name "SCMP"
        return True
    return False
