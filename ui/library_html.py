"""Pure functions rendering the sources list and upload reports (every title and field escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from rag.sources import DocInfo
from rag.uploads import Refused

__all__ = ["doc_label", "doclist_html", "status_html"]


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def doc_label(d: DocInfo) -> str:
    """A tick box's label: title — publisher · date · N chunks (plain text: Gradio shows it as text)."""
    who = " · ".join(x for x in (d.publisher, d.date) if x)
    return f"{d.title}{' — ' + who if who else ''} · {d.chunks} chunk{'s' if d.chunks != 1 else ''}"


def doclist_html(docs: Sequence[DocInfo], collection: str) -> str:
    """The sources list of a collection: title, publisher, date, size in chunks, where it came from."""
    if not docs:
        return (
            f'<div class="rag-doclist-empty">No documents in “{_esc(collection)}” yet: drop files above '
            "(.txt, .md, .html, .pdf) to add them.</div>"
        )
    rows = []
    for d in docs:
        origin = "uploaded" if d.uploaded else "configured (RAG_DOCS)"
        rows.append(
            f'<tr data-doc="{_esc(d.id)}"><td class="rag-doc-title">{_esc(d.title)}</td><td>{_esc(d.publisher)}</td>'
            f"<td>{_esc(d.date)}</td><td class='rag-num'>{d.chunks}</td><td>{_esc(origin)}</td></tr>"
        )
    chunks = sum(d.chunks for d in docs)
    return (
        f'<div class="rag-doclist"><div class="rag-doclist-head">{len(docs)} document(s), {chunks} chunks in '
        f"“{_esc(collection)}”</div><table><thead><tr><th>Title</th><th>Publisher</th><th>Date</th>"
        f"<th>Chunks</th><th>Source</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def status_html(message: str, refused: Sequence[Refused] = (), kind: str = "ok") -> str:
    """An upload/edit/remove outcome: one line, then each refused file with its reason."""
    items = "".join(f"<li><b>{_esc(r.name)}</b>: {_esc(r.reason)}</li>" for r in refused)
    more = f'<ul class="rag-refused">{items}</ul>' if items else ""
    cls = {"ok": "rag-status-ok", "busy": "rag-status-busy", "error": "rag-status-error"}.get(kind, "rag-status-ok")
    return f'<div class="rag-status {cls}" role="status">{_esc(message)}{more}</div>'
