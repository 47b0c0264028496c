"""Drop page chrome (ads, widgets, counters, repeated titles) while keeping every offset into the raw file.

Rules are about *kinds* of chrome, not about particular files: boilerplate line patterns, runs of
tiny widget lines, repeated title-like lines and inline link notes. What survives is a list of
paragraphs, each a list of raw ``(start, end)`` intervals, so any cleaned span maps back exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Paragraph", "CleanText", "clean", "is_chrome_line"]

Interval = tuple[int, int]

_CHROME_LINE = re.compile(
    r"""^(?:
        advertisements?|sponsored(?:\ content)?|ad|promoted|
        table\ of\ contents|contents|
        \d+\ comments?|comments?|no\ comments|leave\ a\ (?:comment|reply)|
        reading\ time\s*:?.*|\d+\s*min(?:ute)?s?\ read|
        why\ you\ can\ trust\b.*|
        select\ voice|choose\ your\ listening\ speed|listen\ to\ (?:this\ )?(?:article|story).*|
        get\ through\ articles\b.*|
        \d+(?:\.\d+)?\s*x|\d+\s*wpm|slow|average|fast|normal|
        \d+(?:\.\d+)?[km]?\ (?:shares?|likes?|views?|reads?)|[\d.,]+[km]?|
        share(?:\ this)?(?:\ (?:article|story|page))?|print|e-?mail|subscribe\b.*|sign\ (?:up|in)\b.*|
        log\ ?in|read\ more|related(?:\ (?:articles|stories|topics))?|more\ from\b.*|follow\ us\b.*|
        skip\ to\b.*|.*\bcookies?\b.*(?:accept|consent|settings).*|accept(?:\ all)?\ cookies|
        (?:photo|image|picture|video)(?:\ credit)?\s*:.*|
        (?:©|\(c\)|copyright\b).*|all\ rights\ reserved.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Notes that widgets and link decorators splice into running text.
_INLINE_CHROME = re.compile(
    r"\s*\((?:opens|open) in (?:a )?new (?:tab|window)\)"
    r"|\s*\[(?:advertisement|ad)\]"
    r"|\s+(?:Photo|Image|Picture)(?: credit)?:\s*[^.!?\n]{1,60}$",
    re.IGNORECASE,
)
_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_MD_PREFIX = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+•]\s+|\d{1,3}[.)]\s+)")
_MD_LINK_TAIL = re.compile(r"\]\([^)\s]*\)")
_HTML_DROP = re.compile(
    r"<(script|style|noscript|nav|header|footer|aside|form|button|svg|template|iframe)\b.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_HTML_BLOCK = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|section|article|blockquote|pre|hr|title)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Paragraph:
    """One kept line/block: raw intervals whose concatenation is ``text``."""

    intervals: tuple[Interval, ...]
    text: str

    def to_raw(self, start: int, end: int) -> list[Interval]:
        """Map ``text[start:end]`` to the raw intervals it covers (split where chrome was cut out)."""
        out: list[Interval] = []
        pos = 0
        for s, e in self.intervals:
            n = e - s
            lo, hi = max(start, pos), min(end, pos + n)
            if lo < hi:
                rs, re_ = s + lo - pos, s + hi - pos
                if out and out[-1][1] == rs:
                    out[-1] = (out[-1][0], re_)
                else:
                    out.append((rs, re_))
            pos += n
        return out


@dataclass(frozen=True)
class CleanText:
    """The chrome-free content of a raw text, as paragraphs that map back to it."""

    raw: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def spans(self) -> list[Interval]:
        """Every kept raw interval, in order."""
        return [iv for p in self.paragraphs for iv in p.intervals]

    @property
    def text(self) -> str:
        """The cleaned text, one paragraph per line (for viewing and tests)."""
        return "\n".join(p.text for p in self.paragraphs)


def is_chrome_line(line: str) -> bool:
    """True for a whole line that is boilerplate wherever it appears (ads, counters, widget labels)."""
    return bool(_CHROME_LINE.match(line.strip()))


def _make(raw: str, intervals: list[Interval]) -> Paragraph:
    ivs = tuple((s, e) for s, e in intervals if e > s)
    return Paragraph(ivs, "".join(raw[s:e] for s, e in ivs))


def _cut(raw: str, para: Paragraph, pattern: re.Pattern[str]) -> Paragraph:
    """Remove every match of ``pattern`` from a paragraph, keeping the rest's raw mapping."""
    keep: list[Interval] = []
    last = 0
    for m in pattern.finditer(para.text):
        keep.extend(para.to_raw(last, m.start()))
        last = m.end()
    if last == 0:
        return para
    keep.extend(para.to_raw(last, len(para.text)))
    return _make(raw, keep)


def _trim(raw: str, para: Paragraph) -> Paragraph:
    text = para.text
    lead = len(text) - len(text.lstrip())
    trail = len(text.rstrip())
    return _make(raw, para.to_raw(lead, trail)) if (lead or trail < len(text)) else para


def _text_lines(raw: str, markdown: bool) -> list[Paragraph]:
    out: list[Paragraph] = []
    pos = 0
    for line in raw.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        para = _make(raw, [(pos, pos + len(body))])
        if markdown:
            para = _cut(raw, para, _MD_LINK_TAIL)
            para = _cut(raw, para, re.compile(r"^\s*(?:#{1,6}\s+|>\s*)|\[|\*\*|__|`"))
        out.append(para)
        pos += len(line)
    return out


def _html_blocks(raw: str) -> list[Paragraph]:
    """Text between tags, grouped into blocks at block-level tags and blank lines."""
    dropped = [m.span() for m in _HTML_DROP.finditer(raw)]
    blocks: list[list[Interval]] = [[]]
    pos = 0
    for m in _HTML_TAG.finditer(raw):
        s, e = m.span()
        if any(ds <= s < de for ds, de in dropped):
            if pos < s and not any(ds <= pos < de for ds, de in dropped):
                blocks[-1].append((pos, s))
            pos = e
            continue
        if pos < s:
            for i, piece in enumerate(re.split(r"(\n\s*\n)", raw[pos:s])):
                if i % 2:
                    blocks.append([])
                    continue
                blocks[-1].append((pos, pos + len(piece)))
                pos += len(piece)
            pos = s
        if _HTML_BLOCK.match(m.group(0)):
            blocks.append([])
        pos = e
    if pos < len(raw):
        blocks[-1].append((pos, len(raw)))
    paras = []
    for ivs in blocks:
        # Collapse in-block newlines: a block is one paragraph however the HTML was wrapped.
        para = _make(raw, [iv for iv in ivs if not any(ds <= iv[0] < de for ds, de in dropped)])
        if para.text.strip():
            paras.append(para)
    return paras


def _title_like(text: str) -> bool:
    return not _TERMINAL.search(text) and len(text.split()) <= 15


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def clean(raw: str, fmt: str = "txt") -> CleanText:
    """Split ``raw`` into content paragraphs, dropping page chrome; ``fmt`` is txt, md or html."""
    if fmt in ("html", "htm"):
        paras = _html_blocks(raw)
    else:
        paras = _text_lines(raw, markdown=fmt in ("md", "markdown"))
    paras = [_trim(raw, _cut(raw, p, _INLINE_CHROME)) for p in paras]
    paras = [p for p in paras if p.text and re.search(r"\w", p.text)]

    drop = [is_chrome_line(p.text) for p in paras]
    # A run of tiny unpunctuated lines is a widget (player controls, share bars, tag clouds).
    i = 0
    while i < len(paras):
        j = i
        while j < len(paras) and len(paras[j].text.split()) <= 5 and _title_like(paras[j].text):
            j += 1
        if j - i >= 4:
            drop[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    # Repeated lines: keep the first copy of prose, but a repeated title-like line is a widget label.
    counts: dict[str, int] = {}
    for p in paras:
        counts[_norm(p.text)] = counts.get(_norm(p.text), 0) + 1
    seen: set[str] = set()
    for k, p in enumerate(paras):
        key = _norm(p.text)
        if key in seen or (counts[key] > 1 and _title_like(p.text)):
            drop[k] = True
        seen.add(key)
    return CleanText(raw, tuple(p for p, d in zip(paras, drop) if not d))
