"""Where the product finds its layouts, the bundled example and its reference data: the copy a
wheel carries, else the checkout's top-level folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync import resources
from sync.errors import ConfigError


def test_checkout_reads_the_top_level_folders(repo: Path) -> None:
    assert resources.bundled_config() == repo / "config.yaml"
    assert resources.templates_dir() == repo / "sheets_templates"
    assert "expand" in resources.data_text("abbreviations.yaml")


def test_installed_package_reads_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "sync"
    (package / resources.BUNDLED_DIR / "sheets_templates").mkdir(parents=True)
    monkeypatch.setattr(resources, "_package_dir", lambda: package)
    assert resources.templates_dir() == package / resources.BUNDLED_DIR / "sheets_templates"


def test_missing_bundle_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "sync"
    package.mkdir(parents=True)
    monkeypatch.setattr(resources, "_package_dir", lambda: package)
    with pytest.raises(ConfigError, match="reinstall"):
        resources.bundled_config()
