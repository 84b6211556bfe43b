"""Output: every reviewing unit's sheets rendered once (books.py, records.py) and handed to the
run's `ReviewStore` (folder.py for workbooks, google/target.py for spreadsheets), then the
review state, the audit and the JSON report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..report import REPORT_FILE, Report, report_file_text, report_json
from ..templates import Templates
from .books import remembered, render_books, reviewing_units
from .records import Renderer

if TYPE_CHECKING:
    from ..review.store import ReviewStore


def report_text(report: Report, held: dict[str, str]) -> str:
    """`sync-report.json`, with the outputs left as they were (`not_written`)."""
    data = report_json(report)
    data["not_written"] = [{"path": path, "reason": why} for path, why in sorted(held.items())]
    return report_file_text(data)


def write_outputs(
    report: Report, settings: Settings, templates: Templates, store: ReviewStore, out_dir: Path
) -> tuple[Report, list[str]]:
    """Render, write through the store, then keep the state and the audit: a sync that failed
    while writing settles the same round again next time. The JSON report is always written
    locally, for monitoring; it and the returned report name the addresses Google refused."""
    renderer = Renderer(report, settings, templates)
    books = render_books(renderer, reviewing_units(report.tree, settings))
    state, entries = remembered(report, renderer, books)
    written = store.write(books, entries)
    report = replace(report, refused_addresses=written.refused_addresses)
    report_file = out_dir / REPORT_FILE
    store.save(state, entries, {report_file: report_text(report, store.held())})
    return report, [*written.paths, str(report_file)]
