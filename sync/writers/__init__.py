"""Output targets. Each renders the same sheet records (see records.py) from the same layouts."""

from __future__ import annotations

import json
from pathlib import Path

from ..config import Settings
from ..orgtree import Unit
from ..report import REPORT_FILE, Report, report_json
from ..templates import Templates, load_templates
from ..text import fold
from .atomic import write_text_atomic
from .records import Renderer
from .xlsx import write_workbook


def workbook_path(out_dir: Path, unit: Unit, templates: Templates) -> Path:
    """`<tier folder>/<unit id> <unit name without diacritics>.xlsx`: ASCII, so the names survive
    zip files, e-mail and old Windows machines."""
    folder = templates.labels["folder"][unit.tier]
    slug = "-".join(fold(unit.name).split())[:60]
    return out_dir / folder / f"{unit.id} {slug}.xlsx"


def reviewing_units(report: Report, settings: Settings) -> list[Unit]:
    return [unit for unit in report.tree if unit.tier in settings.output.tiers]


def write_local(report: Report, settings: Settings, out_dir: Path) -> list[str]:
    templates = load_templates()
    renderer = Renderer(report, settings, templates)
    written = []
    for unit in reviewing_units(report, settings):
        sheets = [
            renderer.initiatives(unit.id),
            renderer.problems(unit.id),
            renderer.tallies(unit.id),
        ]
        board = renderer.dashboard(unit.id) if unit.tier != "grassroots" else None
        path = workbook_path(out_dir, unit, templates)
        write_workbook(path, templates, sheets, board)
        written.append(str(path))
    return written


def write_report_json(report: Report, out_dir: Path) -> str:
    path = out_dir / REPORT_FILE
    write_text_atomic(path, json.dumps(report_json(report), ensure_ascii=False, indent=1))
    return str(path)


def write_outputs(report: Report, settings: Settings, out_dir: Path, google=None) -> list[str]:
    """Every output of a sync; the JSON report is always written locally, for monitoring."""
    if settings.output.kind == "google_sheets":
        from ..google.target import write_google

        written = write_google(report, settings, google)
    else:
        written = write_local(report, settings, out_dir)
    return [*written, write_report_json(report, out_dir)]
