"""Pure functions that turn answers and documents into HTML for the chat UI.

Every piece of document or user text goes through :func:`html.escape` before it is placed in markup,
so a document holding ``<script>`` or ``<img onerror=...>`` renders as text and runs nothing. Offsets
are raw character offsets into the source file (``raw[start:end] == quote``), the same ones citations carry.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape, unescape

from index.clean import CleanText, Paragraph, clean
from rag.types import Answer, Citation

__all__ = [
    "Source",
    "Turn",
    "answer_html",
    "article_html",
    "draft_html",
    "error_html",
    "mark_paragraph",
    "paragraph_for",
    "source_card_html",
    "sources_html",
    "stream_frames",
    "user_html",
]

_MARKER = re.compile(r"\[(\d+)\]")
_CONTEXT = 280  # characters of paragraph shown on each side of a quote in the sources panel

Span = tuple[int, int]


@dataclass(frozen=True)
class Source:
    """A source file's raw text and format (``txt``, ``md``, ``html``) as the index read it."""

    raw: str
    fmt: str = "txt"


@dataclass(frozen=True)
class Turn:
    """One question of a conversation: what was typed, what was searched, and the answer (or an error)."""

    question: str
    asked: str
    answer: Answer | None = None
    error: str = ""
    collection: str = ""  # the collection asked ("" = the page's default)
    # (source, document id, sha256) of each cited document when the answer was given: a citation whose
    # document has since changed or gone is shown as stale instead of highlighting the wrong text.
    versions: tuple[tuple[str, str, str], ...] = ()


def _esc(text: str) -> str:
    return escape(text, quote=True)


@lru_cache(maxsize=64)
def _clean(raw: str, fmt: str) -> CleanText:
    return clean(raw, fmt)


def _is_html(fmt: str) -> bool:
    return fmt.lower() in ("html", "htm")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def user_html(question: str) -> str:
    """A user's message, escaped (the chat renders HTML)."""
    return f'<div class="rag-user">{_esc(_one_line(question))}</div>'


_STALE = "stale: its document was changed or removed after this answer"


def answer_html(answer: Answer, turn: int, typed: str = "", stale: Collection[str] = ()) -> str:
    """The chat bubble of an answer: ``[n]`` markers become chips linking to ``#src-{turn}-{n}``.

    The chat's sanitiser keeps ``class`` and ``href`` (not ``data-*``), so the target lives in the href.

    An abstention has no chips and a distinct "not in the sources" notice. When the question searched
    (``answer.question``, e.g. a rewritten follow-up) differs from the ``typed`` one, it is shown too.
    A citation whose source is in ``stale`` gets a chip marked stale.
    """
    note = ""
    if typed and _one_line(typed) != answer.question:
        note = f'<div class="rag-asked">searched for: {_esc(answer.question)}</div>'
    if answer.abstained:
        return (
            f'<div class="rag-abstain" role="note"><div class="rag-abstain-title">Not in the sources</div>'
            f"<div>{_esc(_one_line(answer.text))}</div>{note}</div>"
        )
    ids = {c.id for c in answer.citations}
    old = {c.id for c in answer.citations if c.source in stale}
    parts: list[str] = []
    last = 0
    text = _one_line(answer.text)
    for m in _MARKER.finditer(text):
        parts.append(_esc(text[last : m.start()]))
        n = int(m.group(1))
        if n in old:
            parts.append(f'<a class="cite-chip cite-stale" href="#src-{turn}-{n}" title="{_STALE}">{n} stale</a>')
        elif n in ids:
            parts.append(f'<a class="cite-chip" href="#src-{turn}-{n}" title="show source [{n}]">{n}</a>')
        else:  # never happens for a checked Answer; shown as plain text rather than a dead link
            parts.append(_esc(m.group(0)))
        last = m.end()
    parts.append(_esc(text[last:]))
    return f'<div class="rag-answer">{"".join(parts)}{note}</div>'


def error_html(message: str) -> str:
    """A refused question (the core's error message), shown in the chat instead of a traceback."""
    return f'<div class="rag-error" role="alert"><b>Can’t ask that:</b> {_esc(message)}</div>'


