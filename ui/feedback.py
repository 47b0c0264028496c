"""Thumbs up/down feedback, appended as one JSON object per line to ``<index home>/feedback.jsonl``.

Each line holds what an evaluation needs to turn it into a candidate question: the question as typed
and as searched, the rating, whether the assistant abstained, its answer text and the cited spans.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from rag.types import Answer

__all__ = ["FeedbackLog", "FILE_NAME"]

FILE_NAME = "feedback.jsonl"


class FeedbackLog:
    """Thread-safe appender of feedback records to one JSONL file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, question: str, asked: str, answer: Answer, liked: bool, k: int | None = None) -> dict[str, Any]:
        """Append one rating of ``answer`` and return the record written."""
        row: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "rating": "up" if liked else "down",
            "question": question,
            "asked": asked,
            "k": k,
            "abstained": answer.abstained,
            "reason": answer.reason,
            "answer": answer.text,
            "citations": [
                {"id": c.id, "source": c.source, "start": c.start, "end": c.end, "quote": c.quote}
                for c in answer.citations
            ],
        }
        line = json.dumps(row, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
        return row
