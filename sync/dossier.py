"""`sangkien dossier`: a unit's nomination dossier (D13) for its current nominees.

Two files, from the layouts in `sheets_templates/dossier.yaml`: the summary table as .xlsx and
the cover submission letter (Tờ trình) as .docx, laid out as Decree 30/2020/NĐ-CP asks, which
officers number, date and sign. Only nominations that pass up are proposed and counted; with
`--force` the others are listed apart as not proposed. The
nominees and their problems come from the same review round as the sync (the unit workbooks
read back, nothing written), so a dossier never disagrees with the sheets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import xlsxwriter
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Length, Mm, Pt
from docx.text.paragraph import Paragraph
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .config import Settings
from .errors import ConfigError, SyncError
from .models import Response, Violation
from .orgtree import OrgTree, Unit
from .paths import output_path
from .pipeline import Inputs, build_report
from .report import Report
from .review.values import APPRAISAL, benefit
from .templates import (
    DEFAULT_TEMPLATES,
    DossierLayout,
    Templates,
    load_templates,
    sheet_layout,
    validated,
)
from .text import shorten
from .writers.atomic import atomic_file
from .writers.folder import WorkbookFolder
from .writers.records import expanded_layouts
from .writers.xlsx import write_value


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
    layouts = expanded_layouts(templates, settings)
    store = WorkbookFolder(settings.output.dir, templates, layouts, read_only=True)
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


# -- what both documents say -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signer:
    place: str  # the place line's name (địa danh)
    title: str  # e.g. CHỦ TỊCH
    name: str  # blank: written by hand


def _signer(settings: Settings, tree: OrgTree, unit: Unit, words: dict[str, Any]) -> Signer:
    """Where and who, from config: the unit's own entry, else (for the place) its nearest
    superior's, else the defaults; the place falls back to the province."""
    dossier = settings.dossier
    entries = [dossier.units[u] for u in (unit.id, *tree.ancestors(unit.id)) if u in dossier.units]
    place = next((e.locality for e in entries if e.locality), None)
    own = dossier.units.get(unit.id)
    signer = own.signer if own is not None else dossier.signer
    return Signer(
        place=place or dossier.locality or settings.campaign.province,
        title=signer.title or dossier.signer.title or words["signer"],
        name=signer.name or dossier.signer.name or "",
    )


def _confirmed_benefit(report: Report, unit_id: str, response: Response) -> tuple[int | None, str]:
    """The benefit confirmed by the lowest tier that confirmed it, with that unit's name (the
    tier nearest the work checked it on the spot); else the author's claim and no name."""
    assert report.review is not None
    tree, reviews = report.tree, report.review.reviews
    chain = [response.unit_id, *tree.ancestors(response.unit_id)] if response.unit_id else []
    for tier_unit in chain:
        amount = benefit(reviews.get(tier_unit, {}).get(response.id, {}))
        if amount is not None:
            return amount, tree[tier_unit].name
        if tier_unit == unit_id:
            break
    return response.benefit_vnd, ""


def _values(
    nominee: Nominee, number: int, words: dict[str, Any], report: Report, unit_id: str
) -> dict[str, Any]:
    response = nominee.response
    workplace = report.tree[response.unit_id].name if response.unit_id else response.grassroots_unit
    author = response.full_name
    if response.birth_year:
        author = words["born"].format(name=author, year=response.birth_year)
    amount, confirmer = _confirmed_benefit(report, unit_id, response)
    reasons = "; ".join(v.message for v in nominee.problems)
    return {
        "number": number,
        "title": response.title,
        "authors": "; ".join(part for part in (author, response.coauthors) if part),
        "workplace": words["workplace"].format(position=response.position, unit=workplace),
        "field": response.field,
        "summary": shorten(response.description, words["summary_chars"]),
        "benefit": amount,
        "confirmer": confirmer,
        "confirmed_by": confirmer or (words["claimed"] if amount is not None else ""),
        "start_date": response.start_date,
        "appraisal": str(nominee.review.get(APPRAISAL) or "").strip(),
        "reasons": reasons,
        "note": words["held_note"].format(reasons=reasons) if reasons else "",
    }


