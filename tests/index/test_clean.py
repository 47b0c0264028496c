"""Chrome stripping: boilerplate goes, article text stays, offsets stay exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.clean import clean, is_chrome_line
from index.sentences import sentences_of

CHROME = [
    "Advertisement",
    "Select Voice",
    "Choose your listening speed",
    "Get through articles 2x faster",
    "250 WPM",
    "Reading Time:5 minutes",
    "Why you can trust SCMP",
    "Table of Contents",
    "0 Comments",
    "(opens in a new tab)",
    "Photo: Reuters",
    "China Future Tech webinar",
    "© 2025 Rare Earth Exchanges",
]


@pytest.mark.parametrize("name", ["000_17db5ef171448135.txt", "002_afb7bb23509a6b82.txt"])
def test_seed_chrome_is_gone_and_offsets_hold(seeds_dir: Path, name: str) -> None:
    raw = (seeds_dir / name).read_text(encoding="utf-8")
    cleaned = clean(raw)
    for chrome in CHROME:
        assert chrome not in cleaned.text, chrome
    for para in cleaned.paragraphs:
        assert "".join(raw[s:e] for s, e in para.intervals) == para.text
    assert len(cleaned.text) > 0.6 * len(raw)


def test_article_text_survives(seeds_dir: Path) -> None:
    raw = (seeds_dir / "002_afb7bb23509a6b82.txt").read_text(encoding="utf-8")
    text = clean(raw).text
    assert "Currently, only three-month licences are available." in text
    assert "The controls roiled European industry." in text


def test_rules_are_general_not_file_specific() -> None:
    raw = (
        "Advertisement\n"
        "Markets rally as rates fall\n"
        "Stocks rose on Tuesday, the Daily Planet reports (opens in a new tab) with traders cheering.\n"
        "Listen to this article\n"
        "Share\n"
        "Print\n"
        "Email\n"
        "1.5x\n"
        "Watch: the rally explained | Markets hour\n"
        "Watch: the rally explained | Markets hour\n"
        "Bond yields dropped to 3.9% after the central bank spoke. Photo: AP\n"
        "12 Comments\n"
    )
    cleaned = clean(raw)
    assert cleaned.text.splitlines() == [
        "Markets rally as rates fall",
        "Stocks rose on Tuesday, the Daily Planet reports with traders cheering.",
        "Bond yields dropped to 3.9% after the central bank spoke.",
    ]
    sents = sentences_of("d", cleaned)
    assert all(raw[s.start : s.end] == s.text for s in sents)
    # the sentence cut by an inline link note becomes two exact clauses, neither containing chrome
    assert [s.text for s in sents][1:3] == [
        "Stocks rose on Tuesday, the Daily Planet reports",
        "with traders cheering.",
    ]


def test_prose_repeated_once_keeps_first_copy() -> None:
    raw = "The deal was signed on Monday.\nOther text here.\nThe deal was signed on Monday.\n"
    assert clean(raw).text.splitlines() == ["The deal was signed on Monday.", "Other text here."]


def test_html_tags_scripts_and_chrome_are_dropped() -> None:
    raw = (
        "<html><head><style>p{}</style><script>alert('x')</script></head><body>"
        "<nav>Home | World</nav><h1>Rates fall</h1><p>Stocks <b>rose</b> sharply.</p>"
        "<div>Advertisement</div><p>Bonds fell &amp; yields dropped.</p><footer>© 2025</footer></body></html>"
    )
    cleaned = clean(raw, "html")
    assert cleaned.text.splitlines() == ["Rates fall", "Stocks rose sharply.", "Bonds fell &amp; yields dropped."]
    for p in cleaned.paragraphs:
        assert "".join(raw[s:e] for s, e in p.intervals) == p.text


def test_markdown_markup_is_dropped_but_offsets_hold() -> None:
    raw = "# Title here\n\nSome **bold** claim with a [link](http://x.y/z).\n"
    cleaned = clean(raw, "md")
    assert cleaned.text.splitlines() == ["Title here", "Some bold claim with a link."]


@pytest.mark.parametrize("line", ["Advertisement", "3 comments", "Reading time: 4 min", "1.25x", "Share this article"])
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize("line", ["The controls roiled European industry.", "Highlights", "Source: Reuters, 2025."])
def test_content_lines(line: str) -> None:
    assert not is_chrome_line(line)
