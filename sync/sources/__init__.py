"""Response sources: each kind yields the same SourceTable of RawRows, named and numbered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..config import Settings, SourceSettings
from ..errors import SourceError
from ..templates import FormLayout
from .files import Workbook, read_csv_table
from .messages import name_list, refuse, where
from .table import SourceTable, build_table, header_score, known_headers

if TYPE_CHECKING:
    from ..google.client import GoogleSession


def choose_sheet(
    book: Workbook, configured: str | None, form: FormLayout, aliases: Mapping[str, Sequence[str]]
) -> tuple[str, list[list[Any]]]:
    """The configured sheet, else the one whose first row answers most of the form's questions
    (instruction, chart and pivot sheets answer none); ties go to the earlier sheet. A damaged
    sheet is passed over unless no sheet looks like responses, then its damage is the answer."""
    if configured is not None:
        if configured not in book.sheets:
            found = name_list(book.sheets)
            raise refuse(where(book.path), f"no sheet named «{configured}»; sheets found: {found}")
        return configured, book.read(configured)
    known = known_headers(form, aliases)
    best: tuple[int, str, list[list[Any]]] = (-1, "", [])
    damage: SourceError | None = None
    for name in book.sheets:
        try:
            table = book.read(name)
        except SourceError as exc:
            damage = damage or exc
            continue
        score = header_score(table[0], known) if table else 0
        if score > best[0]:
            best = (score, name, table)
    if damage is not None and best[0] <= 0:
        raise damage
    return best[1], best[2]


def read_source(
    source: SourceSettings,
    settings: Settings,
    form: FormLayout,
    google: GoogleSession | None = None,
) -> SourceTable:
    sheet, sheet_count = "", 0
    if source.kind == "google_sheet":
        from ..google.source import read_google_table

        table, location, locale = read_google_table(source, settings, form, google)
    else:
        assert source.path is not None  # checked when the config was loaded
        location = str(source.path)
        if source.kind == "csv":
            table = read_csv_table(source.path, source.encoding)
        else:
            book = Workbook(source.path)
            sheet, table = choose_sheet(book, source.sheet, form, settings.column_aliases)
            sheet_count = len(book.sheets)
        locale = source.locale
    read = build_table(
        name=source.name,
        kind=source.kind,
        location=location,
        table=table,
        form=form,
        aliases=settings.column_aliases,
        id_column=settings.id_column,
        locale=locale,
        sheet=sheet,
        choices=source.columns,
        shared=source.kind != "google_sheet",  # the file readers share repeated texts
    )
    if source.sheet is None and sheet_count > 1:
        chosen = f"source {source.name!r} ({where(location)}): read sheet «{sheet}», the one "
        chosen += "whose headers match the form's questions"
        read = replace(read, notes=(chosen, *read.notes))
    return read
