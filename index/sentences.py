"""Sentence splitting on cleaned paragraphs, returning raw-offset sentences (clauses where chrome was cut)."""

from __future__ import annotations

import re

from index.clean import CleanText
from index.lang import MONTH_ABBREVIATIONS
from index.types import Sentence

__all__ = ["split_paragraph", "sentences_of"]

_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp",
    "no", *MONTH_ABBREVIATIONS,
    "e.g", "i.e", "u.s", "u.k", "e.u", "gov", "gen", "rep", "sen", "fig", "approx", "est",
}  # fmt: skip
_BULLET = re.compile(r"^(?:[-*+•▪–—]\s+|\d{1,3}[.)]\s+)")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")


def split_paragraph(text: str) -> list[tuple[int, int]]:
    """Sentence ``(start, end)`` offsets within ``text``, stripped of whitespace and bullets."""
    cuts = [0]
    for m in _BOUNDARY.finditer(text):
        word = re.search(r"([\w.]+)[.!?…]*[\"'”’)\]]*$", text[: m.end()])
        stem = (word.group(1) if word else "").rstrip(".").lower()
        if text[m.start()] == "." and (stem in _ABBREV or (len(stem) == 1 and stem.isalpha())):
            continue
        cuts.append(m.end())
    cuts.append(len(text))
    out = []
    for s, e in zip(cuts, cuts[1:]):
        seg = text[s:e]
        lead = len(seg) - len(seg.lstrip())
        s += lead
        seg = text[s:e]
        bullet = _BULLET.match(seg)
        if bullet:
            s += bullet.end()
        e = s + len(text[s:e].rstrip())
        if e > s and re.search(r"\w", text[s:e]):
            out.append((s, e))
    return out


def sentences_of(doc_id: str, cleaned: CleanText) -> list[Sentence]:
    """All sentences of a cleaned document, in order; each re-reads exactly from the raw text."""
    raw = cleaned.raw
    out: list[Sentence] = []
    for para in cleaned.paragraphs:
        spans = split_paragraph(para.text)
        heading = (
            len(spans) == 1
            and not _TERMINAL.search(para.text)
            and len(para.text.split()) <= 15
            and not _BULLET.match(para.text)
        )
        for s, e in spans:
            for rs, re_ in para.to_raw(s, e):
                piece = raw[rs:re_]
                lead = len(piece) - len(piece.lstrip())
                rs, re_ = rs + lead, rs + len(piece.rstrip())
                if re_ > rs and re.search(r"\w", raw[rs:re_]):
                    out.append(Sentence(doc_id, rs, re_, raw[rs:re_], heading))
    return out