def _benefit_words(row: dict[str, Any], words: dict[str, Any]) -> str:
    amount = words["money"].format(amount=f"{row['benefit']:,}".replace(",", "."))
    if row["confirmer"]:
        return words["confirmed"].format(amount=amount, unit=row["confirmer"])
    return words["claimed"].format(amount=amount)


def _sentence(row: dict[str, Any], words: dict[str, Any]) -> str:
    """A nominee's line of the letter; a part whose value is blank is left out, never printed
    as "kết quả thẩm định: ."."""
    shown = {**row, "benefit": _benefit_words(row, words) if row["benefit"] is not None else ""}
    parts = [words["nominee"].format(**shown)]
    parts += [part.format(**shown) for key, part in words["nominee_parts"].items() if shown[key]]
    return "; ".join(parts) + "."


def _letter_texts(
    report: Report, settings: Settings, unit: Unit, rows: list[dict], held: list[dict]
) -> dict[str, Any]:
    words = dossier_layout()["letter"]
    parent = report.tree[unit.parent_id].name if unit.parent_id else words["national_name"]
    fill = {
        "campaign": settings.campaign.name,
        "unit": unit.name,
        "superior": parent,
        "count": len(rows),
        "abbreviation": words["abbreviation"][unit.kind],
        "year": report.generated_at.year,
    }
    return {
        "parent": parent,
        "unit": unit.name,
        "number": words["number"].format(**fill),
        "subject": words["subject"].format(**fill),
        "recipient": words["recipient"].format(**fill),
        "intro": words["intro"].format(**fill),
        "nominees": [_sentence(row, words) for row in rows],
        "held": [words["held"].format(**row) for row in held],
        "closing": words["closing"].format(**fill),
        "signature": words["signature"]["grassroots" if unit.tier == "grassroots" else "other"],
        "attached": dossier_layout()["summary"]["attached"].format(**fill),
        "year": fill["year"],
    }


def _place_date(words: dict[str, Any], signer: Signer, texts: dict[str, Any]) -> str:
    return words["place_date"].format(place=signer.place, year=texts["year"])


# -- the summary table -------------------------------------------------------------------------

_CELL_LINE_POINTS = 15  # height of one line of 11-point text
_CHARS_PER_WIDTH = 0.95  # characters of 11-point text per unit of column width, with margin


def _summary_formats(
    book: xlsxwriter.Workbook, font: str, numbers: dict[str, str]
) -> dict[str, Format]:
    base = {"font_name": font, "font_size": 11, "valign": "top"}
    cell = base | {"border": 1, "text_wrap": True}
    centred = {"align": "center", "text_wrap": True}
    return {
        "unit": book.add_format(base | {"bold": True}),
        "heading": book.add_format(base | centred | {"bold": True, "font_size": 14}),
        "attached": book.add_format(base | centred | {"italic": True}),
        "header": book.add_format(
            cell | centred | {"bold": True, "valign": "vcenter", "bg_color": "#D9D9D9"}
        ),
        "total": book.add_format(cell | {"bold": True}),
        "total_money": book.add_format(cell | {"bold": True, "num_format": numbers["money"]}),
        "section": book.add_format(cell | {"bold": True, "italic": True}),
        "place": book.add_format(base | centred | {"italic": True}),
        "sign": book.add_format(base | centred | {"bold": True}),
        **{kind: book.add_format(cell | {"num_format": f}) for kind, f in numbers.items()},
    }


def _table_rows(sheet: Worksheet, first: int, columns: tuple, rows: list[dict], fmt: dict) -> int:
    """Bordered rows from `first`, each tall enough for its wrapped text; the next free row."""
    for number, row in enumerate(rows, start=first):
        lines = max(
            math.ceil(len(str(row.get(c.key) or "")) / (c.width * _CHARS_PER_WIDTH)) or 1
            for c in columns
            if c.wrap
        )
        sheet.set_row(number, _CELL_LINE_POINTS * lines)
        for index, column in enumerate(columns):
            value = row.get(column.key)
            if value is None or value == "":
                sheet.write_blank(number, index, None, fmt[column.format])
            else:
                write_value(sheet, number, index, value, fmt[column.format])
    return first + len(rows)


