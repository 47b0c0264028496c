"""The shipped answer model: a missing or damaged adapter is a clear error naming the command that rebuilds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.export import ensure_cross_model
from rag.errors import ModelMissingError, RagError


def test_missing_adapter_names_the_rebuild_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="make train") as info:
        ensure_cross_model(tmp_path / "adapter.safetensors")
    assert isinstance(info.value, RagError) and "missing" in str(info.value)


def test_damaged_adapter_names_the_rebuild_command(tmp_path: Path) -> None:
    bad = tmp_path / "adapter.safetensors"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelMissingError, match="make train") as info:
        ensure_cross_model(bad)
    assert "unreadable" in str(info.value)
