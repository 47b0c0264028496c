"""Concurrent asks from threads return exactly what sequential asks return."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor


def _key(answer) -> str:
    d = answer.to_dict()
    return json.dumps({"text": d["text"], "abstained": d["abstained"], "citations": d["citations"]}, sort_keys=True)


def test_fifty_concurrent_asks_match_sequential(assistant, acceptance) -> None:
    questions = [q["question"] for q in acceptance]
    expected = {q: _key(assistant.ask(q)) for q in questions}
    batch = [questions[i % len(questions)] for i in range(50)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        got = list(pool.map(lambda q: (q, _key(assistant.ask(q))), batch))
    mismatched = [q for q, key in got if key != expected[q]]
    assert len(got) == 50 and not mismatched, mismatched