def _total_row(
    sheet: Worksheet, row: int, columns: tuple, rows: list[dict], words: dict, fmt: dict
) -> None:
    keys = [c.key for c in columns]
    money = keys.index("benefit")
    sheet.merge_range(row, 0, row, money - 1, words["total"].format(count=len(rows)), fmt["total"])
    sheet.write_number(row, money, sum(r["benefit"] or 0 for r in rows), fmt["total_money"])
    for index in range(money + 1, len(keys)):
        sheet.write_blank(row, index, None, fmt["total"])


def _signature_cells(sheet: Worksheet, row: int, width: int, lines: list[tuple[str, Any]]) -> None:
    """The signature block under the table's last columns, one merged line each."""
    first = max(width - 4, 0)
    for offset, (text, fmt) in enumerate(lines):
        sheet.merge_range(row + offset, first, row + offset, width - 1, text, fmt)


def _summary_workbook(
    path: Path,
    layout: dict[str, Any],
    texts: dict[str, Any],
    tables: tuple,
    signer: Signer,
    numbers: dict[str, str],
) -> None:
    """The summary table as a document to print and sign: title, unit, bordered table, the
    total of the proposed ones, those not proposed apart, a signature line; A4 landscape."""
    words, letter = layout["summary"], layout["letter"]
    rows, held = tables
    columns = sheet_layout(words).columns
    last = len(columns) - 1
    with atomic_file(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"strings_to_formulas": False})
        fmt = _summary_formats(book, letter["font"], numbers)
        sheet = book.add_worksheet(words["title"])
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        sheet.merge_range(0, 0, 0, 3, texts["unit"].upper(), fmt["unit"])
        sheet.merge_range(2, 0, 2, last, words["heading"], fmt["heading"])
        sheet.merge_range(3, 0, 3, last, texts["attached"], fmt["attached"])
        header = 5
        sheet.set_row(header, 45)
        for index, column in enumerate(columns):
            sheet.write_string(header, index, column.header, fmt["header"])
        row = _table_rows(sheet, header + 1, columns, rows, fmt)
        _total_row(sheet, row, columns, rows, words, fmt)
        row += 1
        if held:
            sheet.merge_range(row, 0, row, last, words["held_heading"], fmt["section"])
            row = _table_rows(sheet, row + 1, columns, held, fmt)
        sign = [(_place_date(letter, signer, texts), fmt["place"]),
                (texts["signature"], fmt["sign"]), (signer.title, fmt["sign"])]  # fmt: skip
        name = signer.name or letter["signer_blank"]
        sign += [("", fmt["sign"])] * letter["sign_space_lines"] + [(name, fmt["sign"])]
        _signature_cells(sheet, row + 1, len(columns), sign)
        # "&" starts a header/footer code: a unit's own "&" must be doubled.
        _print_setup(sheet, header, words["footer"].format(unit=texts["unit"].replace("&", "&&")))
        book.close()


def _print_setup(sheet: Worksheet, header_row: int, footer: str) -> None:
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # as wide as one page, as long as it takes
    sheet.repeat_rows(header_row)
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    sheet.center_horizontally()
    sheet.set_footer(footer)


# -- the cover letter --------------------------------------------------------------------------


def _page(document: Any, page: dict[str, Any]) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(page["width_mm"]), Mm(page["height_mm"])
    margins = page["margins_mm"]
    section.top_margin, section.bottom_margin = Mm(margins["top"]), Mm(margins["bottom"])
    section.left_margin, section.right_margin = Mm(margins["left"]), Mm(margins["right"])


def _style(document: Any, font: str, size: int) -> None:
    normal = document.styles["Normal"]
    normal.font.name = font
    normal.font.size = Pt(size)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)


def _line(
    container: Any,
    text: str,
    size: float | None = None,
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER,
    indent: Length | None = None,
    after: float = 0,
) -> Paragraph:
    paragraph = container.add_paragraph()
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    if size is not None:
        run.font.size = Pt(size)
    paragraph.alignment = align
    paragraph.paragraph_format.first_line_indent = indent
    paragraph.paragraph_format.space_after = Pt(after)
    return paragraph


