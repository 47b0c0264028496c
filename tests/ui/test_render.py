"""ui.render: pure Answer -> HTML functions (escaping, chips, marks at exact offsets, abstentions)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from evil_docs import EVIL_HTML, EVIL_TXT

from index.clean import clean
from rag.types import Answer, Citation
from ui.render import (
    Source,
    Turn,
    answer_html,
    article_html,
    draft_html,
    error_html,
    mark_paragraph,
    paragraph_for,
    source_card_html,
    sources_html,
    stream_frames,
    user_html,
)

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
SAFE_TAGS = {"div", "a", "b", "i", "p", "mark", "span", "details", "summary", "article", "header"}


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SAFE_TAGS:
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "style") or (value or "").lower().startswith("javascript"):
                self.bad.append(f"{tag}[{name}]")


def inert(html: str) -> bool:
    """True when ``html`` builds only the renderer's own elements, with no handlers or sources."""
    p = _Elements()
    p.feed(html)
    p.close()
    return not p.bad


def _span(raw: str, needle: str) -> tuple[int, int]:
    start = raw.index(needle)
    return start, start + len(needle)


def _cite(n: int, raw: str, needle: str, source: str = "docs/zorblat.txt", **meta: str) -> Citation:
    start, end = _span(raw, needle)
    return Citation(n, source, start, end, raw[start:end], **meta)


def _answer(*cites: Citation) -> Answer:
    text = " ".join(f"{c.quote} [{c.id}]" for c in cites)
    return Answer("q?", text, tuple(cites))


