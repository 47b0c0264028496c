"""The manifest file: atomic write and consistent read, clear errors, setting aside an unreadable one."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import IndexCorruptError
from index.generation import file_stamp
from index.manifest import MANIFEST_VERSION, manifest_file, read_manifest, set_aside_manifest, write_manifest

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.dictionaries(st.text(min_size=1, max_size=12), _JSON, max_size=4), gen=st.integers(0, 10**6))
def test_what_is_written_is_read_back_with_its_stamp(tmp_path: Path, docs: dict, gen: int) -> None:
    path = manifest_file(tmp_path)
    data = {"version": MANIFEST_VERSION, "gen": gen, "docs": docs}
    stamp = write_manifest(path, data)
    assert stamp == file_stamp(path)
    assert read_manifest(path) == (data, stamp)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_a_missing_manifest_reads_as_an_empty_index(tmp_path: Path) -> None:
    data, stamp = read_manifest(manifest_file(tmp_path))
    assert data == {"version": MANIFEST_VERSION, "docs": {}}
    assert stamp is None


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"docs": []}', "\udcff".encode("utf-8", "surrogatepass")])
def test_an_unreadable_manifest_names_the_command_that_rebuilds_it(tmp_path: Path, text: str | bytes) -> None:
    path = manifest_file(tmp_path)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(IndexCorruptError, match="rag index"):
        read_manifest(path)
    assert set_aside_manifest(tmp_path) is True
    assert not path.exists()
    assert [p.name.startswith(f"{path.name}.corrupt-") for p in tmp_path.iterdir()] == [True]


def test_a_readable_or_missing_manifest_is_not_set_aside(tmp_path: Path) -> None:
    assert set_aside_manifest(tmp_path) is False
    path = manifest_file(tmp_path)
    write_manifest(path, {"version": MANIFEST_VERSION, "docs": {}})
    assert set_aside_manifest(tmp_path) is False
    assert path.exists()