def _borderless_row(document: Any, widths_mm: list[float]) -> list[Any]:
    """A one-row table of fixed column widths (the default table style draws no borders), its
    cells emptied so each starts with the first line written to it."""
    table = document.add_table(rows=1, cols=len(widths_mm))
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # A signature block cut across two pages cannot be signed: the row moves as a whole.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)
    cells = table.rows[0].cells
    for cell in cells:
        empty = cell.paragraphs[0]._element
        empty.getparent().remove(empty)
    return cells


def _header(document: Any, words: dict[str, Any], texts: dict[str, Any], place_date: str) -> None:
    """The head of an administrative document: issuing body (superior above, the unit in bold)
    and number on the left; national motto, place and date on the right, each on one line."""
    left, right = _borderless_row(document, words["columns_mm"])
    small = words["header_size"]
    _line(left, texts["parent"].upper(), small)
    _line(left, texts["unit"].upper(), small, bold=True, after=6)
    _line(left, texts["number"])
    first, second = words["motto"]
    _line(right, first, small, bold=True)
    _line(right, second, bold=True, after=6).runs[0].underline = True
    _line(right, place_date, italic=True)


def _signature(document: Any, words: dict[str, Any], texts: dict[str, Any], signer: Signer) -> None:
    left, right = _borderless_row(document, words["columns_mm"])
    heading, *items = words["recipients"]
    _line(left, heading, 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for item in items:
        _line(left, item, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(right, texts["signature"], bold=True)
    _line(right, signer.title, bold=True)
    for _ in range(words["sign_space_lines"]):
        _line(right, "")
    _line(right, signer.name or words["signer_blank"], bold=True)


def _letter(path: Path, layout: dict[str, Any], texts: dict[str, Any], signer: Signer) -> None:
    words = layout["letter"]
    document = Document()
    _page(document, layout["page"])
    _style(document, words["font"], words["size"])
    _header(document, words, texts, _place_date(words, signer, texts))
    _line(document, "")
    _line(document, words["kind"], words["title_size"], bold=True)
    _line(document, texts["subject"], bold=True, after=12)
    _line(document, texts["recipient"], after=12)
    body = {"align": WD_ALIGN_PARAGRAPH.JUSTIFY, "indent": Mm(words["indent_mm"]), "after": 6}
    for text in (texts["intro"], *texts["nominees"]):
        _line(document, text, **body)
    if texts["held"]:
        _line(document, words["held_heading"], bold=True, **body)
        for text in texts["held"]:
            _line(document, text, italic=True, **body)
    closing = _line(document, texts["closing"], **{**body, "after": 12})
    closing.paragraph_format.keep_with_next = True  # never a signature without the text above
    _signature(document, words, texts, signer)
    with atomic_file(path) as temporary:
        document.save(str(temporary))


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
    breaks a rule, unless `force`, which lists those apart as not proposed."""
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
    problems = [(v.code, n.response.id) for n in found for v in n.problems]
    if problems and not force:
        listed = "; ".join(f"[{code}] {initiative}" for code, initiative in problems)
        raise SyncError(
            f"{unit_id}: {len(problems)} nomination problem(s): {listed}. Fix them in the unit's "
            "workbook and sync again, or pass --force to list them apart as not proposed"
        )
    layout = dossier_layout()
    words = layout["summary"]
    proposed, held = [n for n in found if not n.problems], [n for n in found if n.problems]
    rows = [_values(n, i, words, report, unit_id) for i, n in enumerate(proposed, start=1)]
    held_rows = [_values(n, i, words, report, unit_id) for i, n in enumerate(held, start=1)]
    folder = out_dir or settings.output.dir / layout["files"]["folder"]
    signer = _signer(settings, report.tree, unit, layout["letter"])
    texts = _letter_texts(report, settings, unit, rows, held_rows)
    summary_path = output_path(folder, layout["files"]["summary"].format(unit_id=unit_id))
    numbers = templates.formats.model_dump()
    _summary_workbook(summary_path, layout, texts, (rows, held_rows), signer, numbers)
    letter_path = output_path(folder, layout["files"]["letter"].format(unit_id=unit_id))
    _letter(letter_path, layout, texts, signer)
    return [summary_path, letter_path]
