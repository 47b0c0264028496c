"""Property: every sentence and chunk span re-reads exactly from the raw text, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunk import chunk_sentences
from index.clean import clean
from index.sentences import sentences_of
from index.types import Document

WORD = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=10)
SENTENCE = st.builds(
    lambda ws, end: " ".join(ws).capitalize() + end,
    st.lists(WORD, min_size=1, max_size=12),
    st.sampled_from([".", "!", "?", "", "…", '."', "’."]),
)
CHROME = st.sampled_from(
    ["Advertisement", "0 Comments", "Select Voice", "1.25x", " (opens in a new tab)", "Photo: Reuters", "18"]
)
LINE = st.one_of(
    st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join),
    CHROME,
    st.tuples(SENTENCE, CHROME, SENTENCE).map("".join),
    st.just(""),
    st.text(max_size=40),
)
NEWLINE = st.sampled_from(["\n", "\r\n", "\n\n"])


def _fake_counter(texts):  # whitespace words stand in for wordpieces: fast and deterministic
    return [len(t.split()) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(LINE, NEWLINE), max_size=25), st.sampled_from(["txt", "md"]))
def test_spans_reread_exactly(lines, fmt):
    raw = "".join(a + b for a, b in lines)
    raw = raw.replace("\r\n", "\n")  # as Path.read_text delivers it
    cleaned = clean(raw, fmt)
    for para in cleaned.paragraphs:
        assert "".join(raw[s:e] for s, e in para.intervals) == para.text
    sents = sentences_of("d", cleaned)
    for s in sents:
        assert raw[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
    doc = Document("d", "x.txt", raw, "0" * 64)
    chunks = chunk_sentences(doc, sents, max_tokens=20, counter=_fake_counter)
    covered = [span for c in chunks for span in c.sentences]
    assert set(covered) == {(s.start, s.end) for s in sents}
    for c in chunks:
        assert c.start == c.sentences[0][0] and c.end == c.sentences[-1][1]
        assert c.text == " ".join(raw[a:b] for a, b in c.sentences)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(SENTENCE, CHROME, st.just("<b>"), st.just("</p><p>"), st.just("<script>x</script>"))))
def test_html_spans_reread_exactly(parts):
    raw = "<html><body><p>" + " ".join(parts) + "</p></body></html>"
    for s in sentences_of("d", clean(raw, "html")):
        assert raw[s.start : s.end] == s.text
        assert "<" not in s.text


def test_chunks_fit_minilm_window(seeds_dir):
    from index.chunk import MAX_TOKENS, count_tokens
    from index.load import load_file

    for f in sorted(seeds_dir.glob("*.txt")):
        doc = load_file(f, seeds_dir.parent)
        assert isinstance(doc, Document)
        chunks = chunk_sentences(doc, sentences_of(doc.id, clean(doc.raw_text)))
        assert chunks
        assert max(count_tokens([c.text for c in chunks])) <= MAX_TOKENS
