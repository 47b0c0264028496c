"""The real page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright's sync API)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from uiserver import start_server

from ui.chat import doc_choices

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
Q1 = "What licence duration are the EU and China close to agreeing on?"
Q2 = "What kind of company is Nexperia?"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `apt-get install -y chromium chromium-driver` (.ci/run does this)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})  # a fresh profile per test
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("dialog", lambda d: (pg.errors.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    ctx.close()


def _norm(text: str) -> str:
    return " ".join(text.split())


def ask(page: Any, question: str) -> Any:
    """Type ``question``, send it, and wait until its answer (or refusal) has fully arrived."""
    bots = page.locator("#rag-chat [data-testid='bot']")
    before = bots.count()
    page.locator("#rag-question textarea").fill(question)
    page.locator("#rag-ask").click()
    final = ".rag-answer:not(.rag-streaming), .rag-abstain, .rag-error"
    page.wait_for_function(
        "([n, sel]) => { const b = document.querySelectorAll(\"#rag-chat [data-testid='bot']\");"
        " return b.length > n && b[b.length - 1].querySelector(sel) !== null; }",
        arg=[before, final],
    )
    return bots.nth(before)


def choose_document(page: Any, label: str) -> None:
    page.get_by_role("tab", name="Documents").click()
    page.locator("#rag-doc input").click()
    page.get_by_role("option", name=label).click()


def test_answer_chip_brings_the_highlighted_quote_up(page: Any, ui_server: str, assistant: Any) -> None:
    from playwright.sync_api import expect

    page.goto(ui_server)
    expect(page.get_by_text(Q1).first).to_be_visible()  # example questions on the empty chat

    bubble = ask(page, Q1)
    expected = assistant.ask(Q1)
    c1 = expected.citations[0]
    expect(bubble.locator("a.cite-chip")).to_have_count(len(expected.citations))
    assert "[1]" not in bubble.inner_text()

    bubble.locator('a.cite-chip[href="#src-0-1"]').click()
    card = page.locator("#src-0-1")
    expect(card).to_have_class(re.compile(r"\brag-active\b"))
    mark = card.locator("mark.rag-quote")
    expect(mark).to_be_visible()
    expect(mark).to_be_in_viewport()
    assert _norm(mark.inner_text()) == _norm(c1.quote)
    assert c1.publisher in card.inner_text() and c1.date in card.inner_text()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "answer_with_citation.png"))

    # A second question folds the first one's sources; its chip still brings them back up.
    ask(page, Q2)
    expect(page.locator("#turn-0")).not_to_have_attribute("open", "")
    bubble.locator('a.cite-chip[href="#src-0-1"]').click()
    expect(page.locator("#turn-0")).to_have_attribute("open", "")
    expect(card.locator("mark.rag-quote")).to_be_in_viewport()

    # Abstentions look different: a notice, no chips.
    refused = ask(page, "Who won the 2022 football World Cup?")
    expect(refused.locator(".rag-abstain")).to_contain_text("Not in the sources")
    expect(refused.locator("a.cite-chip")).to_have_count(0)

    # Over-long questions: the core's message in the chat, not a stack trace.
    error = ask(page, "why " * 600)
    expect(error.locator(".rag-error")).to_contain_text("the limit is 2,000")
    assert "Traceback" not in page.locator("#rag-chat").inner_text()

    # Thumbs up on the first answer lands in <home>/feedback.jsonl.
    log = Path(assistant.settings.home) / "feedback.jsonl"
    seen = len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0
    page.locator("#rag-chat [aria-label='Like']").first.click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not log.exists() or len(log.read_text().splitlines()) <= seen):
        time.sleep(0.2)
    row = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert row["rating"] == "up" and row["question"] == Q1 and row["citations"][0]["start"] == c1.start

    # The document viewer shows the whole cleaned article with the conversation's spans marked.
    doc_id = next(i for i, m in assistant.docs.items() if m["source"] == c1.source)
    label = next(lbl for lbl, i in doc_choices(assistant.docs) if i == doc_id)
    choose_document(page, label)
    marks = page.locator("#rag-article mark.rag-quote")
    expect(marks.first).to_be_visible()
    assert _norm(c1.quote) in [_norm(t) for t in marks.all_inner_texts()]
    assert "Advertisement" not in page.locator("#rag-article").inner_text()  # page chrome removed
    assert page.errors == []


@pytest.fixture(scope="module")
def evil_server(evil_assistant: Any) -> Iterator[str]:
    demo, url = start_server(evil_assistant)
    yield url
    demo.close()


def test_document_markup_is_shown_as_text_and_never_runs(page: Any, evil_server: str, evil_assistant: Any) -> None:
    from playwright.sync_api import expect

    page.goto(evil_server)
    cases = [
        ("When is the Zorblat lantern festival in Quenton held?", "<script>window.__pwned=1</script>"),
        ("What do visitors who arrive late see?", '<img src=x onerror="window.__pwned=1">'),
        ("What does the Quenton glass market sign show?", "&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
    ]
    for turn, (question, payload) in enumerate(cases):
        bubble = ask(page, question)
        assert payload in bubble.inner_text()  # the answer quotes the markup as text
        bubble.locator(f'a.cite-chip[href="#src-{turn}-1"]').click()
        expect(page.locator(f"#src-{turn}-1 mark.rag-quote")).to_be_in_viewport()
    # The HTML document's entities read as the characters they stand for, still as text.
    assert "<script>window.__pwned=1</script>" in page.locator("#src-2-1").inner_text()

    for label, payloads in [
        ("quenton.html", ["Quenton glass market", "<script>window.__pwned=1</script>"]),
        ("<script>", ["<script>window.__pwned=1</script>", '<img src=x onerror="window.__pwned=1">', "${window"]),
    ]:
        page.get_by_role("tab", name="Documents").click()
        page.locator("#rag-doc input").click()
        page.get_by_role("option").filter(has_text=label).first.click()
        article = page.locator("#rag-article article")
        for text in payloads:
            expect(article).to_contain_text(text)
    page.get_by_role("tab", name="Chat").click()

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('#rag-chat img, #rag-sources img, #rag-article img').length") == 0
    assert page.evaluate("document.querySelectorAll('#rag-article script, #rag-sources script').length") == 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "hostile_document.png"))
    assert page.errors == []


def test_example_question_on_the_empty_chat_is_asked(page: Any, ui_server: str) -> None:
    from playwright.sync_api import expect

    from ui.layout import EXAMPLES

    page.goto(ui_server)
    page.get_by_text(EXAMPLES[2]).first.click()
    bubble = page.locator("#rag-chat [data-testid='bot']").first
    expect(bubble.locator("a.cite-chip").first).to_be_visible()
    expect(bubble).to_contain_text("choke point")
    expect(page.locator("#src-0-1 mark.rag-quote")).to_be_visible()
    assert page.errors == []
