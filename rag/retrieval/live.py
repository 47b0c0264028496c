"""The committed index generation an ``Assistant`` answers from, reopened when a newer one is committed.

See ``index.generation``: a build, in this process or another, commits by replacing the manifest. A
``stat`` of it before each question tells whether that happened; if so the new generation is opened
(its store, vocabulary, BM25 index, document list: ~0.1-0.5 s) and swapped in whole, so one answer
never mixes two generations.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from index.embed import Embedder
from index.errors import IndexCorruptError
from index.generation import Stamp, file_stamp
from index.store import Store
from index.vocab import Vocab
from rag.answer.aliases import Aliases
from rag.retrieval.retrieve import HybridRetriever
from rag.settings import Settings

__all__ = ["View", "LiveIndex"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_TRIES = 3  # reads of one question (or reloads) while the index keeps changing under it


def _aliases(meta: dict[str, Any]) -> set[str]:
    names = {str(meta.get("publisher", "")), str(meta.get("short", ""))}
    names |= {a.strip() for a in str(meta.get("aliases", "")).split(",")}
    return {n for n in names if len(n) > 1}


def _content_key(manifest: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a generation's content: a new key means reopening, the same one a new stamp only."""
    return (manifest.get("gen"), manifest.get("space", ""))


@dataclass(frozen=True)
class View:
    """One committed generation and everything an answer reads from it."""

    stamp: Stamp | None  # of the manifest it was opened from
    key: tuple[Any, ...]
    store: Store
    retriever: HybridRetriever
    vocab: Vocab
    docs: dict[str, dict[str, Any]]  # document id -> metadata with its citation ``source``
    aliases: Aliases  # document id -> names its publisher goes by

    @property
    def stale(self) -> bool:
        """Whether a newer manifest was committed since this view was opened."""
        return file_stamp(self.store.manifest_path) != self.stamp


def open_view(store: Store, embedder: Embedder, settings: Settings) -> View:
    """A view of the generation ``store`` was opened on."""
    try:
        if not store.committed["docs"] and not store.vocab_path.exists():
            # A new, empty collection: no build has published anything; every question abstains.
            vocab = Vocab(words=(), vecs=np.zeros((0, getattr(embedder, "dim", 384)), np.float32), df={}, n=0)
        else:
            vocab = Vocab.load(store.vocab_path)
    except Exception as exc:
        raise IndexCorruptError(
            f"the vocabulary {store.vocab_path} is unreadable ({exc}); run `rag index` to re-make it"
        ) from exc
    docs = {e["id"]: dict(e["meta"], source=s) for s, e in store.committed["docs"].items()}
    retriever = HybridRetriever(store, embedder, settings.k, settings.candidates)
    key = _content_key(store.committed)
    return View(store.stamp, key, store, retriever, vocab, docs, Aliases({d: _aliases(m) for d, m in docs.items()}))


class LiveIndex:
    """Holds the current ``View`` and swaps in a newer generation's when one is committed."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings, self.embedder = settings, embedder
        self._view: View | None = None
        self._lock = threading.Lock()  # one reload at a time

    @property
    def view(self) -> View:
        """The view answers read now (no staleness check)."""
        assert self._view is not None, "no index opened yet"
        return self._view

    def install(self, store: Store) -> None:
        """Answer from ``store``'s generation from now on (after a build in this process)."""
        new = open_view(store, self.embedder, self.settings)
        with self._lock:
            old = self._view
            if old is not None and (old.stamp, old.key) == (new.stamp, new.key):
                return  # an ask already reopened this very commit: asks may be reading that view
            self._view = new
        if old is not None and old.store is not new.store:
            old.store.close()  # asks still reading it are stale (older stamp) and are asked again

    def current(self) -> View:
        """The view of the newest committed generation (reopened if the manifest changed)."""
        view = self.view
        if not view.stale:
            return view
        with self._lock:
            if self._view is not view:  # another thread reloaded meanwhile
                return self.view
            self._view = new = self._reload(view)
        if new.store is not view.store:
            # Frees the old store's Chroma memory. An ask still reading it fails and is asked again
            # on the new view (its stamp no longer matches the manifest).
            view.store.close()
        return new

    def read(self, read: Callable[[View], _T], redo_if_stale: bool = True) -> _T:
        """``read(view)`` of the current generation; again (``_TRIES`` in all) if it was swept meanwhile.

        A read that failed on a stale view is redone on the new one; one that succeeded on a view that
        went stale meanwhile is redone too when ``redo_if_stale`` (what it read may be half swept). The
        last try's result stands.
        """
        for attempt in range(_TRIES):
            view = self.current()
            last = attempt + 1 == _TRIES
            try:
                out = read(view)
            except Exception:
                if not last and view.stale:
                    continue  # a newer generation was committed and the one this read was swept
                raise
            if last or not redo_if_stale or not view.stale:
                return out
        raise AssertionError("unreachable")

    def _reload(self, view: View) -> View:
        path = view.store.manifest_path
        for _ in range(_TRIES):
            stamp = file_stamp(path)
            store = None
            try:
                manifest = json.loads(path.read_text(encoding="utf-8"))
                if _content_key(manifest) == view.key:  # the same generation committed again
                    return replace(view, stamp=stamp)
                s = self.settings
                store = Store(s.home, s.chroma_url, s.collection)  # checked as it opens
                store.require()
                if store.committed["docs"] and not store.vocab_path.exists():
                    raise FileNotFoundError(store.vocab_path)
                return open_view(store, self.embedder, s)
            except Exception as exc:  # a file swept or a manifest replaced while opening: look again
                if store is not None:
                    store.close()
                if file_stamp(path) != stamp:
                    continue
                # The index on disk cannot be opened: keep answering from the last good one.
                log.warning("keeping the index loaded before: the new one cannot be opened (%s)", exc)
                return replace(view, stamp=stamp)
        return view
