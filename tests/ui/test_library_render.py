"""Pure rendering of the library and of stale citations: escaped, and stale chips never highlight."""

from __future__ import annotations

from rag.sources import DocInfo
from rag.types import Answer, Citation
from rag.uploads import Refused
from ui.library_html import doc_label, doclist_html, status_html
from ui.render import Source, Turn, answer_html, source_card_html, sources_html

EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
CITE = Citation(1, "uploads/a.txt", 0, 5, "Hello", title=EVIL)
ANSWER = Answer("q?", "Hello [1]", (CITE,))


def _doc(**kw: object) -> DocInfo:
    base = dict(id="abc", source="s.txt", title=EVIL, publisher=EVIL, date="2026", chunks=3, sha256="f", uploaded=True)
    return DocInfo(**{**base, **kw})  # type: ignore[arg-type]


def test_lists_escape_every_field() -> None:
    html = doclist_html([_doc()], "rag")
    assert "<img" not in html and "<script" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert ">3<" in html and "uploaded" in html
    assert "No documents" in doclist_html([], "<b>x</b>") and "<b>x</b>" not in doclist_html([], "<b>x</b>")
    assert doc_label(_doc(chunks=1, publisher="", date="")).endswith("· 1 chunk")  # plain text, Gradio escapes
    status = status_html("1 refused", [Refused("<b>a.txt</b>", "binary <i>")], "error")
    assert "<b>a.txt</b>" not in status and "&lt;b&gt;a.txt&lt;/b&gt;" in status and "rag-status-error" in status


def test_stale_chips_and_cards() -> None:
    fresh = answer_html(ANSWER, 0)
    assert 'class="cite-chip"' in fresh and "stale" not in fresh
    stale = answer_html(ANSWER, 0, stale={"uploads/a.txt"})
    assert "cite-stale" in stale and "1 stale" in stale
    card = source_card_html(CITE, Source("Hello world"), 0, stale=True)
    assert "Stale citation" in card and "<mark" not in card and "&lt;script&gt;" in card
    assert "<mark" in source_card_html(CITE, Source("Hello world"), 0)
    panel = sources_html([Turn("q?", "q?", ANSWER)], {"uploads/a.txt": Source("Hello world")}, [{"uploads/a.txt"}])
    assert "Stale citation" in panel and "<mark" not in panel
