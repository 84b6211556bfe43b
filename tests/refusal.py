"""Running the CLI on a broken config or tree: it must refuse in one line, with exit 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sync.cli import app
from sync.errors import ConfigError


def refused(config: Path) -> str:
    """The one line `sangkien check` prints for a config it refuses (exit 2, no traceback)."""
    result = CliRunner().invoke(app, ["check", "--config", str(config)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == ConfigError.exit_code, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ")
    return line
