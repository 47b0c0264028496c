"""The Gradio Blocks page: chat with cited answers, sources panel, document viewer, settings, ``ask`` API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from rag.assistant import Assistant
from ui.chat import ChatApp, doc_choices
from ui.feedback import FILE_NAME, FeedbackLog
from ui.render import sources_html

__all__ = ["build_demo", "EXAMPLES", "THEME"]

EXAMPLES = [
    "What licence duration are the EU and China close to agreeing on?",
    "Why have EU officials toned down their public rhetoric on Beijing?",
    "What is the structural choke point in the global rare earth trade?",
    "How does REEx characterise the tone of the SCMP reporting?",
]

# System fonts only: the page must not wait on a font CDN (the server may be offline).
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def build_demo(assistant: Assistant, feedback_path: Path | None = None, examples: list[str] | None = None) -> gr.Blocks:
    """The page for ``assistant``; feedback goes to ``feedback_path`` (default ``<home>/feedback.jsonl``)."""
    app = ChatApp(assistant, FeedbackLog(feedback_path or Path(assistant.settings.home) / FILE_NAME))
    choices = doc_choices(assistant.docs)
    first = choices[0][1] if choices else None
    with gr.Blocks(title="rag — grounded answers", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.Markdown(
            "### Ask the indexed documents\nEvery answer quotes its sources; click a numbered chip to see the "
            "quoted passage highlighted in its paragraph. Questions the documents don't answer are declined."
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            elem_id="rag-chat",
                            label="Conversation",
                            height=520,
                            latex_delimiters=[],
                            placeholder="Ask a question about the documents, or pick an example.",
                            examples=[{"text": q} for q in (examples if examples is not None else EXAMPLES)],
                            feedback_options=("Like", "Dislike"),
                            buttons=["copy"],
                        )
                        with gr.Row():
                            box = gr.Textbox(
                                placeholder="Ask about the indexed documents…",
                                show_label=False,
                                elem_id="rag-question",
                                scale=6,
                                lines=1,
                                max_lines=4,
                            )
                            send = gr.Button("Ask", variant="primary", elem_id="rag-ask", scale=1, min_width=80)
                        with gr.Accordion("Settings", open=False):
                            gr.Radio(
                                [assistant.settings.answer_mode],
                                value=assistant.settings.answer_mode,
                                label="Answer mode",
                                info="extractive: answers quote the documents' own sentences (no LLM).",
                                interactive=False,
                            )
                            k = gr.Slider(
                                1, 20, value=assistant.settings.k, step=1, label="Passages retrieved per question (k)"
                            )
                    with gr.Column(scale=2):
                        gr.Markdown("#### Sources")
                        sources = gr.HTML(sources_html([], {}), elem_id="rag-sources")
            with gr.Tab("Documents", id="documents"):
                doc = gr.Dropdown(choices, value=first, label="Indexed document", elem_id="rag-doc")
                article = gr.HTML(app.article(first, []), elem_id="rag-article")

        def asks(trigger: Any) -> None:
            """Ask on ``trigger``, then refresh the viewer's highlights."""
            ev = trigger(app.respond, [box, turns, k], [box, chat, turns, sources], api_visibility="private")
            ev.then(app.article, [doc, turns], article, api_visibility="private")

        asks(box.submit)
        asks(send.click)
        # An example clicked on the empty chat fills the box, then is asked.
        asks(chat.example_select(app.pick_example, None, box, api_visibility="private", queue=False).then)
        # The chat's own clear (bin) button starts a new conversation.
        chat.clear(app.clear, None, [chat, turns, sources], api_visibility="private").then(
            app.article, [doc, turns], article, api_visibility="private"
        )
        doc.change(app.article, [doc, turns], article, api_visibility="private")
        chat.like(app.like, [turns, k], None, api_visibility="private")
        gr.api(app.api_ask, api_name="ask")
    return demo
