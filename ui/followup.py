"""Follow-up questions: rewrite with the previous turn before retrieval.

The rule (deliberately simple and predictable): a question is a *follow-up* when it has fewer than
four words; or starts with a pronoun (``it``, ``they``, ``that``…), ``and``/``but``/``also``/``so``, or
``what about``/``how about``; or has fewer than eight words, one of them a back-reference (``it``,
``they``, ``that``, ``then``…: "what did China do then?"). A follow-up is searched as the previous
searched question's content words (its words minus stop words and question words, at most eight)
followed by the question as typed:
"Why did EU officials tone down their rhetoric?" then "and what did Beijing do after that?" searches
"EU officials tone down rhetoric — and what did Beijing do after that?". Any other question is searched
as typed. The chat shows the searched text whenever it differs from what was typed.
"""

from __future__ import annotations

import re

__all__ = ["is_followup", "content_words", "rewrite"]

_PRONOUNS = {
    "it", "its", "they", "them", "their", "theirs", "this", "that", "these", "those",
    "he", "him", "his", "she", "her", "hers", "there", "then",
}  # fmt: skip
_BACKREFS = {"it", "they", "them", "that", "this", "these", "those", "then", "there", "he", "she", "him"}
_LEADS = ("and", "but", "also", "so", "what about", "how about", "then")
_STOP = {
    "a", "an", "the", "of", "to", "in", "on", "for", "by", "with", "at", "from", "as", "about", "into",
    "and", "or", "but", "so", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did",
    "have", "has", "had", "can", "could", "would", "should", "will", "shall", "may", "might", "must",
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "much", "many",
    "this", "that", "these", "those", "it", "its", "they", "them", "their", "he", "she", "his", "her",
    "i", "me", "my", "we", "our", "you", "your", "there", "then", "than", "not", "no", "yes",
    "tell", "say", "said", "according", "please", "kind", "each", "other", "any", "some", "own",
}  # fmt: skip
_WORD = re.compile(r"[\w’'-]+")
MAX_WORDS = 8


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_followup(question: str) -> bool:
    """True when ``question`` leans on the previous turn (short, or opens with a pronoun or a lead word)."""
    words = [w.lower() for w in _words(question)]
    if not words:
        return False
    if len(words) < 4 or words[0] in _PRONOUNS:
        return True
    head = " ".join(words[:2])
    if any(head == lead or words[0] == lead for lead in _LEADS):
        return True
    return len(words) < 8 and any(w in _BACKREFS for w in words)


def content_words(question: str, limit: int = MAX_WORDS) -> list[str]:
    """The question's content words in order, without stop words, question words or repeats."""
    seen: set[str] = set()
    out: list[str] = []
    for w in _words(question):
        low = w.lower().strip("’'-")
        if not low or low in _STOP or low in seen:
            continue
        seen.add(low)
        out.append(w.strip("’'-"))
    return out[:limit]


def rewrite(question: str, previous: str | None, max_chars: int | None = None) -> str:
    """The text to search for ``question`` given the ``previous`` searched question (``None`` at the start).

    Returns ``question`` unchanged when it is not a follow-up, when there is nothing to borrow, or when
    the rewrite would exceed ``max_chars`` (the core then reports its own length error).
    """
    if not previous or not is_followup(question):
        return question
    q = " ".join(question.split())
    have = {w.lower() for w in _words(q)}
    borrowed = [w for w in content_words(previous) if w.lower() not in have]
    out = f"{' '.join(borrowed)} — {q}"
    return question if not borrowed or (max_chars is not None and len(out) > max_chars) else out
