"""ui.chat.ChatApp: the page's event handlers, called directly on the real Assistant (no server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from rag.errors import InvalidQuestionError
from ui.chat import ChatApp
from ui.feedback import FeedbackLog

Q = "What licence duration are the EU and China close to agreeing on?"


@pytest.fixture()
def app(assistant: Any, tmp_path: Path) -> ChatApp:
    return ChatApp(assistant, FeedbackLog(tmp_path / "feedback.jsonl"), frame_delay=0)


def _run(app: ChatApp, question: str, turns: list, k: float | None = 5) -> tuple[list[tuple], list, str]:
    frames = list(app.respond(question, turns, k))
    box, chat, turns_out, sources = frames[-1]
    assert box == ""
    return frames, turns_out, sources


def test_answer_streams_then_shows_chips_and_sources(app: ChatApp) -> None:
    frames, turns, sources = _run(app, Q, [])
    chats = [f[1] for f in frames if isinstance(f[1], list)]
    assert sum("rag-streaming" in c[-1]["content"] for c in chats) >= 3  # searching…, then growing text
    final = chats[-1]
    assert [m["role"] for m in final] == ["user", "assistant"]
    assert 'class="cite-chip" href="#src-0-1"' in final[-1]["content"]
    ans = turns[0].answer
    assert ans is not None and not ans.abstained
    assert 'id="src-0-1"' in sources and "<mark" in sources


def test_over_long_question_shows_the_core_error_in_the_chat(app: ChatApp) -> None:
    frames, turns, sources = _run(app, "why " * 600, [])
    last = frames[-1][1][-1]["content"]
    assert "rag-error" in last and "the limit is 2,000" in last and "Traceback" not in last
    assert turns[0].answer is None and "limit" in turns[0].error
    assert "(2,400 characters)" in frames[-1][1][0]["content"]  # the echo is shortened
    assert list(app.respond("   ", [], 5)) == [(gr.skip(),) * 4]


def test_follow_up_is_rewritten_with_the_previous_turn(app: ChatApp) -> None:
    _, turns, _ = _run(app, "Why have EU officials toned down their public rhetoric on Beijing?", [])
    frames, turns, _ = _run(app, "and what did Beijing do after that?", turns)
    assert turns[1].asked.startswith("EU officials toned down public rhetoric — and what")
    assert "searched for: EU officials" in frames[-1][1][-1]["content"]
    assert len(frames[-1][1]) == 4


def test_abstention_renders_without_chips(app: ChatApp) -> None:
    frames, turns, sources = _run(app, "Who won the 2022 football World Cup?", [])
    last = frames[-1][1][-1]["content"]
    assert "Not in the sources" in last and "cite-chip" not in last
    assert "No sources" in sources


def test_feedback_is_appended_for_answers_only(app: ChatApp) -> None:
    _, turns, _ = _run(app, Q, [])
    _, turns, _ = _run(app, "x" * 2500, turns)
    app.like(turns, 5, gr.LikeData(None, {"index": 1, "value": "…", "liked": True}))
    app.like(turns, 5, gr.LikeData(None, {"index": [1, 0], "value": "…", "liked": False}))
    app.like(turns, 5, gr.LikeData(None, {"index": 3, "value": "…", "liked": False}))  # the error bubble
    rows = [json.loads(x) for x in app.feedback.path.read_text(encoding="utf-8").splitlines()]
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["question"] == Q and rows[0]["citations"] and rows[0]["k"] == 5


def test_viewer_serves_indexed_documents_by_id_only(app: ChatApp, assistant: Any) -> None:
    _, turns, _ = _run(app, Q, [])
    cited = {c.source for c in turns[0].answer.citations}
    for doc_id, meta in assistant.docs.items():
        html = app.article(doc_id, turns)
        assert "<article" in html
        assert ("cited passage(s) highlighted" in html) == (meta["source"] in cited)
    for bad in ("../../etc/passwd", "/etc/passwd", "seeds/002_afb7bb23509a6b82.txt", None):
        assert "choose one of the indexed documents" in app.article(bad, turns)


def test_api_ask_returns_the_answer_dict_or_a_clear_error(app: ChatApp) -> None:
    d = app.api_ask(Q, 0)
    assert d["question"] == Q and d["citations"] and not d["abstained"]
    with pytest.raises(gr.Error, match="limit is 2,000"):
        app.api_ask("x" * 2001)


class _Streaming:
    """The real assistant, with a ``stream`` that yields an LLM-like draft before the verified answer."""

    def __init__(self, real: Any, fail: bool = False) -> None:
        self.real, self.fail = real, fail

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def stream(self, question: str, k: int | None = None) -> Any:
        yield "Currently, "
        if self.fail:
            raise InvalidQuestionError("the model went away")
        yield "only <b>three-month</b> "
        yield self.real.ask(question, k)


def test_llm_draft_streams_then_is_replaced_by_the_verified_answer(assistant: Any, tmp_path: Path) -> None:
    app = ChatApp(_Streaming(assistant), FeedbackLog(tmp_path / "f.jsonl"), frame_delay=0)  # type: ignore[arg-type]
    frames, turns, sources = _run(app, Q, [])
    drafts = [f[1][-1]["content"] for f in frames if isinstance(f[1], list) and "rag-draft" in f[1][-1]["content"]]
    assert len(drafts) == 2 and "Currently, only &lt;b&gt;three-month&lt;/b&gt;" in drafts[-1]
    assert "rag-draft" not in frames[-1][1][-1]["content"] and "cite-chip" in frames[-1][1][-1]["content"]
    assert len(frames) == 4  # searching, two drafts, final: no word-by-word replay after a real stream

    app = ChatApp(_Streaming(assistant, fail=True), FeedbackLog(tmp_path / "f.jsonl"), frame_delay=0)  # type: ignore[arg-type]
    frames, turns, _ = _run(app, Q, [])
    assert "the model went away" in frames[-1][1][-1]["content"] and turns[0].error