def stream_frames(text: str, steps: int = 8) -> Iterator[str]:
    """Progressively longer escaped prefixes of an answer (markers hidden) for streaming it word by word."""
    words = _MARKER.sub("", _one_line(text)).split()
    if not words:
        return
    size = max(1, -(-len(words) // steps))
    for i in range(size, len(words) + size, size):
        yield f'<div class="rag-answer rag-streaming">{_esc(" ".join(words[:i]))}</div>'


def draft_html(text: str) -> str:
    """An LLM's draft while it is generated (unverified: replaced by the checked answer when done)."""
    return (
        f'<div class="rag-answer rag-streaming rag-draft">{_esc(_one_line(text))}'
        '<div class="rag-asked">drafting — citations are checked when it is done</div></div>'
    )


def paragraph_for(clean_text: CleanText, start: int, end: int) -> Paragraph | None:
    """The cleaned paragraph that holds raw span ``[start, end)`` (the one overlapping it most)."""
    best: tuple[int, Paragraph | None] = (0, None)
    for p in clean_text.paragraphs:
        overlap = sum(max(0, min(e, end) - max(s, start)) for s, e in p.intervals)
        if overlap > best[0]:
            best = (overlap, p)
    return best[1]


def _local_spans(para: Paragraph, spans: Sequence[Span]) -> list[Span]:
    """Raw spans mapped to offsets in ``para.text``, merged and sorted."""
    out: list[Span] = []
    pos = 0
    for s, e in para.intervals:
        for a, b in spans:
            lo, hi = max(a, s), min(b, e)
            if lo < hi:
                out.append((pos + lo - s, pos + hi - s))
        pos += e - s
    merged: list[Span] = []
    for a, b in sorted(out):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def mark_paragraph(para: Paragraph, spans: Sequence[Span], window: int | None = None, decode: bool = False) -> str:
    """``para.text`` escaped, with the parts covered by raw ``spans`` wrapped in ``<mark>``.

    ``window`` keeps only that many characters around the marks (with ellipses), for the sources panel.
    ``decode`` shows an HTML source's entities as the characters they stand for (``&lt;`` as ``<``):
    each piece is unescaped and then escaped again, so the markup stays inert.
    """
    esc = (lambda t: _esc(unescape(t))) if decode else _esc
    text = para.text
    local = _local_spans(para, spans)
    lo, hi = 0, len(text)
    if window is not None and local:
        lo = max(0, local[0][0] - window)
        hi = min(len(text), local[-1][1] + window)
        cut = text.find(" ", lo, local[0][0]) if lo > 0 else -1
        lo = cut + 1 if cut >= 0 else lo  # start and stop at word boundaries
        cut = text.rfind(" ", local[-1][1], hi) if hi < len(text) else -1
        hi = cut if cut >= 0 else hi
    parts = ["… " if lo > 0 else ""]
    pos = lo
    for a, b in local:
        parts.append(esc(text[pos:a]))
        parts.append(f'<mark class="rag-quote">{esc(text[a:b])}</mark>')
        pos = b
    parts.append(esc(text[pos:hi]))
    parts.append(" …" if hi < len(text) else "")
    return "".join(parts)


def _byline(publisher: str, title: str, date: str, source: str) -> str:
    bits = [
        f"<b>{_esc(publisher)}</b>" if publisher else "",
        f"<i>{_esc(title or source.rsplit('/', 1)[-1])}</i>",
        _esc(date),
    ]
    return " · ".join(b for b in bits if b)


def source_card_html(citation: Citation, source: Source | None, turn: int, stale: bool = False) -> str:
    """One cited passage: publisher, title, date and the quote marked inside its cleaned paragraph.

    A ``stale`` one (its document changed or was removed since) shows the quote as cited, with a notice,
    and is never highlighted in the document's current text.
    """
    c = citation
    context = ""
    if not stale and source is not None and source.raw[c.start : c.end] == c.quote:
        para = paragraph_for(_clean(source.raw, source.fmt), c.start, c.end)
        if para is not None:
            context = mark_paragraph(para, [(c.start, c.end)], window=_CONTEXT, decode=_is_html(source.fmt))
    note = ""
    if stale:
        note = (
            '<div class="rag-stale-note" role="note">Stale citation: this document was changed or removed '
            "after the answer. The quote is shown as it was cited, not located in the current text.</div>"
        )
        context = f"“{_esc(c.quote)}”"
    elif not context:  # the file changed since the answer, or the span lies outside kept paragraphs
        context = f'<mark class="rag-quote">{_esc(c.quote)}</mark>'
    cls = "rag-src rag-src-stale" if stale else "rag-src"
    return (
        f'<div class="{cls}" id="src-{turn}-{c.id}" data-turn="{turn}" data-n="{c.id}">{note}'
        f'<div class="rag-src-head"><span class="rag-src-n">{c.id}</span> '
        f"{_byline(c.publisher, c.title, c.date, c.source)}</div>"
        f'<p class="rag-src-context">{context}</p>'
        f'<div class="rag-src-loc">{_esc(c.source)} [{c.start}:{c.end}]</div></div>'
    )


def sources_html(
    turns: Sequence[Turn], sources: Mapping[str, Source], stale: Sequence[Collection[str]] | None = None
) -> str:
    """The sources panel: each answered question's citations, newest first (older ones folded).

    ``stale[t]`` names the sources of turn ``t`` whose document changed or went since it was answered.
    """
    sections: list[str] = []
    for t in range(len(turns) - 1, -1, -1):
        turn = turns[t]
        ans = turn.answer
        if ans is None:
            continue
        if ans.abstained or not ans.citations:
            body = '<div class="rag-src-none">No sources: the documents don’t answer this.</div>'
        else:
            old = stale[t] if stale is not None and t < len(stale) else ()
            body = "".join(source_card_html(c, sources.get(c.source), t, c.source in old) for c in ans.citations)
        is_open = " open" if not sections else ""
        sections.append(
            f'<details class="rag-turn" id="turn-{t}"{is_open}><summary>Q{t + 1}: {_esc(turn.question)}</summary>'
            f"{body}</details>"
        )
    if not sections:
        return '<div class="rag-src-empty">Cited passages appear here, highlighted in their paragraph.</div>'
    return '<div class="rag-sources">' + "".join(sections) + "</div>"


def article_html(source: Source, meta: Mapping[str, str], spans: Sequence[Span] = ()) -> str:
    """A whole cleaned article (page chrome removed), every raw span in ``spans`` marked."""
    paras = _clean(source.raw, source.fmt).paragraphs
    marked = 0
    body: list[str] = []
    for p in paras:
        html = mark_paragraph(p, spans, decode=_is_html(source.fmt))
        marked += html.count("<mark ")
        body.append(f"<p>{html}</p>")
    head = _byline(meta.get("publisher", ""), meta.get("title", ""), meta.get("date", ""), meta.get("source", ""))
    note = f"{marked} cited passage(s) highlighted" if marked else "nothing from this document cited yet"
    return (
        f'<article class="rag-article"><header>{head}<div class="rag-article-note">{_esc(note)}</div></header>'
        f"{''.join(body)}</article>"
    )
