"""pytest plugin: grounding evals in a team's own test suite (the ``pytest11`` entry point ``rag``).

Installed with the package and inert until used. Configuration (ini options, or the command line):

* ``rag_corpus`` (``--rag-corpus``): folders or files to index (default: ``RAG_DOCS``, else the settings);
* ``rag_home`` (``--rag-home``): the index folder (default: ``RAG_HOME``, else ``.rag/``): keep it
  between CI runs and only changed documents are embedded again;
* ``rag_questions`` (``--rag-questions FILE``): a questions file (``rag eval``'s JSONL) becomes one
  test per question, ``rag_question[<id>]``;
* ``rag_thresholds`` (``--rag-thresholds FILE``): a TOML file of floors (``[min]``/``[max]``, as
  ``evals/thresholds.toml``) becomes one test per floor, ``rag_floor[<metric>]``. Without one, the
  only floor is ``citation_validity >= 1.0``.

So a team's gate is two lines of ``pytest.ini`` (``rag_questions = ...`` and ``rag_thresholds = ...``)
besides where its documents are. The floors gate the run; a question that is answered wrongly is
reported as xfail with its reasons (``-rx`` lists them), unless ``rag_strict_questions = true``
makes every question a hard test. A question whose citations do not re-read is always a failure.

Fixtures: ``rag_assistant`` (the session's ``Assistant``) and ``rag_answer`` (``rag_answer(question,
k=None) -> Answer``). :func:`assert_grounded` checks one answer. ``-p no:rag`` turns the plugin off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from evals.citations import source_loader
from evals.grounded import GroundingError, assert_grounded, format_answer

__all__ = ["GroundingError", "assert_grounded", "format_answer", "rag_assistant", "rag_answer"]

_DEFAULT_FLOORS = {"min": {"citation_validity": 1.0}, "max": {}}
_KEY = pytest.StashKey["_Run"]()


# -- configuration ----------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rag", "grounding evals (rag-grounded)")
    group.addoption("--rag-questions", default=None, help="questions JSONL file: one test per question")
    group.addoption("--rag-thresholds", default=None, help="TOML floors ([min]/[max]): one test per floor")
    group.addoption("--rag-corpus", action="append", default=None, help="folder or file to index (repeatable)")
    group.addoption("--rag-home", default=None, help="index folder (default: RAG_HOME, else .rag/)")
    parser.addini("rag_questions", "questions JSONL file: one test per question", default="")
    parser.addini("rag_thresholds", "TOML floors ([min]/[max]): one test per floor", default="")
    parser.addini("rag_corpus", "folders or files to index (one per line)", type="linelist", default=[])
    parser.addini("rag_home", "index folder (default: RAG_HOME, else .rag/)", default="")
    parser.addini("rag_strict_questions", "every question must pass (not only the floors)", type="bool", default=False)


def _path(config: pytest.Config, name: str) -> Path | None:
    """A path option: the command line's relative to the working folder, the ini file's relative to it."""
    value = config.getoption(name.replace("rag_", "--rag-").replace("_", "-"))
    if value:
        return Path(value).resolve()
    ini = str(config.getini(name) or "")
    if not ini:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return (base / ini).resolve()


class _Run:
    """The session's assistant, built once, and each question's result, asked once."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._assistant: Any = None
        self.questions: list[dict[str, Any]] = []
        self.results: dict[str, Any] = {}

    def overrides(self) -> dict[str, Any]:
        c = self.config
        out: dict[str, Any] = {"progress": False}
        home = _path(c, "rag_home")
        if home is not None:
            out["home"] = home
        cli = c.getoption("--rag-corpus")
        base = c.inipath.parent if c.inipath else c.rootpath
        corpus = [Path(p).resolve() for p in cli] if cli else [(base / p).resolve() for p in c.getini("rag_corpus")]
        if corpus:
            out["docs"] = corpus
        return out

    @property
    def assistant(self) -> Any:
        if self._assistant is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from rag.assistant import Assistant

            self._assistant = Assistant(**self.overrides())
            docs = self.overrides().get("docs")
            if docs:  # an index kept from an earlier run (a CI cache) is brought up to date, incrementally
                self._assistant.index(docs)
        return self._assistant

    def result(self, q: dict[str, Any]) -> Any:
        key = str(q["id"])
        if key not in self.results:
            from evals.metrics import cached_judge, score_question
            from evals.run import _names
            from rag.grounding.verify import is_supported

            a = self.assistant
            answer = a.ask(q["question"])
            judge = cached_judge(is_supported)
            load = source_loader(Path(a.settings.root))
            self.results[key] = (answer, score_question(q, answer, 0.0, judge, load, a.settings.k, _names(a)))
        return self.results[key]

    def scores(self) -> dict[str, Any]:
        from evals.metrics import aggregate

        return aggregate([self.result(q)[1] for q in self.questions], self.assistant.settings.k)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEY] = _Run(config)
    config.addinivalue_line("markers", "rag_question: a question of the --rag-questions file")
    config.addinivalue_line("markers", "rag_floor: a floor of the --rag-thresholds file")


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection sees the items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    path = _path(config, "rag_questions")
    if path is None:
        return
    from evals.inputs import EvalInputError, load_questions, load_thresholds

    run = config.stash[_KEY]
    thresholds_path = _path(config, "rag_thresholds")
    try:
        run.questions = load_questions(path)
        floors = load_thresholds(thresholds_path) if thresholds_path else _DEFAULT_FLOORS
    except EvalInputError as exc:
        raise pytest.UsageError(f"rag: {exc}") from exc
    strict = bool(config.getini("rag_strict_questions"))
    where = path.relative_to(config.rootpath) if path.is_relative_to(config.rootpath) else path
    added: list[pytest.Item] = []
    for q in run.questions:
        name = f"rag_question[{q['id']}]"
        item = QuestionItem.from_parent(session, name=name, nodeid=f"{where}::{name}", question=q, strict=strict)
        item.add_marker("rag_question")
        added.append(item)
    for side, limits in floors.items():
        for metric, limit in limits.items():
            if metric.startswith("judge_"):
                continue  # the judge's own floors are `rag eval --judge`'s, not a questions file's
            name = f"rag_floor[{metric}]"
            floor = FloorItem.from_parent(
                session, name=name, nodeid=f"{where}::{name}", side=side, metric=metric, limit=limit
            )
            floor.add_marker("rag_floor")
            added.append(floor)
    items.extend(added)
    # Reported as collected, so "collected N items" (and --collect-only) count them.
    config.hook.pytest_collectreport(report=pytest.CollectReport(str(where), "passed", None, list[Any](added)))


