"""Shared fixtures: small campaigns written to tmp_path, so each test owns its files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "dien-bien-2021"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def base_config() -> dict:
    """The bundled config as a dict, with paths made absolute, to be edited by a test."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["units"] = str(REPO / data["units"])
    for source in data["sources"]:
        source["path"] = str(REPO / source["path"])
    return data


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config dict to tmp_path/config.yaml and return its path."""

    def write(data: dict, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A copy of the bundled example campaign folder with its config, in tmp_path."""
    target = tmp_path / "campaign"
    shutil.copytree(EXAMPLE, target / "examples" / "dien-bien-2021")
    shutil.copy(REPO / "config.yaml", target / "config.yaml")
    return target