def _marks(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<mark class="rag-quote">(.*?)</mark>', html, re.DOTALL)]


def test_answer_escapes_document_text_and_makes_chips() -> None:
    s1 = "The Zorblat lantern festival in Quenton is held every April, and its banner reads " + SCRIPT
    s2 = "Visitors who arrive late see a poster showing " + IMG + " beside the gate."
    html = answer_html(_answer(_cite(1, EVIL_TXT, s1), _cite(2, EVIL_TXT, s2)), turn=3)
    assert inert(html), html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html and "onerror=&quot;" in html
    chips = re.findall(r'<a class="cite-chip" href="#src-3-(\d)" title="show source \[\d\]">(\d)</a>', html)
    assert chips == [("1", "1"), ("2", "2")]
    outside = re.sub(r"<a [^>]*>.*?</a>", "", html)
    assert "[1]" not in outside and "[2]" not in outside  # markers became chips
    assert "rag-abstain" not in html


def test_marker_without_citation_stays_text() -> None:
    html = answer_html(Answer("q", "Something [7]", ()), turn=0)
    assert "cite-chip" not in html and "[7]" in html


def test_abstention_has_no_chips_and_a_notice() -> None:
    ans = Answer("Who won?", "The indexed documents don't answer this: no evidence [1].", (), (), True, reason="x")
    html = answer_html(ans, turn=0)
    assert "cite-chip" not in html and "Not in the sources" in html and 'class="rag-abstain"' in html
    assert sources_html([Turn("Who won?", "Who won?", ans)], {}).count("No sources") == 1


def test_rewritten_question_is_shown_escaped() -> None:
    ans = Answer("EU <b>then</b>?", "x", ())
    html = answer_html(ans, 0, typed="and <b>then</b>?")
    assert "searched for: EU &lt;b&gt;then&lt;/b&gt;?" in html
    assert "searched for" not in answer_html(ans, 0, typed="EU  <b>then</b>?")


def test_user_and_error_messages_are_escaped() -> None:
    assert inert(user_html(IMG + "\n" + SCRIPT))
    assert inert(draft_html(f"draft {IMG}")) and "rag-draft" in draft_html("x")
    assert inert(error_html(f"bad {SCRIPT}"))
    assert "Can’t ask that" in error_html("the question is 2,500 characters; the limit is 2,000")


def test_stream_frames_grow_to_the_whole_text_without_markers() -> None:
    frames = list(stream_frames(f"One {SCRIPT} two three four. [1] Five six. [2]", steps=3))
    assert len(frames) >= 2 and all(inert(f) for f in frames)
    last = unescape(re.sub(r"<[^>]+>", "", frames[-1]))
    assert last == f"One {SCRIPT} two three four. Five six."
    assert len(frames[0]) < len(frames[-1])
    assert list(stream_frames("")) == []


def test_mark_is_exactly_the_cited_span_inside_its_paragraph() -> None:
    c = _cite(1, EVIL_TXT, "Visitors who arrive late see a poster showing " + IMG)
    card = source_card_html(c, Source(EVIL_TXT, "txt"), turn=0)
    assert _marks(card) == [EVIL_TXT[c.start : c.end]]
    assert 'id="src-0-1"' in card and " beside the gate." in card  # the rest of the paragraph is context
    assert inert(card)


def test_card_metadata_is_escaped_and_falls_back_when_the_file_changed() -> None:
    c = _cite(2, EVIL_TXT, "Zorblat lantern festival", publisher=IMG, title=SCRIPT, date="<i>2024</i>")
    card = source_card_html(c, Source("changed file " * 20, "txt"), turn=1)
    assert _marks(card) == ["Zorblat lantern festival"]
    assert inert(card) and "&lt;i&gt;2024" in card


def test_marks_map_raw_offsets_across_removed_chrome() -> None:
    raw = "Intro line.\nThe minister said (opens in a new tab) the talks would resume in May.\n"
    ct = clean(raw, "txt")
    start = raw.index("said")
    end = raw.index(" would")
    para = paragraph_for(ct, start, end)
    assert para is not None and "(opens" not in para.text
    # The span covers the chrome in the raw file; only the kept text is marked.
    assert _marks(mark_paragraph(para, [(start, end)])) == ["said the talks"]
    assert len(para.to_raw(para.text.index("said"), para.text.index(" would"))) == 2


def test_window_trims_long_paragraphs_at_word_boundaries() -> None:
    raw = " ".join(f"w{i}" for i in range(400)) + " TARGET " + " ".join(f"v{i}" for i in range(400))
    ct = clean(raw, "txt")
    start, end = _span(raw, "TARGET")
    html = mark_paragraph(ct.paragraphs[0], [(start, end)], window=40)
    assert html.startswith("… ") and html.endswith(" …") and _marks(html) == ["TARGET"]
    assert len(html) < 200 and not re.search(r"… \S*\d w", html[:3])


def test_article_escapes_txt_and_html_and_marks_every_span() -> None:
    a, b = _span(EVIL_TXT, SCRIPT), _span(EVIL_TXT, IMG)
    html = article_html(Source(EVIL_TXT, "txt"), {"title": SCRIPT, "publisher": IMG}, [a, b])
    assert inert(html)
    assert _marks(html) == [SCRIPT, IMG] and "2 cited passage(s)" in html
    assert "${window.__pwned=1}" in html  # template syntax is inert text too

    doc = article_html(Source(EVIL_HTML, "html"), {}, [])
    assert inert(doc)
    assert "Quenton market notes" in doc or "Quenton glass market" in doc
    # Entities display as the characters they stand for, escaped once more: still inert.
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in doc and "&amp;lt;" not in doc


def test_sources_panel_lists_turns_newest_first_with_only_the_newest_open() -> None:
    c1 = _cite(1, EVIL_TXT, "Zorblat Gazette")
    c2 = _cite(1, EVIL_TXT, "Visitors who arrive late")
    turns = [
        Turn("first?", "first?", _answer(c1)),
        Turn("bad", "bad", None, "too long"),
        Turn("third", "t", _answer(c2)),
    ]
    html = sources_html(turns, {c1.source: Source(EVIL_TXT, "txt")})
    assert html.index('id="turn-2"') < html.index('id="turn-0"') and 'id="turn-1"' not in html
    assert '<details class="rag-turn" id="turn-2" open>' in html and '<details class="rag-turn" id="turn-0">' in html
    assert 'id="src-2-1"' in html and 'id="src-0-1"' in html
    assert "appear here" in sources_html([], {})
