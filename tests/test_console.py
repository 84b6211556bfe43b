"""Terminal output is plain text: brackets in a path, a header or a name are printed as typed."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from sync.cli import app
from sync.console import print_error
from sync.errors import ConfigError, SourceError

NAME = "[bản sao] config.yaml"


def test_error_naming_a_bracketed_file_is_one_plain_line(tmp_path: Path) -> None:
    config = tmp_path / NAME
    result = CliRunner().invoke(app, ["check", "--config", str(config)])
    assert result.exit_code == ConfigError.exit_code
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert f"{config}: config file not found" in lines[0]


def test_bracketed_header_is_named_as_typed(
    tmp_path: Path, base_config: dict, write_config
) -> None:
    responses = tmp_path / "responses.csv"
    responses.write_text("[ghi chú],[bold]x[/bold]\n1,2\n", encoding="utf-8")
    base_config["sources"] = [{"name": "[nguồn]", "kind": "csv", "path": str(responses)}]
    config = write_config(base_config, name=NAME)
    result = CliRunner().invoke(app, ["check", "--config", str(config)])
    assert result.exit_code == SourceError.exit_code
    [line] = result.output.strip().splitlines()
    assert "[ghi chú]" in line and "[bold]x[/bold]" in line and "[nguồn]" in line


def test_markup_like_text_is_not_interpreted() -> None:
    console = Console(record=True, width=200)
    print_error(console, "[/] [red]units.xlsx[/red] [link=x]")
    assert console.export_text().strip() == "error: [/] [red]units.xlsx[/red] [link=x]"


def test_the_summary_names_the_sheet_each_workbook_was_read_from() -> None:
    import json

    config = Path(__file__).resolve().parent.parent / "config.yaml"  # the bundled example
    result = CliRunner().invoke(app, ["check", "--config", str(config), "--json"])
    sources = json.loads(result.output)["sources"]
    workbooks = [s for s in sources if s["name"].startswith("huyen")]
    assert workbooks and all(s["sheet"] == "Câu trả lời biểu mẫu 1" for s in workbooks)
    assert all("sheet" not in s for s in sources if s not in workbooks)  # a CSV has no sheets
