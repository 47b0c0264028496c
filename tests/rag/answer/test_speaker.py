"""How an attributed answer names a document, whatever metadata it has."""

from __future__ import annotations

import pytest

from rag.answer.answerers import speaker


@pytest.mark.parametrize(
    ("meta", "name"),
    [
        ({"short": "REEx", "publisher": "Rare Earth Exchanges", "source": "seeds/a.txt"}, "REEx"),
        ({"publisher": "South China Morning Post", "source": "seeds/b.txt"}, "South China Morning Post"),
        ({"title": "Quarterly notes", "source": "docs/notes.md"}, "Quarterly notes"),
        ({"source": "docs/plain/notes.txt"}, "notes.txt"),  # never "According to None"
    ],
)
def test_speaker_falls_back_to_title_then_file_name(meta: dict[str, str], name: str) -> None:
    assert speaker(meta) == name
