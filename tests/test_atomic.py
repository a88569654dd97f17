"""The one atomic writer: a file appears whole or not at all, and a failed write leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from choreography.atomic import atomic_output
from choreography.errors import MediaError


def test_it_replaces_the_target_only_when_the_block_succeeds(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.json"
    with atomic_output(target, suffix=".tmp") as temp:
        temp.write_text("new")
        assert not target.exists() and temp.parent == target.parent
    assert target.read_text() == "new"
    assert [path.name for path in target.parent.iterdir()] == ["file.json"]


def test_a_failed_block_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_output(target, suffix=".tmp", durable=True) as temp:
        temp.write_text("half")
        raise ValueError("stop")
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["file.json"]


def test_os_errors_name_what_was_written_only_when_asked(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(OSError):
        with atomic_output(blocker / "file.json", suffix=".tmp"):
            pass
    with pytest.raises(MediaError, match="Cannot write the routine video"):
        with atomic_output(blocker / "file.mp4", suffix=".part", what="the routine video"):
            pass
