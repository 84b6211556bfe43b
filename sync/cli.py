"""The `sangkien` command. Each command parses its options, calls one library function and turns
the library's own errors into a one-line message and an exit code; no logic lives here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .config import read_settings
from .console import progress, summary_json, summary_table
from .errors import SyncError
from .pipeline import SyncResult, run_sync

app = typer.Typer(
    help="Validate, de-duplicate and tally '75 nghìn sáng kiến' initiatives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The campaign's config.yaml.", show_default=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except SyncError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def _print_summary(result: SyncResult, as_json: bool) -> None:
    if as_json:
        typer.echo(summary_json(result))
    else:
        out.print(summary_table(result))


@app.command()
def sync(
    config: ConfigOption = Path("config.yaml"),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: from the config).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Read the responses, check and tally them, write every unit's workbook and the report."""
    with _reported(), progress(err) as on_stage:
        result = run_sync(read_settings(config), out_dir, on_stage=on_stage)
    _print_summary(result, as_json)


@app.command()
def check(config: ConfigOption = Path("config.yaml"), as_json: JsonOption = False) -> None:
    """Read and check the responses without writing anything."""
    with _reported(), progress(err) as on_stage:
        result = run_sync(read_settings(config), write=False, on_stage=on_stage)
    _print_summary(result, as_json)


@app.command()
def form(config: ConfigOption = Path("config.yaml")) -> None:
    """Print the Apps Script that creates the Google Form (paste it into script.google.com)."""
    from .form import build_form_script

    with _reported():
        script = build_form_script(read_settings(config))
    typer.echo(script, nl=False)


@app.command()
def qr(
    config: ConfigOption = Path("config.yaml"),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for the files (default: output folder).")
    ] = None,
) -> None:
    """Write the form's QR code (PNG, SVG) and a printable A4 poster (PDF)."""
    from .qr import write_qr_files

    with _reported():
        written = write_qr_files(read_settings(config), out_dir)
    for path in written:
        typer.echo(str(path))
