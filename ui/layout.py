"""The Gradio Blocks page: chat with cited answers, sources panel, library (collections, uploads, tick boxes,
edit, remove), document viewer, settings, and the named API endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from rag.assistant import Assistant
from rag.sources import Collections
from ui.chat import ChatApp, doc_choices
from ui.feedback import FILE_NAME, FeedbackLog
from ui.library import LibraryApp
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


def build_demo(
    assistant: Assistant, feedback_path: Path | None = None, examples: list[str] | None = None, **chat_kw: Any
) -> gr.Blocks:
    """The page for ``assistant``; feedback goes to ``feedback_path`` (default ``<home>/feedback.jsonl``)."""
    collections = Collections(assistant)
    feedback = FeedbackLog(feedback_path or Path(assistant.settings.home) / FILE_NAME)
    app = ChatApp(assistant, feedback, collections=collections, **chat_kw)
    lib = LibraryApp(collections)
    choices = doc_choices(assistant.docs)
    first = choices[0][1] if choices else None
    with gr.Blocks(title="rag — grounded answers", analytics_enabled=False) as demo:
        turns = gr.State([])
        excluded = gr.State([])  # this session's unticked document ids
        gr.Markdown(
            "### Ask the indexed documents\nEvery answer quotes its sources; click a numbered chip to see the "
            "quoted passage highlighted in its paragraph. Questions the documents don't answer are declined."
        )
        with gr.Row():
            collection = gr.Dropdown(
                collections.names(),
                value=collections.default,
                label="Collection",
                info="Each collection is its own index; the seeds are the default one.",
                elem_id="rag-collection",
                scale=3,
            )
            new_name = gr.Textbox(label="New collection", placeholder="e.g. project-x", elem_id="rag-new-name", scale=2)
            create = gr.Button("Create", elem_id="rag-create", scale=1, min_width=80)
        coll_status = gr.HTML(elem_id="rag-collection-status")
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
                        with gr.Accordion("Answer from", open=True):
                            picks = gr.CheckboxGroup(
                                label="Documents used for answers (untick to exclude)",
                                elem_id="rag-picks",
                            )
                        gr.Markdown("#### Sources")
                        sources = gr.HTML(sources_html([], {}), elem_id="rag-sources")
            with gr.Tab("Library", id="library"):
                files = gr.File(
                    file_count="multiple",
                    file_types=[".txt", ".md", ".markdown", ".html", ".htm", ".pdf"],
                    label="Add documents (drop or pick .txt, .md, .html, .pdf; several at once)",
                    elem_id="rag-upload",
                )
                status = gr.HTML(elem_id="rag-status")
                doclist = gr.HTML(elem_id="rag-doclist")
                refresh = gr.Button("Refresh list", elem_id="rag-refresh", size="sm")
                with gr.Accordion("Edit or remove an uploaded document", open=True):
                    target = gr.Dropdown(label="Uploaded document", elem_id="rag-target")
                    with gr.Row():
                        title = gr.Textbox(label="Title", elem_id="rag-edit-title")
                        publisher = gr.Textbox(label="Publisher", elem_id="rag-edit-publisher")
                        date = gr.Textbox(label="Date", elem_id="rag-edit-date")
                    with gr.Row():
                        save = gr.Button("Save details", elem_id="rag-save")
                        remove = gr.Button("Remove…", variant="stop", elem_id="rag-remove")
                    with gr.Row(visible=False, elem_id="rag-confirm-row") as confirm_row:
                        confirm_text = gr.HTML()
                        confirm = gr.Button("Yes, remove it", variant="stop", elem_id="rag-confirm")
                        cancel = gr.Button("Cancel", elem_id="rag-cancel")
            with gr.Tab("Documents", id="documents"):
                doc = gr.Dropdown(choices, value=first, label="Indexed document", elem_id="rag-doc")
                article = gr.HTML(app.article(first, []), elem_id="rag-article")

        private: dict[str, Any] = {"api_visibility": "private"}
        lists = [picks, doclist, target, doc]

        def asks(trigger: Any) -> None:
            """Ask on ``trigger``, then refresh the viewer's highlights."""
            ev = trigger(app.respond, [box, turns, k, collection, excluded], [box, chat, turns, sources], **private)
            ev.then(app.article, [doc, turns, collection], article, **private).then(
                lib.refresh, [collection, excluded, target, doc], lists, **private
            )  # documents other users added or removed meanwhile show up

        asks(box.submit)
        asks(send.click)
        # An example clicked on the empty chat fills the box, then is asked.
        asks(chat.example_select(app.pick_example, None, box, api_visibility="private", queue=False).then)
        # The chat's own clear (bin) button starts a new conversation.
        chat.clear(app.clear, None, [chat, turns, sources], **private).then(
            app.article, [doc, turns, collection], article, **private
        )
        doc.change(app.article, [doc, turns, collection], article, **private)
        chat.like(app.like, [turns, k], None, **private)

        # The library: every change re-renders the lists (and the chat, whose chips may have gone stale).
        def restale() -> Any:
            return app.messages, [turns], chat

        demo.load(lib.refresh, [collection, excluded], lists, **private)
        collection.change(lib.switch, [collection], [excluded, *lists, coll_status], **private)
        create.click(lib.create, [new_name], [collection, new_name, coll_status], **private)
        refresh.click(lib.refresh, [collection, excluded, target, doc], lists, **private)
        picks.input(lib.tick, [picks, collection], excluded, **private)
        files.upload(lib.on_upload, [files, collection, excluded], [status, files, *lists], **private).then(
            *restale(), **private
        )
        target.change(lib.pick_target, [target, collection], [title, publisher, date], **private)
        save.click(lib.save, [target, title, publisher, date, collection, excluded], [status, *lists], **private).then(
            *restale(), **private
        ).then(app.sources_panel, [turns], sources, **private)
        remove.click(lib.ask_remove, [target, collection], [confirm_row, confirm_text], **private)
        cancel.click(lambda: gr.update(visible=False), None, confirm_row, **private)
        confirm.click(
            lib.confirm_remove, [target, collection, excluded], [confirm_row, status, excluded, *lists], **private
        ).then(*restale(), **private).then(app.sources_panel, [turns], sources, **private)

        # Named endpoints (gradio_client); an upload needs a File component so Gradio checks the files.
        gr.api(app.api_ask, api_name="ask")  # (question, k): kept as it was for existing clients
        gr.api(app.api_ask_documents, api_name="ask_documents")
        gr.api(lib.api_list, api_name="list_documents")
        gr.api(lib.api_collections, api_name="list_collections")
        gr.api(lib.api_set_metadata, api_name="set_metadata")
        gr.api(lib.api_remove, api_name="remove_document")
        api_files = gr.File(file_count="multiple", visible=False)
        api_collection = gr.Textbox(visible=False)
        api_result = gr.JSON(visible=False)
        api_upload = gr.Button(visible=False)
        api_upload.click(lib.api_upload, [api_files, api_collection], api_result, api_name="upload")
    return demo
