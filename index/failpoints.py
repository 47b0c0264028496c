"""Named points where a test can kill the process: crash safety is tested at exact moments, not by luck.

``RAG_FAILPOINTS="name=kill@3;other=kill-in@1:0.02"`` makes the 3rd pass through ``failpoint("name")``
SIGKILL the process at once, and the 1st pass through ``other`` have the process SIGKILLed 20 ms later
(so the kill lands *inside* whatever runs next, such as a Chroma write). Unset (always, outside
tests), a failpoint is one dictionary lookup.

The points: ``vectors.commit`` (a durable-vector transaction written, not yet committed),
``chroma.add`` / ``chroma.added`` (before and after each Chroma write call of a generation),
``publish.verified`` (the new generation checked, its manifest not yet swapped), ``publish.committed``
(swapped, the previous generation not yet removed).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter

__all__ = ["failpoint", "ENV"]

ENV = "RAG_FAILPOINTS"


def _parse(spec: str) -> dict[str, tuple[str, int, float]]:
    out: dict[str, tuple[str, int, float]] = {}
    for item in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, action = item.partition("=")
        kind, _, when = action.partition("@")
        nth, _, delay = when.partition(":")
        out[name.strip()] = (kind.strip(), int(nth or 1), float(delay or 0))
    return out


_POINTS = _parse(os.environ.get(ENV, ""))
_HITS: Counter[str] = Counter()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def failpoint(name: str) -> None:
    """Pass the point ``name``: does nothing unless ``RAG_FAILPOINTS`` arms it."""
    if not _POINTS or name not in _POINTS:
        return
    kind, nth, delay = _POINTS[name]
    _HITS[name] += 1
    if _HITS[name] != nth:
        return
    if kind == "kill":
        _die()
    elif kind == "kill-in":
        # Another process does the kill: a timer thread here would need the GIL, which a long call
        # into Chroma's Rust core may hold until it returns, so the kill would land only after it.
        subprocess.Popen(["/bin/sh", "-c", f"sleep {delay:.4f}; kill -9 {os.getpid()}"])
