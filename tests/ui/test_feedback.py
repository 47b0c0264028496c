"""ui.feedback: thumbs up/down appended as JSONL lines, safely from many threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.types import Answer, Citation
from ui.feedback import FeedbackLog


def test_records_are_appended_as_json_lines(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "home" / "feedback.jsonl")
    cite = Citation(1, "seeds/a.txt", 3, 9, "quoted", "T", "P", "2025")
    ans = Answer("q?", "quoted [1]", (cite,))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: log.record(f"q{i}?", f"q{i}?", ans, liked=i % 2 == 0, k=5), range(40)))
    rows = [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 40
    assert {r["rating"] for r in rows} == {"up", "down"}
    assert rows[0]["citations"] == [{"id": 1, "source": "seeds/a.txt", "start": 3, "end": 9, "quote": "quoted"}]
    assert set(rows[0]) >= {"ts", "question", "asked", "abstained", "answer", "k"}
