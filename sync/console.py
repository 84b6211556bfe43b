"""Terminal output: the progress line while a sync runs and the summary table after it.

Rendered from the same Report as the sheets and the JSON file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .pipeline import StageHook, SyncResult

STAGE_TEXT = {
    "read": "Reading responses",
    "normalise": "Cleaning values",
    "validate": "Checking rules",
    "dedupe": "Finding duplicates",
    "resolve": "Matching unions",
    "keep": "Keeping the checked responses",
    "review": "Reading officers' reviews",
    "tally": "Counting",
    "write": "Writing outputs",
}


@contextmanager
def progress(console: Console) -> Iterator[StageHook]:
    """A spinner naming the running stage; silent when output is not a terminal."""
    if not console.is_terminal:
        yield lambda _stage: None
        return
    with console.status("Starting…") as status:
        yield lambda stage: status.update(STAGE_TEXT.get(stage, stage) + "…")


def print_error(console: Console, message: str) -> None:
    """One line, printed as plain text: square brackets in a path or a header ("[bản sao]
    config.yaml") are part of the message, not rich markup."""
    line = Text("error: ", style="bold red")
    line.append(message)
    console.print(line, highlight=False, soft_wrap=True)


def summary_table(result: SyncResult) -> Table:
    report = result.report
    figures = report.summary()
    # Campaign and source names are typed by people: Text keeps their brackets literal.
    table = Table(title=Text(f"sangkien sync — {report.campaign}"), show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for source in report.sources:
        sheet = f", sheet «{source.sheet}»" if source.sheet else ""
        name = Text(f"rows read from {source.name} ({source.kind}{sheet})")
        table.add_row(name, f"{source.rows:,}")
    if report.last_summary is not None:
        table.add_row("nothing changed since the last sync: only the report's time is new", "")
    elif report.checks_reused:
        table.add_row("responses unchanged: checks of the last sync reused", "")
    table.add_row("valid", f"{figures['valid']:,}")
    table.add_row("invalid", f"{figures['invalid']:,}")
    table.add_row("duplicate (older resubmissions)", f"{figures['duplicate']:,}")
    for code_id, count in figures["by_code"].items():
        table.add_row(f"  {code_id}", f"{count:,}")
    if result.written:
        table.add_row("files written", f"{len(result.written):,}")
    for refused in report.refused_addresses:
        table.add_row(
            f"  not shared with {refused['email']} ({refused['reason']})", refused["unit"]
        )
    for path, why in result.not_written.items():
        table.add_row(Text(f"NOT written: {path} ({why})"), "")
    seconds = sum(report.timings.values())
    table.add_row("time", f"{seconds:.1f} s")
    return table


def summary_json(result: SyncResult) -> str:
    data = {
        "campaign": result.report.campaign,
        "generated_at": result.report.generated_at.isoformat(timespec="seconds"),
        "sources": [
            {"name": s.name, "rows": s.rows, **({"sheet": s.sheet} if s.sheet else {})}
            for s in result.report.sources
        ],
        **result.report.summary(),
        "checks_reused": result.report.checks_reused,
        "unchanged_round": result.report.last_summary is not None,
        "written": result.written,
        "refused_addresses": result.report.refused_addresses,
        "not_written": result.not_written,
        "seconds": {k: round(v, 3) for k, v in result.report.timings.items()},
    }
    return json.dumps(data, ensure_ascii=False, indent=1)
