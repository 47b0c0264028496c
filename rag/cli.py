"""The ``rag`` command: ``index``, ``ask``, ``chat``. Bad input exits 2 with one line on stderr."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
from pathlib import Path
from typing import Any

from rag.errors import InvalidQuestionError, RagError

__all__ = ["main", "run", "build_parser", "OneLineParser"]


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line and exit 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    p = OneLineParser(prog="rag", description="Grounded answers with exact, checked citations.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    ix = sub.add_parser("index", help="build or update the index (incremental)")
    ix.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="files or folders (default: the collection's configured documents); its uploads are always kept",
    )
    _collection_arg(ix)
    ix.add_argument(
        "--rebuild",
        action="store_true",
        help="write a new index generation from the saved vectors even if nothing changed",
    )
    ix.add_argument("--reembed", action="store_true", help="forget the saved vectors and embed every document again")
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print Answer.to_dict() as JSON")
    ask.add_argument("--k", type=int, default=None, help="passages to retrieve (1-50)")
    _collection_arg(ask)
    _collection_arg(sub.add_parser("chat", help="interactive prompt (Ctrl-D to quit)"))
    _add_plugins(sub)
    return p


def _collection(text: str) -> str:
    import re

    from rag.settings import COLLECTION_PATTERN

    if not re.match(COLLECTION_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a collection name (2-51 letters, digits, '-' or '_')")
    return text


def _collection_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--collection",
        type=_collection,
        default=None,
        help="named index under RAG_HOME (default: RAG_COLLECTION, else 'rag', the seeds)",
    )


def _settings(args: argparse.Namespace) -> Any:
    from rag.settings import Settings

    collection = getattr(args, "collection", None)
    return Settings(collection=collection) if collection else Settings()


def _add_plugins(sub: Any) -> None:
    """Subcommands other packages register (``ui``, ``eval``) through the ``rag.commands`` entry points.

    rag never imports ui/ or evals/ by name: they plug in, keeping imports one-way.
    """
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="rag.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except Exception as exc:  # a broken optional plugin must not take the core CLI down
            print(f"rag: warning: command {ep.name!r} unavailable ({exc})", file=sys.stderr)
            continue
        register(sub)


def _assistant(args: argparse.Namespace) -> Any:
    from rag.assistant import Assistant

    return Assistant(_settings(args))


def _render(answer: Any) -> str:
    lines = [answer.text]
    for c in answer.citations:
        who = f"{c.publisher}, " if c.publisher else ""
        lines.append(f"  [{c.id}] {who}{c.source} [{c.start}:{c.end}]: “{c.quote}”")
    return "\n".join(lines)


def _cmd_index(args: argparse.Namespace) -> int:
    from index.errors import IndexCorruptError

    settings = _settings(args)
    try:
        report = _build(settings, args)
    except IndexCorruptError as exc:
        # An unreadable manifest: set it aside and build again. The saved vectors are untouched, so
        # only documents they lack are embedded; a running assistant keeps its last good generation.
        from index.manifest import set_aside_manifest

        if not set_aside_manifest(settings.home, settings.collection):
            raise
        print(f"rag: {exc}; set it aside and rebuilding", file=sys.stderr)
        report = _build(settings, args)
    for s in report.skipped:
        print(f"rag: skipped {s.path}: {s.reason}", file=sys.stderr)
    print(report.summary())
    return 0


def _build(settings: Any, args: argparse.Namespace) -> Any:
    """Build straight into the store: a one-shot command needs no Assistant (nor a first build of the defaults)."""
    from index.build import build_index
    from index.embed import default_embedder
    from index.store import Store
    from rag.library import collection_targets, remember_targets

    targets = collection_targets(settings, args.paths)  # the collection's uploads are never dropped
    for p in targets:
        if not p.exists():
            raise InvalidQuestionError(f"no such file or folder: {p}")
    if args.paths:
        remember_targets(settings, args.paths)
    store = Store(settings.home, settings.chroma_url, settings.collection, opened=False)  # the build checks it
    try:
        return build_index(
            targets, store, default_embedder(), settings.root, settings.progress, args.rebuild, reembed=args.reembed
        )
    finally:
        store.close()


def _cmd_ask(args: argparse.Namespace) -> int:
    a = _assistant(args)
    answer = a.ask(args.question, k=args.k)
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else _render(answer))
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    a = _assistant(args)
    print("Ask about the indexed documents (Ctrl-D to quit).", file=sys.stderr)
    while True:
        try:
            q = input("? ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if not q.strip():
            continue
        try:
            print(_render(a.ask(q)))
        except RagError as exc:
            print(f"rag: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rag`` console script."""
    args = build_parser().parse_args(argv)
    builtin = {"index": _cmd_index, "ask": _cmd_ask, "chat": _cmd_chat}
    handler = builtin.get(args.command) or args.handler
    try:
        return handler(args)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return 2


# Commands with nothing left to save once their output is flushed (see ``run``).
_READ_ONLY = frozenset({"ask"})


def run() -> None:
    """Entry point of the ``rag`` console script: ``main``, then a quick exit after a read-only command.

    Tearing down the interpreter after ``rag ask`` (module dictionaries, llama_index's and chromadb's
    classes) took 0.6-0.7 s, a fifth of a cold answer. ``ask`` writes nothing but the first build of a
    missing index, which is committed (fsynced, manifest swapped) before it answers and is made to survive
    a kill at any point; so once stdout and stderr are flushed and the ``atexit`` handlers have run, the
    process can end at once (checked: the next open finds that generation whole, no repair). Commands
    that write (``index``, ``eval``'s reports, ...) keep the normal exit.
    """
    argv = sys.argv[1:]
    try:
        rc = main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``rag ask ... | head -c 5``): no traceback. As the signal module's docs
        # advise, stdout goes to devnull so the exit's own flush cannot fail again, and the exit code is 1.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        rc = 1
    if not argv or argv[0] not in _READ_ONLY:
        raise SystemExit(rc)
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(rc)


if __name__ == "__main__":
    run()
