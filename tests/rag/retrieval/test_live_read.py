"""``LiveIndex.read``: when a question's read of a generation is redone (pure logic, fake views)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rag.retrieval.live import LiveIndex
from rag.settings import Settings


@dataclass
class FakeView:
    name: str
    stale: bool


def _live(views: list[FakeView]) -> LiveIndex:
    live = LiveIndex(Settings(), embedder=None)  # type: ignore[arg-type]  # read() needs no embedder
    it = iter(views)
    live.current = lambda: next(it)  # type: ignore[method-assign]
    return live


def test_a_read_of_a_fresh_view_is_not_redone() -> None:
    assert _live([FakeView("a", False)]).read(lambda v: v.name) == "a"


def test_a_read_that_went_stale_is_redone_only_when_asked() -> None:
    views = [FakeView("a", True), FakeView("b", False)]
    assert _live(list(views)).read(lambda v: v.name) == "b"
    assert _live(list(views)).read(lambda v: v.name, redo_if_stale=False) == "a"


def test_a_failure_on_a_swept_view_is_redone_and_on_a_fresh_one_raised() -> None:
    def read(v: FakeView) -> str:
        if v.name != "c":
            raise FileNotFoundError(v.name)
        return v.name

    assert _live([FakeView("a", True), FakeView("b", True), FakeView("c", True)]).read(read) == "c"
    with pytest.raises(FileNotFoundError, match="b"):
        _live([FakeView("a", True), FakeView("b", False)]).read(read)
    with pytest.raises(FileNotFoundError, match="d"):  # the last try's failure stands
        _live([FakeView("a", True), FakeView("b", True), FakeView("d", True)]).read(read)


def test_the_last_try_stands_even_if_stale() -> None:
    views = [FakeView(n, True) for n in "abc"]
    assert _live(views).read(lambda v: v.name) == "c"
