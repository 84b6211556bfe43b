"""The templates in `sheets_templates/` are checked at load: a renamed, missing or misspelt key
is one line naming the file and the key (exit 2 from the CLI), never a KeyError later."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import sync.pipeline
from sync.cli import app
from sync.dossier import dossier_layout
from sync.errors import ConfigError
from sync.templates import DEFAULT_TEMPLATES, load_templates

REPO = Path(__file__).resolve().parent.parent


def edited(tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the bundled templates with one file changed."""
    folder = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, folder)
    data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    change(data)
    (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def rename(section: dict[str, Any], old: str, new: str) -> None:
    section[new] = section.pop(old)


CASES = [
    ("outputs.yaml", lambda d: rename(d["review"]["not_eligible"], "dispute", "disputes"),
     "review.not_eligible.dispute"),
    ("outputs.yaml", lambda d: rename(d["dashboard"]["charts"], "funnel", "funel"),
     "dashboard.charts.funel"),
    ("outputs.yaml", lambda d: d["sheets"]["initiatives"]["highlights"][0].update(equals="x"),
     "exactly one of `equals` or `starts_with`"),
    ("outputs.yaml", lambda d: d["dashboard"]["charts"]["by_day"].update(kind="donut"),
     "dashboard.charts.by_day.kind"),
    ("outputs.yaml", lambda d: d["styles"].update(header_fill="blue"), "styles.header_fill"),
    ("outputs.yaml", lambda d: d["sheets"].pop("archive"), "archive"),
    ("outputs.yaml", lambda d: d["sheets"]["initiatives"]["columns"][0].update(format="money2"),
     "sheets.initiatives.columns.0.format"),
    ("outputs.yaml", lambda d: d["validations"].pop("score"), "'score'"),
    ("form.yaml", lambda d: rename(d["questions"][1], "vi", "vn"), "questions.1.vi"),
    ("form.yaml", lambda d: d["questions"].pop(0), "timestamp"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "change", "key"), CASES)
def test_a_broken_template_names_the_file_and_the_key(tmp_path, name, change, key) -> None:
    folder = edited(tmp_path, name, change)
    with pytest.raises(ConfigError) as caught:
        load_templates(folder)
    message = str(caught.value)
    assert name in message and key in message
    assert "\n" not in message


def test_a_broken_dossier_layout_names_the_key(tmp_path) -> None:
    folder = edited(tmp_path, "dossier.yaml", lambda d: d["letter"].pop("signer"))
    with pytest.raises(ConfigError, match=r"dossier\.yaml: letter\.signer"):
        dossier_layout(folder)


def test_the_cli_exits_2_on_a_broken_template(tmp_path, monkeypatch) -> None:
    folder = edited(tmp_path, "outputs.yaml", lambda d: rename(d, "labels", "label"))
    monkeypatch.setattr(sync.pipeline, "load_templates", lambda: load_templates(folder))
    result = CliRunner().invoke(app, ["check", "--config", str(REPO / "config.yaml")])
    assert result.exit_code == 2
    assert "outputs.yaml" in result.output and "labels" in result.output
    assert "Traceback" not in result.output
