"""While one browser uploads and indexes 200 small files, another keeps asking the acceptance questions:
every answer must be correct (the others keep reading the previous generation). Writes the figures
(build time, ask p50/p95 during the build, browser round trip) to ``screenshots/upload_load.json``."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ui_browser import CHROMIUM, FLAGS, SHOTS, ask
from uiserver import start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (.ci/run installs it)"),
]
FILES = 200


@pytest.fixture(scope="module")
def load_server(assistant: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, list[float]]]:
    from rag import Assistant

    a = Assistant(home=tmp_path_factory.mktemp("load-home"), embedder=assistant.embedder)
    timings: list[float] = []
    inner, lock = a.ask, threading.Lock()

    def timed(*args: Any, **kw: Any) -> Any:  # server-side time of each answer
        t = time.perf_counter()
        try:
            return inner(*args, **kw)
        finally:
            with lock:
                timings.append(time.perf_counter() - t)

    a.ask = timed  # type: ignore[method-assign]
    demo, url = start_server(a)
    yield a, url, timings
    demo.close()


def _correct(q: dict[str, Any], bubble: Any) -> str | None:
    text = bubble.inner_text()
    if not q["answerable"]:
        return None if bubble.locator(".rag-abstain").count() == 1 else f"{q['id']}: should abstain: {text}"
    low = text.lower()
    missing = [g for g in q["must"] if not any(alt.lower() in low for alt in g)]
    if missing or bubble.locator("a.cite-chip").count() == 0:
        return f"{q['id']}: missing {missing}: {text}"
    return None


def _api_asker(url: str, acceptance: list[dict], done: threading.Event, problems: list[str]) -> None:
    """A second user through the API, asking the acceptance questions until the build is done."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    n = 0
    while not done.is_set():
        q = acceptance[n % len(acceptance)]
        n += 1
        d = client.predict(q["question"], 0, api_name="/ask")
        if not q["answerable"]:
            if not d["abstained"] or d["citations"]:
                problems.append(f"api {q['id']}: should abstain: {d['text']}")
            continue
        low = d["text"].lower()
        missing = [g for g in q["must"] if not any(alt.lower() in low for alt in g)]
        if d["abstained"] or missing:
            problems.append(f"api {q['id']}: missing {missing}: {d['text']}")


def test_asking_stays_correct_while_200_files_are_indexed(
    load_server: tuple[Any, str, list[float]], acceptance: list[dict], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    a, url, timings = load_server
    folder = tmp_path / "notes"
    folder.mkdir()
    files = []
    for i in range(FILES):
        p = folder / f"note-{i:03d}.txt"
        paras = [
            f"Workshop note {i}, part {j}. The Brindle widget model W{i}-{j} weighs {100 + i + j} grams and ships "
            f"in a box of {(i + j) % 12 + 1}. It was designed in {1900 + i} by team {i}, and its spring was "
            f"replaced in revision {j}."
            for j in range(8)
        ]
        p.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        files.append(p)
    before = len(a.docs)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        up = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        asker = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        for pg in (up, asker):
            pg.set_default_timeout(120_000)
            pg.goto(url)
        asker.locator("#rag-question textarea").wait_for()
        up.get_by_role("tab", name="Library").click()
        status = up.locator("#rag-status")
        started = time.monotonic()
        up.locator("#rag-upload input[type=file]").set_input_files(files)
        problems: list[str] = []
        rounds: list[float] = []
        n = 0
        timings.clear()
        done = threading.Event()
        api = threading.Thread(target=_api_asker, args=(url, acceptance, done, problems), daemon=True)
        api.start()
        while "file(s) added" not in status.inner_text() and time.monotonic() - started < 600:
            q = acceptance[n % len(acceptance)]
            n += 1
            t = time.perf_counter()
            bubble = ask(asker, q["question"])
            rounds.append(time.perf_counter() - t)
            if (bad := _correct(q, bubble)) is not None:
                problems.append(bad)
            if n % 8 == 0:  # a fresh conversation now and then keeps the page light
                asker.reload()
                asker.locator("#rag-question textarea").wait_for()
        took = time.monotonic() - started
        done.set()
        api.join(60)
        during = list(timings)
        final = status.inner_text()
        SHOTS.mkdir(exist_ok=True)
        up.screenshot(path=str(SHOTS / "upload_200_done.png"), full_page=True)
        asker.screenshot(path=str(SHOTS / "upload_200_asker.png"))
        browser.close()
    assert f"{FILES} file(s) added" in final, final
    assert len(a.docs) == before + FILES
    assert n >= 1 and len(during) >= 5, "the build ended before the askers could ask much"
    assert not problems, "\n".join(problems)
    figures = {
        "files": FILES,
        "upload_and_index_s": round(took, 2),
        "status": final,
        "asked_during_build": n,
        "ask_p50_ms": round(1000 * statistics.median(during), 1),
        "ask_p95_ms": round(1000 * sorted(during)[max(0, int(0.95 * len(during)) - 1)], 1),
        "browser_round_trip_p50_ms": round(1000 * statistics.median(rounds), 1),
    }
    (SHOTS / "upload_load.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(figures)
