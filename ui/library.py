"""Handlers of the Library tab and the document API: collections, upload, tick boxes, edit, remove.

What a session has unticked lives in its own ``gr.State`` (a list of excluded document ids), so users
of one page never change each other's filter; new documents start ticked. Upload, edit and remove go
through ``rag.sources.Sources`` (which stores safely and re-indexes); other sessions keep answering
from the previous generation until the build commits. Under ``RAG_UI_AUTH`` every one of these events
and endpoints is behind Gradio's login, like the page itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.sources import Collections, DocInfo, Sources
from rag.uploads import Refused
from ui.chat import doc_choices
from ui.library_html import doc_label, doclist_html, status_html

__all__ = ["LibraryApp"]

log = logging.getLogger(__name__)
_TICK_S = 0.5  # how often the upload status is refreshed while a build runs


def _paths(files: Any) -> list[tuple[str, Path]]:
    """(client name, temporary path) of Gradio's uploaded files (Gradio keeps the client's name as the
    last path component of its temporary copy; only that name, never the path, reaches rag.uploads)."""
    out = []
    for f in files or []:
        path = Path(f if isinstance(f, str) else getattr(f, "path", None) or f["path"])
        name = getattr(f, "orig_name", None) or (f.get("orig_name") if isinstance(f, dict) else None) or path.name
        out.append((str(name), path))
    return out


class LibraryApp:
    """Handlers bound to the page's collections (one thread-safe ``Assistant`` each)."""

    def __init__(self, collections: Collections) -> None:
        self.collections = collections

    def sources(self, collection: str | None, create: bool = False) -> Sources:
        return Sources(self.collections.get(collection or None, create))

    # -- the lists ------------------------------------------------------------------------
    def refresh(
        self, collection: str | None, excluded: Sequence[str], target: str | None = None, doc: str | None = None
    ) -> tuple[Any, ...]:
        """Outputs (tick boxes, sources list, edit picker, Documents dropdown) for a collection; the picker
        and the dropdown keep ``target`` and ``doc`` while those still exist."""
        name = collection or self.collections.default
        src = self.sources(name)
        docs = src.list()
        ticks = gr.update(
            choices=[(doc_label(d), d.id) for d in docs], value=[d.id for d in docs if d.id not in set(excluded)]
        )
        editable = [(doc_label(d), d.id) for d in docs if d.uploaded]
        keep = target if target in {i for _, i in editable} else (editable[0][1] if editable else None)
        viewer = doc_choices(src.assistant.docs)
        shown = doc if doc in {i for _, i in viewer} else (viewer[0][1] if viewer else None)
        picker = gr.update(choices=editable, value=keep)
        return ticks, doclist_html(docs, name), picker, gr.update(choices=viewer, value=shown)

    def tick(self, ticked: Sequence[str] | None, collection: str | None) -> list[str]:
        """Tick boxes changed: the session's excluded ids are the collection's documents left unticked."""
        ids = {d.id for d in self.sources(collection).list()}
        return sorted(ids - set(ticked or []))

    def switch(self, collection: str | None) -> tuple[Any, ...]:
        """Another collection chosen: outputs (excluded, tick boxes, list, picker, viewer, status)."""
        try:
            return ([], *self.refresh(collection, []), "")
        except RagError as exc:
            return ([], gr.skip(), gr.skip(), gr.skip(), gr.skip(), status_html(str(exc), kind="error"))

    def create(self, name: str | None) -> tuple[Any, ...]:
        """New collection: outputs (collection dropdown, new-name box, status)."""
        name = (name or "").strip()
        try:
            self.collections.get(name, create=True)
        except RagError as exc:
            return gr.skip(), gr.skip(), status_html(str(exc), kind="error")
        return gr.update(choices=self.collections.names(), value=name), "", status_html(f"Collection “{name}” ready.")

    # -- changes --------------------------------------------------------------------------
    def on_upload(self, files: Any, collection: str | None, excluded: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        """Files dropped: store, index (status ticking while it builds), then refresh the lists.

        Outputs (status, file box, tick boxes, list, picker, viewer)."""
        pairs = _paths(files)
        skip = (gr.skip(),) * 4
        if not pairs:
            yield (gr.skip(), gr.skip(), *skip)
            return
        src = self.sources(collection)
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = src.add(pairs)
            except Exception as exc:  # shown to the user below; a RagError's message is meant for them
                box["error"] = exc

        worker = threading.Thread(target=run, name="rag-upload", daemon=True)
        started = time.monotonic()
        worker.start()
        while worker.is_alive():
            worker.join(_TICK_S)
            took = time.monotonic() - started
            msg = f"Storing and indexing {len(pairs)} file(s)… {took:.0f} s (other users keep getting answers)"
            yield (status_html(msg, kind="busy"), gr.skip(), *skip)
        took = time.monotonic() - started
        if "error" in box:
            exc = box["error"]
            if not isinstance(exc, RagError):
                log.error("upload failed", exc_info=exc)
            text = str(exc) if isinstance(exc, RagError) else "the upload failed on the server (it has been logged)"
            # Files may have been stored before the build failed (another process building, say): the
            # next build indexes them, and the list shows what the index holds now.
            shown = f"Upload or indexing failed: {text}"
            yield (status_html(shown, kind="error"), None, *self.refresh(collection, excluded))
            return
        report, build = box["result"]
        line = report.summary() + (f"; indexed in {took:.1f} s ({build.summary()})" if build else "")
        kind = "error" if report.refused and not report.stored else "ok"
        # The indexer may still skip a stored file (e.g. the same bytes as a configured document): say why.
        skipped = (
            [Refused(s.path.rsplit("/", 1)[-1], f"not indexed: {s.reason}") for s in build.skipped] if build else []
        )
        yield (status_html(line, [*report.refused, *skipped], kind), None, *self.refresh(collection, excluded))

    def pick_target(self, doc_id: str | None, collection: str | None) -> tuple[str, str, str]:
        """The edit picker changed: its document's title, publisher and date fill the boxes."""
        d = self._doc(doc_id, collection)
        return (d.title, d.publisher, d.date) if d else ("", "", "")

    def _doc(self, doc_id: str | None, collection: str | None) -> DocInfo | None:
        return next((d for d in self.sources(collection).list() if d.id == doc_id), None)

    def save(
        self, doc_id: str | None, title: str, publisher: str, date: str, collection: str | None, excluded: Sequence[str]
    ) -> tuple[Any, ...]:
        """Save the edited metadata: outputs (status, tick boxes, list, picker, viewer)."""
        try:
            if not doc_id:
                raise gr.Error("choose an uploaded document first")
            self.sources(collection).edit(doc_id, title=title, publisher=publisher, date=date)
        except RagError as exc:
            return (status_html(str(exc), kind="error"), *(gr.skip(),) * 4)
        refreshed = self.refresh(collection, excluded)
        return (status_html("Details saved; answers now cite the new title."), *refreshed)

    def ask_remove(self, doc_id: str | None, collection: str | None) -> tuple[Any, str]:
        """Remove clicked: show the confirm step naming the document. Outputs (confirm row, its text)."""
        d = self._doc(doc_id, collection)
        if d is None or not d.uploaded:
            return gr.update(visible=False), ""
        text = (
            f'<div class="rag-confirm">Remove <b>{escape(d.title)}</b> for good? Its {d.chunks} chunk(s), its '
            "sentences and the uploaded copy are deleted; earlier answers citing it will show as stale.</div>"
        )
        return gr.update(visible=True), text

    def confirm_remove(self, doc_id: str | None, collection: str | None, excluded: Sequence[str]) -> tuple[Any, ...]:
        """Confirmed: delete and re-index. Outputs (confirm row, status, excluded, tick boxes, list, picker, viewer)."""
        hide = gr.update(visible=False)
        try:
            d = self._doc(doc_id, collection)
            if d is None:
                raise gr.Error("that document is already gone")
            self.sources(collection).remove(d.id)
        except RagError as exc:
            return (hide, status_html(str(exc), kind="error"), gr.skip(), *(gr.skip(),) * 4)
        left = [e for e in excluded if e != d.id]
        return (hide, status_html(f"Removed “{d.title}”."), left, *self.refresh(collection, left))

    # -- the API ----------------------------------------------------------------------------
    @staticmethod
    def _fail(exc: RagError) -> gr.Error:
        return gr.Error(escape(str(exc)), print_exception=False)

    def api_list(self, collection: str = "") -> list[dict[str, Any]]:
        """The collection's documents: id, source, title, publisher, date, chunks, sha256, uploaded."""
        try:
            return [d.to_dict() for d in self.sources(collection).list()]
        except RagError as exc:
            raise self._fail(exc) from exc

    def api_collections(self) -> list[str]:
        """The collections under the server's home (the default first)."""
        return self.collections.names()

    def api_upload(self, files: Any, collection: str | None) -> dict[str, Any]:
        """Store and index files; returns what was stored, refused (with reasons) and the build summary."""
        try:
            report, build = self.sources(collection, create=True).add(_paths(files))
        except RagError as exc:
            raise self._fail(exc) from exc
        return {
            "stored": list(report.stored),
            "duplicates": list(report.duplicates),
            "refused": [{"name": r.name, "reason": r.reason} for r in report.refused],
            "build": build.summary() if build else "",
            "documents": self.api_list(collection or ""),
        }

    def api_set_metadata(self, doc_id: str, title: str, publisher: str, date: str, collection: str = "") -> dict:
        """Set an uploaded document's title, publisher and date (re-indexed without re-embedding)."""
        try:
            self.sources(collection).edit(doc_id, title=title, publisher=publisher, date=date)
        except RagError as exc:
            raise self._fail(exc) from exc
        return next(d for d in self.api_list(collection) if d["id"] == doc_id)

    def api_remove(self, doc_id: str, collection: str = "") -> list[dict[str, Any]]:
        """Remove an uploaded document (its chunks, sentences and copy); returns the documents left."""
        try:
            self.sources(collection).remove(doc_id)
        except RagError as exc:
            raise self._fail(exc) from exc
        return self.api_list(collection)
