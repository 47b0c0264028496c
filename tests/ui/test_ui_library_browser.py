"""The library in headless Chromium: upload two files, ask what only one answers (cited, highlighted in
the uploaded text), untick it (abstention), remove it (gone from the list and the Documents tab, its old
chips marked stale); a hostile title stays text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ui_browser import CHROMIUM, SHOTS, _norm, ask, browser, page  # noqa: F401 -- shared fixtures
from uiserver import start_server

FESTIVAL = (
    "Quentonville town notes\n\n"
    "The zorblat festival is held every March in Quentonville.\n\n"
    "The festival lasts exactly three days and ends with a lantern parade.\n"
)
GARDEN = "# Allotment handbook\n\nTomatoes in the Brindle allotments are sown in April and picked in August.\n"
Q = "How long does the zorblat festival last?"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def lib_url(assistant: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rag import Assistant

    a = Assistant(home=tmp_path_factory.mktemp("browser-lib"), embedder=assistant.embedder)
    demo, url = start_server(a)
    yield url
    demo.close()


def _shot(pg: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / name), full_page=True)


def test_upload_ask_untick_remove(page: Any, lib_url: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    (tmp_path / "festival.txt").write_text(FESTIVAL, encoding="utf-8")
    (tmp_path / "garden.md").write_text(GARDEN, encoding="utf-8")
    page.goto(lib_url)
    page.get_by_role("tab", name="Library").click()
    page.locator("#rag-upload input[type=file]").set_input_files([tmp_path / "festival.txt", tmp_path / "garden.md"])
    status = page.locator("#rag-status")
    expect(status).to_contain_text("2 file(s) added", timeout=120_000)
    expect(status).to_contain_text("indexed in")
    listing = page.locator("#rag-doclist")
    expect(listing).to_contain_text("festival")
    expect(listing).to_contain_text("Allotment handbook")  # a Markdown file's heading is its title
    _shot(page, "library_uploaded.png")

    page.get_by_role("tab", name="Chat").click()
    expect(page.locator("#rag-picks label").filter(has_text="festival")).to_be_visible()
    bubble = ask(page, Q)
    expect(bubble.locator("a.cite-chip").first).to_be_visible()
    assert "three days" in bubble.inner_text()
    bubble.locator('a.cite-chip[href="#src-0-1"]').click()
    card = page.locator("#src-0-1")
    expect(card.locator("mark.rag-quote")).to_be_in_viewport()
    assert _norm(card.locator("mark.rag-quote").inner_text()) in _norm(FESTIVAL)  # highlighted in the upload
    quotes = [_norm(t) for t in page.locator("#turn-0 mark.rag-quote").all_inner_texts()]
    assert all(q in _norm(FESTIVAL) for q in quotes) and any("three days" in q for q in quotes)
    assert "/uploads/" in card.locator(".rag-src-loc").inner_text()
    _shot(page, "library_cited_upload.png")

    # Unticked: the festival file can no longer be used, so the question is declined.
    page.locator("#rag-picks label").filter(has_text="festival").locator("input").uncheck()
    page.wait_for_timeout(500)  # the tick event updates the session's filter
    declined = ask(page, Q)
    expect(declined.locator(".rag-abstain")).to_contain_text("Not in the sources")
    expect(declined.locator("a.cite-chip")).to_have_count(0)
    _shot(page, "library_unticked_abstains.png")

    # Remove, with the confirm step.
    page.get_by_role("tab", name="Library").click()
    page.locator("#rag-target input").click()
    page.get_by_role("option").filter(has_text="festival").first.click()
    expect(page.locator("#rag-edit-title textarea, #rag-edit-title input").first).to_have_value("festival")
    page.locator("#rag-remove").click()
    expect(page.locator("#rag-confirm-row")).to_contain_text("Remove festival for good?")
    _shot(page, "library_confirm_remove.png")
    page.locator("#rag-confirm").click()
    expect(status).to_contain_text("Removed “festival”", timeout=120_000)
    expect(listing).not_to_contain_text("festival")
    expect(listing).to_contain_text("Allotment handbook")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#rag-doc input").click()
    options = page.get_by_role("option")
    expect(options.filter(has_text="Allotment handbook")).to_have_count(1)
    expect(options.filter(has_text="festival")).to_have_count(0)
    page.keyboard.press("Escape")

    # The first answer's chip now says its document is gone rather than highlighting anything.
    page.get_by_role("tab", name="Chat").click()
    stale = page.locator("#rag-chat a.cite-chip.cite-stale").first
    expect(stale).to_contain_text("stale")
    expect(page.locator("#src-0-1")).to_contain_text("Stale citation")
    expect(page.locator("#src-0-1 mark.rag-quote")).to_have_count(0)
    _shot(page, "library_removed_stale.png")
    assert page.errors == []


def test_hostile_title_and_binary_upload(page: Any, lib_url: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    (tmp_path / "notes.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" * 64)
    (tmp_path / "page.html").write_text(
        '<html><head><title><img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script></title>'
        "</head><body><p>The ferry to Brindle island is called the Marigold.</p></body></html>",
        encoding="utf-8",
    )
    page.goto(lib_url)
    page.get_by_role("tab", name="Library").click()
    page.locator("#rag-upload input[type=file]").set_input_files([tmp_path / "notes.txt", tmp_path / "page.html"])
    status = page.locator("#rag-status")
    expect(status).to_contain_text("1 file(s) added", timeout=120_000)
    expect(status).to_contain_text(re.compile(r"notes\.txt: not a text, Markdown, HTML or PDF file"))
    listing = page.locator("#rag-doclist")
    expect(listing).to_contain_text('<img src=x onerror="window.__pwned=1">')
    page.get_by_role("tab", name="Chat").click()
    expect(page.locator("#rag-picks")).to_contain_text("<script>window.__pwned=2</script>")
    bubble = ask(page, "What is the ferry to Brindle island called?")
    assert "Marigold" in bubble.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('#rag-doclist img, #rag-picks img, #rag-sources img').length") == 0
    _shot(page, "library_hostile_title.png")
    assert page.errors == []


def test_collections_on_the_page(page: Any, lib_url: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    (tmp_path / "keeper.txt").write_text(
        "The lighthouse keeper on Skerrow point is called Ansel Marr.\n", encoding="utf-8"
    )
    q = "What is the lighthouse keeper on Skerrow point called?"
    page.goto(lib_url)
    page.locator("#rag-new-name input, #rag-new-name textarea").first.fill("proj-b")
    page.locator("#rag-create").click()
    expect(page.locator("#rag-collection-status")).to_contain_text("Collection “proj-b” ready.")
    expect(page.locator("#rag-collection input")).to_have_value("proj-b")
    page.get_by_role("tab", name="Library").click()
    status = page.locator("#rag-status")
    expect(page.locator("#rag-doclist")).to_contain_text("No documents in “proj-b” yet")
    page.locator("#rag-upload input[type=file]").set_input_files([tmp_path / "keeper.txt"])
    expect(status).to_contain_text("1 file(s) added", timeout=120_000)
    expect(page.locator("#rag-doclist")).to_contain_text("1 document(s)")
    page.get_by_role("tab", name="Chat").click()
    answered = ask(page, q)
    expect(answered.locator("a.cite-chip")).to_have_count(1)
    assert "Ansel Marr" in answered.inner_text()
    _shot(page, "library_collection.png")
    # Back on the default collection the seeds answer, and the keeper note is not there.
    page.locator("#rag-collection input").click()
    page.get_by_role("option", name="rag", exact=True).click()
    expect(page.locator("#rag-picks")).to_contain_text("Softer words, harder policy")
    expect(page.locator("#rag-picks")).not_to_contain_text("keeper")
    other = ask(page, q)
    assert "Ansel Marr" not in other.inner_text()
    assert page.errors == []
