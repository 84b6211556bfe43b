"""`sangkien dossier`: a unit's nomination dossier (D13) for its current nominees.

Two files, from the layouts in `sheets_templates/dossier.yaml`: the summary table as .xlsx and
the cover submission letter (Tờ trình) as .docx, which officers finish and sign in Word. The
nominees and their problems come from the same review round as the sync (the unit workbooks
read back, nothing written), so a dossier never disagrees with the sheets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from .config import Settings
from .errors import ConfigError, SyncError
from .models import Response, Violation
from .orgtree import Unit
from .pipeline import Inputs, build_report
from .report import Report
from .review.values import APPRAISAL, BENEFIT
from .templates import (
    DEFAULT_TEMPLATES,
    DossierLayout,
    SheetLayout,
    Templates,
    load_templates,
    sheet_layout,
    validated,
)
from .writers.atomic import atomic_file
from .writers.folder import WorkbookFolder
from .writers.records import Sheet, Value
from .writers.xlsx import write_workbook


@cache
def dossier_layout(folder: Path = DEFAULT_TEMPLATES) -> dict[str, Any]:
    """`dossier.yaml`, checked at load (a missing or misspelt key is a one-line ConfigError)."""
    return validated(DossierLayout, folder / "dossier.yaml").model_dump()


@dataclass(frozen=True, slots=True)
class Nominee:
    response: Response
    review: dict[str, Any]  # the unit's own review cells
    problems: list[Violation]  # review codes of the unit's nomination


def _reviewed_report(settings: Settings, templates: Templates, now: datetime | None) -> Report:
    """The sync's report with the review round settled from the workbooks as they are, through
    the same store as the sync (read only: nothing is written or saved)."""
    store = WorkbookFolder(settings.output.dir, templates)
    return build_report(settings, Inputs(templates, store), now=now)


def nominees(report: Report, unit_id: str) -> list[Nominee]:
    """The unit's current nominations: those that pass first (in their rank order), then the
    ones a rule holds back."""
    assert report.review is not None
    flow = report.review.flow
    reviews = report.review.reviews.get(unit_id, {})
    mine = [i for (u, i) in flow.nominated_at if u == unit_id]
    mine.sort(key=lambda i: ((unit_id, i) not in flow.passed, flow.nominated_at[(unit_id, i)], i))
    return [
        Nominee(report.by_id[i], dict(reviews.get(i, {})), list(flow.codes.get((unit_id, i), [])))
        for i in mine
    ]


# -- the summary table -------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def _benefit(nominee: Nominee) -> int | None:
    """The benefit the unit confirmed, else the one submitted."""
    confirmed = nominee.review.get(BENEFIT)
    if isinstance(confirmed, int | float) and not isinstance(confirmed, bool):
        return int(confirmed)
    return nominee.response.benefit_vnd


def _values(nominee: Nominee, number: int, words: dict[str, Any], report: Report) -> dict:
    response = nominee.response
    workplace = report.tree[response.unit_id].name if response.unit_id else response.grassroots_unit
    author = response.full_name
    if response.birth_year:
        author = words["born"].format(name=author, year=response.birth_year)
    authors = "; ".join(part for part in (author, response.coauthors) if part)
    return {
        "number": number,
        "title": response.title,
        "authors": authors,
        "workplace": words["workplace"].format(position=response.position, unit=workplace),
        "field": response.field,
        "sector": response.sector,
        "summary": _short(response.description, words["summary_chars"]),
        "benefit": _benefit(nominee),
        "start_date": response.start_date,
        "appraisal": nominee.review.get(APPRAISAL) or "",
    }


def summary_sheet(rows: list[dict[str, Value]], layout: SheetLayout, total: str) -> Sheet:
    keys = layout.column_keys()
    table = [[row.get(k) for k in keys] for row in rows]
    benefit = sum(int(row["benefit"] or 0) for row in rows)
    table.append([{"title": total, "benefit": benefit}.get(k) for k in keys])
    return Sheet(layout, table)


# -- the cover letter --------------------------------------------------------------------------


def _style(document: Any, font: str, size: int) -> None:
    normal = document.styles["Normal"]
    normal.font.name = font
    normal.font.size = Pt(size)
    normal.paragraph_format.space_after = Pt(3)


def _line(cell_or_doc: Any, text: str, *, bold=False, italic=False, centre=False) -> Paragraph:
    paragraph = cell_or_doc.add_paragraph()
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _header(document: Any, words: dict[str, Any], heading: dict[str, str]) -> None:
    """The two-column head of an administrative document: issuing body and number on the left,
    national motto, place and date on the right."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run(heading["parent"].upper())
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _line(left, heading["unit"].upper(), bold=True, centre=True)
    _line(left, heading["number"], centre=True)
    first, second = words["motto"]
    right.paragraphs[0].add_run(first).bold = True
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    motto = _line(right, second, bold=True, centre=True)
    motto.runs[0].underline = True
    _line(right, heading["place_date"], italic=True, centre=True)


