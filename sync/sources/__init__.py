"""Response sources: each kind yields the same SourceTable of RawRows, named and numbered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Settings, SourceSettings
from ..templates import FormLayout
from .files import read_csv_table, read_workbook_table
from .table import SourceTable, build_table

if TYPE_CHECKING:
    from ..google.client import GoogleSession


def read_source(
    source: SourceSettings,
    settings: Settings,
    form: FormLayout,
    google: GoogleSession | None = None,
) -> SourceTable:
    if source.kind == "google_sheet":
        from ..google.source import read_google_table

        table, location, locale = read_google_table(source, settings, google)
    else:
        assert source.path is not None  # checked when the config was loaded
        location = str(source.path)
        if source.kind == "csv":
            table = read_csv_table(source.path, source.encoding)
        else:
            table = read_workbook_table(source.path, source.sheet)
        locale = source.locale
    return build_table(
        name=source.name,
        kind=source.kind,
        location=location,
        table=table,
        form=form,
        aliases=settings.column_aliases,
        id_column=settings.id_column,
        locale=locale,
    )
