"""Questions that must be abstained before any retrieval: instructions to ignore the documents."""

from __future__ import annotations

import re

__all__ = ["is_instruction_override"]

_OVERRIDE = [
    re.compile(
        r"\b(?:ignore|disregard|forget|bypass|override|skip|set aside|drop)\b[^.?!]{0,40}?"
        r"\b(?:sources?|documents?|docs|articles?|pieces|stories|reports|texts|context|instructions?|rules|prompts?|"
        r"guidelines|above|citations?)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:without|don'?t|do not|never|stop)\b[^.?!]{0,20}?\b(?:using|use|citing|cite|relying on|looking at)\b"
        r"[^.?!]{0,20}?\b(?:sources?|documents?|articles?|context|citations?)\b",
        re.I,
    ),
    re.compile(r"\b(?:system prompt|hidden prompt|jailbreak|developer mode|you are now|from now on you)\b", re.I),
    re.compile(
        r"\b(?:use|using|from|rely on|draw on) your (?:own |general |background |prior |world )*"
        r"(?:knowledge|opinion|judg(?:e)?ment|training)\b"
        r"|\bgive me your own\b",
        re.I,
    ),
    # "Set the two articles aside", "put the sources to one side".
    re.compile(
        r"\b(?:set|put|leave|lay|push)\b[^.?!]{0,30}?\b(?:sources?|documents?|docs|articles?|context|texts?)\b"
        r"[^.?!]{0,10}?\b(?:aside|to (?:one|the) side)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:from (?:your )?memory|from (?:your )?general knowledge|(?:rather than|instead of|not from)\b"
        r"[^.?!]{0,15}?\b(?:sources?|documents?|docs|articles?|context))\b",
        re.I,
    ),
    # Role-play that removes the documents: "pretend you have no documents", "imagine there are no sources".
    re.compile(
        r"\b(?:pretend|imagine|assume|suppose|act as if|behave as if)\b[^.?!]{0,30}?\b(?:no|without|never)\b"
        r"[^.?!]{0,20}?\b(?:sources?|documents?|docs|articles?|context|citations?|rules)\b",
        re.I,
    ),
]


def is_instruction_override(question: str) -> bool:
    """True when the question tells the assistant to drop its documents or its rules."""
    return any(p.search(question) for p in _OVERRIDE)
