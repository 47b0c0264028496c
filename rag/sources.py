"""A collection's documents as a user manages them: list, upload, edit metadata, remove; and the collections.

``Sources(assistant)`` works on the assistant's collection: an upload is stored (``rag.uploads``) and
then indexed incrementally into the running index (``Assistant.index()``, whose targets always include
the uploads); a metadata edit rewrites the uploads' sidecar and re-indexes without re-embedding; a
removal deletes the uploaded copy and re-indexes, which drops its chunks and sentences. Readers keep
answering from the previous generation until each build commits. Only uploaded documents can be edited
or removed: the configured ones (the seeds, ``RAG_DOCS``) belong to their folder.

``Collections`` holds one ``Assistant`` per named collection under one home, sharing one embedder.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.report import BuildReport
from rag.assistant import Assistant
from rag.errors import InvalidQuestionError
from rag.library import is_upload, list_collections
from rag.settings import COLLECTION_PATTERN, DEFAULT_COLLECTION, Settings
from rag.uploads import UploadReport, remove_upload, store_uploads, write_meta

__all__ = ["DocInfo", "Sources", "Collections"]


@dataclass(frozen=True)
class DocInfo:
    """One indexed document as the sources list shows it."""

    id: str
    source: str
    title: str
    publisher: str
    date: str
    chunks: int
    sha256: str
    uploaded: bool  # uploaded on the page: editable and removable

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the ``list_documents`` API returns a list of these)."""
        return dict(self.__dict__)


class Sources:
    """The documents of one assistant's collection."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    @property
    def settings(self) -> Settings:
        return self.assistant.settings

    def list(self) -> list[DocInfo]:
        """Every document of the current generation, sorted by title."""
        view = self.assistant.current_view()  # the committed generation the next question reads
        entries = view.store.committed["docs"]
        out = []
        for doc_id, meta in view.docs.items():
            entry = entries.get(meta["source"], {})
            name = str(meta["source"]).rsplit("/", 1)[-1]
            out.append(
                DocInfo(
                    id=doc_id,
                    source=str(meta["source"]),
                    title=str(meta.get("title") or name),
                    publisher=str(meta.get("publisher", "")),
                    date=str(meta.get("date", "")),
                    chunks=int(entry.get("chunks", 0)),
                    sha256=str(entry.get("sha256", "")),
                    uploaded=is_upload(self.settings, meta),
                )
            )
        return sorted(out, key=lambda d: (d.title.lower(), d.id))

    def versions(self) -> dict[str, tuple[str, str]]:
        """source -> (document id, sha256) of the current generation (what a stale citation is checked against)."""
        entries = self.assistant.current_view().store.committed["docs"]
        return {source: (str(e.get("id", "")), str(e.get("sha256", ""))) for source, e in entries.items()}

    def add(self, files: Sequence[tuple[str, Path]]) -> tuple[UploadReport, BuildReport | None]:
        """Store ``(client name, temporary path)`` files and index them; the build is skipped if none was stored."""
        report = store_uploads(self.settings, files)
        build = self.assistant.index() if report.stored else None
        return report, build

    def _stored_name(self, doc_id: str) -> str:
        meta = self.assistant.current_view().docs.get(str(doc_id))
        if meta is None:
            raise InvalidQuestionError(f"no indexed document has the id {doc_id!s:.40}")
        if not is_upload(self.settings, meta):
            raise InvalidQuestionError(
                f"{meta['source']} is one of the configured documents (RAG_DOCS); only uploaded ones can be "
                "edited or removed on the page"
            )
        return Path(str(meta.get("original") or meta["source"])).name

    def edit(self, doc_id: str, **fields: str) -> BuildReport:
        """Set an uploaded document's title, publisher or date, then re-index (no re-embedding)."""
        write_meta(self.settings, self._stored_name(doc_id), fields)
        return self.assistant.index()

    def remove(self, doc_id: str) -> BuildReport:
        """Delete an uploaded document and re-index: its chunks, sentences and copy are gone."""
        remove_upload(self.settings, self._stored_name(doc_id))
        return self.assistant.index()


class Collections:
    """One ``Assistant`` per collection under ``base``'s home, created on first use (sharing its embedder)."""

    def __init__(self, base: Assistant, make: Callable[..., Assistant] | None = None) -> None:
        self.base = base
        self._make = make or Assistant
        self._open: dict[str, Assistant] = {base.settings.collection: base}
        self._lock = threading.Lock()

    @property
    def default(self) -> str:
        """The collection the page opens on (the base assistant's)."""
        return self.base.settings.collection

    def names(self) -> list[str]:
        """Every collection under the home (the default first), plus those opened here."""
        found = list_collections(Path(self.base.settings.home))
        extra = sorted(set(self._open) - set(found))
        out = found + extra
        if self.default != DEFAULT_COLLECTION:  # the base assistant's collection leads
            out = [self.default] + [n for n in out if n != self.default]
        return out

    def get(self, name: str | None, create: bool = False) -> Assistant:
        """The assistant of collection ``name``; with ``create`` a new, empty one is made, else an unknown
        name is refused (a typo must not quietly start an empty collection)."""
        name = name or self.default
        with self._lock:
            if name in self._open:
                return self._open[name]
        if not isinstance(name, str) or not re.match(COLLECTION_PATTERN, name):
            raise InvalidQuestionError(f"{name!s:.60} is not a collection name (2-51 letters, digits, '-' or '_')")
        if not create and name not in self.names():
            raise InvalidQuestionError(f"there is no collection named {name!r}; create it first (or upload into it)")
        # model_copy does not validate; the name was checked against the field's own pattern above.
        made = self._make(self.base.settings.model_copy(update={"collection": name}), embedder=self.base.embedder)
        with self._lock:
            return self._open.setdefault(name, made)
