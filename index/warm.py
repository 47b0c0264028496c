"""Loading a model on a background thread while the process does other start-up work.

A cold ``rag ask`` spends most of its ~4 s importing llama_index and chromadb, which holds the GIL on
one core; making an ONNX Runtime session (~0.2-0.3 s each) releases it, so it can run on the other
core meanwhile instead of after. A failure here is not reported: the model stays unloaded, and its
first real use loads it again and raises the error there, where the caller can see it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["Preparable", "Warmable", "prepare", "warm_in_background"]

log = logging.getLogger(__name__)


@runtime_checkable
class Preparable(Protocol):
    """Anything whose loading can start ahead of its first use."""

    def prepare(self) -> object:
        """Start loading in the background; never blocks on the load."""
        ...


def prepare(*parts: object) -> None:
    """Start loading each of ``parts`` that is ``Preparable`` (an embedder, an answer stage); others are skipped."""
    for part in parts:
        if isinstance(part, Preparable):
            part.prepare()


class Warmable:
    """Mixin for a model loaded on first use under ``self._lock`` by ``self._load()``: ``prepare`` starts
    that load on a background thread (the lock makes a first use meanwhile wait for it, not load twice)."""

    def _load(self) -> object:
        raise NotImplementedError

    def load(self) -> None:
        """Load now, on this thread (a no-op once loaded)."""
        self._load()

    def prepare(self) -> threading.Thread:
        """Start loading on a daemon thread; returns it (joining is never needed)."""
        return warm_in_background(self.load, type(self).__name__)


def warm_in_background(load: Callable[[], object], name: str) -> threading.Thread:
    """Run ``load`` on a daemon thread, its errors logged at debug level only (see the module docstring)."""

    def run() -> None:
        try:
            load()
        except Exception as exc:  # the first real use raises it again
            log.debug("warming %s failed: %s", name, exc)

    # Daemon: a process that ends before the load does (a bad question, `rag ask` exiting) need not wait.
    thread = threading.Thread(target=run, name=f"warm-{name}", daemon=True)
    thread.start()
    return thread
