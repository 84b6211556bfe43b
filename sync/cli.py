"""The `sangkien` command. Each command parses its options, calls one library function and turns
the library's own errors into a one-line message and an exit code; no logic lives here."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .config import read_settings
from .console import print_error, progress, summary_json, summary_table
from .errors import ConfigError, ExitCode, SyncError, writing
from .pipeline import SyncResult, run_sync

app = typer.Typer(
    help="Validate, de-duplicate and tally '75 nghìn sáng kiến' initiatives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
# `ctx.obj` of a command run by the installed `sangkien` (`main`), not by a test's CliRunner.
_INSTALLED = "installed"

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The campaign's config.yaml.", show_default=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help='Run the rules as at "YYYY-MM-DD HH:MM" in the campaign\'s time zone (default: now).',
    ),
]


def _print_error(exc: SyncError) -> None:
    print_error(err, str(exc))


@contextmanager
def _reported() -> Iterator[None]:
    """Every library error becomes its one-line message and its class's exit code."""
    try:
        yield
    except SyncError as exc:
        _print_error(exc)
        raise typer.Exit(int(exc.exit_code)) from None


def _moment(config: Path, as_of: str | None) -> datetime | None:
    if as_of is None:
        return None
    try:
        return read_settings(config).campaign.moment(as_of)
    except ValueError as exc:
        raise ConfigError(f"--as-of: {exc}") from None


def _finish(ctx: typer.Context, code: ExitCode) -> None:
    """End a command that holds a whole report. Run as the installed command, the process leaves
    at once, its output flushed: freeing a million rows' objects one by one took seconds after
    the work was done (11.5 s in benchmarks/HISTORY.md), where the system takes the memory back
    at once."""
    if ctx.obj == _INSTALLED:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(int(code))
    if code is not ExitCode.OK:
        raise typer.Exit(int(code))


def _print_summary(result: SyncResult, as_json: bool) -> None:
    if as_json:
        typer.echo(summary_json(result))
    else:
        out.print(summary_table(result))
    for path, why in result.not_written.items():
        print_error(err, f"{path}: not written, left as it was ({why})")


@app.command()
def sync(
    ctx: typer.Context,
    config: ConfigOption = Path("config.yaml"),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: from the config).")
    ] = None,
    as_json: JsonOption = False,
    every: Annotated[
        str | None,
        typer.Option("--every", help="Sync again every 30s, 15m, 1h… until Ctrl+C or SIGTERM."),
    ] = None,
    lock_wait: Annotated[
        float, typer.Option("--lock-wait", help="Seconds to wait for a running sync to finish.")
    ] = 10.0,
    as_of: AsOfOption = None,
) -> None:
    """Read the responses, check and tally them, write every unit's workbook and the report."""
    from .schedule import locked_sync, log_folder, parse_interval, setup_logging

    with _reported():
        interval = parse_interval(every) if every is not None else None
        if interval is not None and as_of is not None:
            raise ConfigError("--as-of runs one sync at a fixed moment; drop --every")
        now = _moment(config, as_of)
        folder = log_folder(config, out_dir)
        if folder is not None:
            with writing(folder):
                setup_logging(folder)
    if interval is not None:
        _sync_every(interval, config, out_dir, as_json, lock_wait)
        return
    with _reported(), progress(err) as on_stage:
        result = locked_sync(config, out_dir, lock_wait=lock_wait, on_stage=on_stage, now=now)
    _print_summary(result, as_json)
    _finish(ctx, ExitCode.PARTIAL if result.not_written else ExitCode.OK)


@app.command()
def check(
    ctx: typer.Context,
    config: ConfigOption = Path("config.yaml"),
    as_json: JsonOption = False,
    as_of: AsOfOption = None,
) -> None:
    """Read and check the responses without writing anything."""
    with _reported(), progress(err) as on_stage:
        now = _moment(config, as_of)
        result = run_sync(read_settings(config), write=False, on_stage=on_stage, now=now)
    _print_summary(result, as_json)
    _finish(ctx, ExitCode.OK)


