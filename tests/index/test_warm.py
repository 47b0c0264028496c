"""``index.warm``: a model's load started ahead of its first use, on a background thread."""

from __future__ import annotations

import threading

import pytest

from index.warm import Preparable, Warmable, prepare, warm_in_background


class _Model(Warmable):
    """Loads once under its lock, like the ONNX embedder and the cross-encoder."""

    def __init__(self, fail: bool = False, gate: threading.Event | None = None) -> None:
        self._lock = threading.Lock()
        self.loads = 0
        self.session: object = None
        self.fail, self.gate = fail, gate

    def _load(self) -> object:
        with self._lock:
            if self.session is None:
                if self.gate is not None:
                    self.gate.wait(5)
                if self.fail:
                    raise FileNotFoundError("model.onnx: run `make install`")
                self.loads += 1
                self.session = object()
            return self.session


def test_prepare_loads_in_the_background() -> None:
    m = _Model()
    m.prepare().join(5)
    assert m.session is not None and m.loads == 1


def test_a_first_use_during_the_load_waits_for_it_instead_of_loading_again() -> None:
    gate = threading.Event()
    m = _Model(gate=gate)
    thread = m.prepare()
    got: list[object] = []
    user = threading.Thread(target=lambda: got.append(m._load()))
    user.start()
    gate.set()
    thread.join(5)
    user.join(5)
    assert m.loads == 1 and got == [m.session]


def test_a_failed_warm_up_is_raised_by_the_first_real_use() -> None:
    m = _Model(fail=True)
    m.prepare().join(5)  # nothing escapes the background thread
    assert m.session is None
    with pytest.raises(FileNotFoundError, match="make install"):
        m.load()


def test_prepare_skips_what_cannot_be_prepared() -> None:
    m = _Model()
    prepare(object(), m, None)
    assert isinstance(m, Preparable) and not isinstance(object(), Preparable)
    for t in threading.enumerate():
        if t.name == "warm-_Model":
            t.join(5)
    assert m.loads == 1


def test_warm_in_background_runs_on_a_daemon_thread() -> None:
    ran = threading.Event()
    t = warm_in_background(ran.set, "x")
    t.join(5)
    assert ran.is_set() and t.daemon