def _letter(path: Path, words: dict[str, Any], texts: dict[str, Any]) -> None:
    document = Document()
    _style(document, words["font"], words["size"])
    _header(document, words, texts)
    if texts["problems"]:
        _line(document, words["problems"], bold=True)
        for problem in texts["problems"]:
            _line(document, f"- {problem}", italic=True)
    _line(document, words["kind"], bold=True, centre=True)
    _line(document, texts["subject"], bold=True, centre=True)
    _line(document, texts["recipient"], centre=True)
    _line(document, texts["intro"])
    for item in texts["nominees"]:
        _line(document, item)
    _line(document, texts["closing"])
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    heading, *items = words["recipients"]
    left.paragraphs[0].add_run(heading).bold = True
    for item in items:
        _line(left, item)
    right.paragraphs[0].add_run(texts["signature"]).bold = True
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _line(right, words["signer"], bold=True, centre=True)
    with atomic_file(path) as temporary:
        document.save(str(temporary))


def _money(amount: int | None, words: dict[str, Any]) -> str:
    if amount is None:
        return words["benefit_none"]
    return words["money"].format(amount=f"{amount:,}".replace(",", "."))


def _letter_texts(
    report: Report, settings: Settings, unit: Unit, rows: list[dict], problems: list[str]
) -> dict[str, Any]:
    words = dossier_layout()["letter"]
    tree = report.tree
    parent = tree[unit.parent_id].name if unit.parent_id else words["national_name"]
    fill = {
        "campaign": settings.campaign.name,
        "unit": unit.name,
        "superior": parent,
        "count": len(rows),
    }
    nominees = [
        words["nominee"].format(
            **{**row, "benefit": _money(row["benefit"], words), "appraisal": row["appraisal"]}
        )
        for row in rows
    ]
    kind = "grassroots" if unit.tier == "grassroots" else "other"
    return {
        "parent": parent,
        "unit": unit.name,
        "number": words["number"].format(abbreviation=words["abbreviation"][unit.kind]),
        "place_date": words["place_date"].format(
            place=settings.campaign.province, year=report.generated_at.year
        ),
        "subject": words["subject"].format(**fill),
        "recipient": words["recipient"].format(**fill),
        "intro": words["intro"].format(**fill),
        "nominees": nominees,
        "closing": words["closing"].format(**fill),
        "signature": words["signature"][kind],
        "problems": problems,
    }


# -- the command -------------------------------------------------------------------------------


def build_dossier(
    settings: Settings,
    unit_id: str,
    out_dir: Path | None = None,
    *,
    force: bool = False,
    now: datetime | None = None,
    templates: Templates | None = None,
) -> list[Path]:
    """Write the unit's summary table and Tờ trình; refuse (SyncError) while a nomination
    breaks a rule, unless `force`, which lists the problems on the letter's first page."""
    if settings.output.kind != "xlsx":
        raise ConfigError("sangkien dossier reads the local unit workbooks (output.kind: xlsx)")
    templates = templates or load_templates()
    report = _reviewed_report(settings, templates, now)
    if unit_id not in report.tree.units:
        raise ConfigError(f"unit {unit_id!r} is not in {settings.units.name}")
    unit = report.tree[unit_id]
    found = nominees(report, unit_id)
    if not found:
        raise SyncError(
            f"{unit_id}: the unit has nominated no initiative yet (the nomination column of its "
            "workbook); nothing to put in a dossier"
        )
    problems = [f"{n.response.id}: {v.message}" for n in found for v in n.problems]
    if problems and not force:
        listed = "; ".join(f"[{v.code}] {n.response.id}" for n in found for v in n.problems)
        raise SyncError(
            f"{unit_id}: {len(problems)} nomination problem(s): {listed}. Fix them in the unit's "
            "workbook and sync again, or pass --force to list them in the dossier"
        )
    layout = dossier_layout()
    rows = [_values(n, i, layout["summary"], report) for i, n in enumerate(found, start=1)]
    folder = out_dir or settings.output.dir / layout["files"]["folder"]
    table = summary_sheet(rows, sheet_layout(layout["summary"]), layout["summary"]["total"])
    summary_path = folder / layout["files"]["summary"].format(unit_id=unit_id)
    write_workbook(summary_path, templates, [table])
    letter_path = folder / layout["files"]["letter"].format(unit_id=unit_id)
    _letter(letter_path, layout["letter"], _letter_texts(report, settings, unit, rows, problems))
    return [summary_path, letter_path]
