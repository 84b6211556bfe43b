"""Output targets. Each renders the same sheet records (see records.py) from the same layouts."""

from __future__ import annotations

import json
from pathlib import Path

from ..config import Settings
from ..orgtree import Unit
from ..report import REPORT_FILE, Report, report_json
from ..review.audit import AUDIT_FILE
from ..review.state import STATE_FILE, load_state, state_json
from ..templates import Templates, load_templates
from ..text import fold
from .atomic import private_append, write_text_atomic
from .readback import read_review
from .records import Renderer, Sheet
from .review import apply_review, remember
from .xlsx import WorkbookJob, write_workbooks


def workbook_path(out_dir: Path, unit: Unit, templates: Templates) -> Path:
    """`<tier folder>/<unit id> <unit name without diacritics>.xlsx`: ASCII, so the names survive
    zip files, e-mail and old Windows machines."""
    folder = templates.labels["folder"][unit.tier]
    slug = "-".join(fold(unit.name).split())[:60]
    return out_dir / folder / f"{unit.id} {slug}.xlsx"


def reviewing_units(report: Report, settings: Settings) -> list[Unit]:
    return [unit for unit in report.tree if unit.tier in settings.output.tiers]


def unit_sheets(renderer: Renderer, unit: Unit) -> list[Sheet]:
    """A unit's tabs after the dashboard: its review list first, the full list for superiors
    and the province, and the province's list for the Confederation and public lookup."""
    sheets = [
        renderer.initiatives(unit.id),
        renderer.problems(unit.id),
        renderer.tallies(unit.id),
        renderer.commendation(unit.id),
        renderer.archive(unit.id),
    ]
    if unit.tier != "grassroots":
        sheets.append(renderer.all_initiatives(unit.id))
    if unit.tier == "province":
        sheets += [renderer.national(), renderer.lookup()]
    return sheets


def append_lines(path: Path, entries: list[dict]) -> None:
    """The audit log only ever grows: one JSON object per line, appended."""
    with private_append(path) as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def write_local(report: Report, settings: Settings, out_dir: Path) -> list[str]:
    """Read every existing workbook back first (a workbook that cannot be read stops the sync
    before anything is written), settle the review round, then write."""
    templates = load_templates()
    units = reviewing_units(report, settings)
    paths = {unit.id: workbook_path(out_dir, unit, templates) for unit in units}
    readbacks = {unit_id: read_review(path, templates) for unit_id, path in paths.items()}
    previous = load_state(out_dir / STATE_FILE)
    apply_review(report, settings, templates, previous, readbacks)
    renderer = Renderer(report, settings, templates)
    jobs, listed = [], {}
    for unit in units:
        sheets = unit_sheets(renderer, unit)
        listed[unit.id] = sheets[0]
        board = renderer.dashboard(unit.id) if unit.tier != "grassroots" else None
        jobs.append(WorkbookJob(paths[unit.id], sheets, board))
    jobs.append(WorkbookJob(out_dir / templates.review["lookup_file"], [renderer.lookup()]))
    write_workbooks(jobs, templates)
    written = [str(job.path) for job in jobs]
    state, entries = remember(report, renderer, previous, listed, report.generated_at)
    write_text_atomic(
        out_dir / STATE_FILE, json.dumps(state_json(state), ensure_ascii=False), private=True
    )
    append_lines(out_dir / AUDIT_FILE, entries)
    return written


def write_report_json(report: Report, out_dir: Path) -> str:
    path = out_dir / REPORT_FILE
    write_text_atomic(path, json.dumps(report_json(report), ensure_ascii=False, indent=1))
    return str(path)


def write_outputs(report: Report, settings: Settings, out_dir: Path, google=None) -> list[str]:
    """Every output of a sync; the JSON report is always written locally, for monitoring."""
    if settings.output.kind == "google_sheets":
        from ..google.target import write_google

        written = write_google(report, settings, google, out_dir)
    else:
        written = write_local(report, settings, out_dir)
    return [*written, write_report_json(report, out_dir)]
