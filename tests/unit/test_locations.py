"""The tools folder follows one rule, whatever the working directory or install location."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hybridstack import locations


@pytest.fixture
def no_recorded_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    prefix = tmp_path / "venv"
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.delenv(locations.TOOLS_DIR_VARIABLE, raising=False)
    return prefix


def test_the_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(locations.TOOLS_DIR_VARIABLE, str(tmp_path / "mine"))
    assert locations.tools_dir() == tmp_path / "mine"


def test_the_environment_records_its_tools_folder(
    no_recorded_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = locations.recorded_tools_dir_file()
    recorded.parent.mkdir(parents=True)
    recorded.write_text(f"{tmp_path / 'checkout' / '.tools'}\n")
    monkeypatch.chdir(tmp_path)  # anywhere: the recorded folder is found
    assert locations.tools_dir() == tmp_path / "checkout" / ".tools"


def test_else_the_nearest_tools_folder_above_the_working_directory(
    no_recorded_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "project" / ".tools").mkdir(parents=True)
    (tmp_path / "project" / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "project" / "src" / "deep")
    assert locations.tools_dir() == tmp_path / "project" / ".tools"


def test_the_checkout_environment_records_the_checkout_tools() -> None:
    recorded = locations.recorded_tools_dir_file()
    assert recorded.is_file(), "scripts/setup records the tools folder of the checkout's .venv"
    assert (Path(recorded.read_text().strip()) / "ministack" / "bin" / "python").exists()