# -- the generated tests ------------------------------------------------------------------------
class QuestionItem(pytest.Item):
    """One question of the questions file, asked through the session's assistant and scored."""

    def __init__(self, *, question: dict[str, Any], strict: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.question, self.strict = question, strict

    def runtest(self) -> None:
        answer, result = self.config.stash[_KEY].result(self.question)
        if result.valid_citations < result.citations:  # the invariant: never tolerated
            raise GroundingError(_message(answer, result.reasons, "citations that do not re-read"))
        if not result.correct or (result.cite is not None and result.cite.recall < 1.0):
            why = [r for r in result.reasons if "redundant" not in r] or ["wrong"]
            if self.strict:
                raise GroundingError(_message(answer, why, "wrong answer"))
            pytest.xfail("; ".join(why))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, GroundingError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.name}: {self.question['question']}"


class FloorItem(pytest.Item):
    """One floor: the metric over all the questions must be >= (``min``) or <= (``max``) its limit."""

    def __init__(self, *, side: str, metric: str, limit: float, **kw: Any) -> None:
        super().__init__(**kw)
        self.side, self.metric, self.limit = side, metric, limit

    def runtest(self) -> None:
        run = self.config.stash[_KEY]
        scores = run.scores()
        if self.metric not in scores:
            raise GroundingError(f"unknown metric {self.metric!r}; known: {', '.join(sorted(scores))}")
        value = scores[self.metric]
        op = ">=" if self.side == "min" else "<="
        if value is None:  # e.g. abstention_recall of a file with no unanswerable question: shown as a skip
            pytest.skip(f"{self.metric} not measured: no question in the file it applies to")
        if (self.side == "min" and value < self.limit) or (self.side == "max" and value > self.limit):
            broken = [r for _, r in (run.result(q) for q in run.questions) if r.reasons]
            lines = [f"  {r.id} {r.question!r}: {'; '.join(r.reasons)}" for r in broken]
            raise GroundingError(
                f"{self.metric} = {value:.4f}, the floor needs {op} {self.limit:.2f} "
                f"({scores['questions']} questions)\nquestions with problems ({len(broken)}):\n" + "\n".join(lines)
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, GroundingError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        op = ">=" if self.side == "min" else "<="
        return self.path, None, f"{self.name}: {self.metric} {op} {self.limit}"


def _message(answer: Any, reasons: Iterable[str], what: str) -> str:
    return f"{what}:\n{format_answer(answer)}\nfailed:\n" + "\n".join(f"  - {r}" for r in reasons)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rag_assistant(pytestconfig: pytest.Config) -> Any:
    """The session's ``rag.Assistant`` over ``rag_corpus`` with its index in ``rag_home`` (built if missing)."""
    return pytestconfig.stash[_KEY].assistant


@pytest.fixture(scope="session")
def rag_answer(rag_assistant: Any) -> Callable[..., Any]:
    """``rag_answer(question, k=None) -> Answer`` through the session's assistant."""

    def ask(question: str, k: int | None = None) -> Any:
        return rag_assistant.ask(question, k=k)

    return ask


def pytest_report_header(config: pytest.Config) -> str | None:
    path = _path(config, "rag_questions")
    if path is None:
        return None
    floors = _path(config, "rag_thresholds")
    return f"rag: questions {path}, floors {floors or 'citation_validity >= 1.0 (no rag_thresholds)'}"
