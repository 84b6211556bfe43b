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
    report_path = out_dir / REPORT_FILE
    write_text_atomic(report_path, json.dumps(report_json(report), ensure_ascii=False, indent=1))
    written.append(str(report_path))
    return written


def write_outputs(report: Report, settings: Settings, out_dir: Path) -> list[str]:
    if settings.output.kind == "google_sheets":
        from ..google.target import write_google

        return write_google(report, settings)
    return write_local(report, settings, out_dir)