@app.command()
def form(config: ConfigOption = Path("config.yaml")) -> None:
    """Print the Apps Script that creates the Google Form (paste it into script.google.com)."""
    from .form import build_form_script

    with _reported():
        script = build_form_script(read_settings(config))
    typer.echo(script, nl=False)


@app.command("spreadsheets-script")
def spreadsheets_script(
    config: ConfigOption = Path("config.yaml"),
    account: Annotated[
        str | None,
        typer.Option("--account", help="The sync's account (default: from the key or sign-in)."),
    ] = None,
) -> None:
    """Print the Apps Script that creates the units' spreadsheets (google.owner: apps_script)."""
    from .google.apps_script import build_spreadsheets_script

    with _reported():
        script = build_spreadsheets_script(read_settings(config), account)
    typer.echo(script, nl=False)


@app.command()
def login(
    config: ConfigOption = Path("config.yaml"),
    browser: Annotated[
        bool,
        typer.Option(
            "--browser/--no-browser",
            help="Open a browser here, or (--no-browser) print an address to open elsewhere.",
        ),
    ] = True,
) -> None:
    """Sign in to Google as a person (google.auth: user) and keep the token for the sync."""
    from .google.auth import login as sign_in
    from .google.auth import token_path

    with _reported():
        settings = read_settings(config).google
        identity = sign_in(settings, browser=browser)
    typer.echo(f"Signed in as {identity.account or '?'}; token saved in {token_path(settings)}")


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


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The new campaign folder.")],
    province: Annotated[
        str | None, typer.Option("--province", help="The province's name, e.g. Lai Châu.")
    ] = None,
    closes: Annotated[
        str | None,
        typer.Option("--closes", help='When the form closes: "YYYY-MM-DD HH:MM" (24:00 allowed).'),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder that is not empty.")
    ] = False,
) -> None:
    """Create a ready-to-edit campaign folder: config.yaml, units.xlsx and example responses."""
    from .scaffold import init_campaign

    with _reported():
        written = init_campaign(folder, province=province, closes=closes, force=force)
    for path in written:
        typer.echo(str(path))
    typer.echo(f"Next: sangkien doctor --config {folder / 'config.yaml'}")


@app.command()
def doctor(config: ConfigOption = Path("config.yaml")) -> None:
    """Check the config, the organisation tree, the sources, the key, the clock and the calendar."""
    from .doctor import blocks_sync, run_doctor

    findings = run_doctor(config)
    for finding in findings:
        mark = "✓" if finding.ok else ("✗" if finding.blocking else "!")
        typer.echo(f"{mark} {finding.name}: {finding.message}")
    if blocks_sync(findings):
        raise typer.Exit(ExitCode.BLOCKED)


def _sync_every(
    interval: float, config: Path, out_dir: Path | None, as_json: bool, lock_wait: float
) -> None:
    from .schedule import locked_sync, run_every, stop_on_signals

    def once() -> None:
        with progress(err) as on_stage:
            result = locked_sync(config, out_dir, lock_wait=lock_wait, on_stage=on_stage)
        _print_summary(result, as_json)

    run_every(interval, once, stop_on_signals(), on_error=_print_error)


@app.command()
def dossier(
    unit: Annotated[str, typer.Option("--unit", help="The unit's id in the organisation tree.")],
    config: ConfigOption = Path("config.yaml"),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder (default: <output dir>/ho-so).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write it even if a nomination breaks a rule.")
    ] = False,
    as_of: AsOfOption = None,
) -> None:
    """Write a unit's nomination dossier: summary table (.xlsx) and Tờ trình (.docx)."""
    from .dossier import build_dossier

    with _reported():
        now = _moment(config, as_of)
        written = build_dossier(read_settings(config), unit, out_dir, force=force, now=now)
    for path in written:
        typer.echo(str(path))


def main() -> None:
    """The installed `sangkien` command."""
    app(prog_name="sangkien", obj=_INSTALLED)
