"""Source `google_sheet`: a Form's response sheet read in two requests (metadata, then values).

Values come unformatted with date-times as serial numbers, so nothing depends on the sheet's
display locale; serials are read in the spreadsheet's own time zone."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gspread.exceptions import APIError

from ..config import Settings, SourceSettings
from ..errors import GoogleError, SourceError
from ..normalize import from_serial
from ..sources.table import header_key
from ..templates import FormLayout, Question
from .client import DRIVE_FILES, GoogleSession, spreadsheet_key

# The tab a Form fills, in the Vietnamese and the English interface.
FORM_TABS = ("Câu trả lời biểu mẫu 1", "Form Responses 1")

log = logging.getLogger(__name__)


def spreadsheet_version(source: SourceSettings, google: GoogleSession) -> str | None:
    """The source spreadsheet's Drive version, which grows with every change made to the file:
    the same version, the same responses. One small request, made before the values are read,
    so a response arriving in between only makes the next sync read them again. None when
    Drive does not tell (a person signed in with the drive.file scope reaches only the files
    the sync created); reading the values then reports any real error."""
    assert source.spreadsheet is not None  # checked when the config was loaded
    key = spreadsheet_key(source.spreadsheet)
    params = {"fields": "version", "supportsAllDrives": "true"}
    try:
        version = google.call("GET", f"{DRIVE_FILES}/{key}", params=params).get("version")
    except GoogleError as exc:
        log.info("spreadsheet %s: no Drive version, its responses are checked again: %s", key, exc)
        return None
    return str(version) if version else None


def _pick_tab(titles: list[str], wanted: str | None, key: str) -> str:
    if wanted is not None:
        if wanted not in titles:
            raise SourceError(f"spreadsheet {key}: no tab named {wanted!r}; tabs found: {titles}")
        return wanted
    return next((t for t in FORM_TABS if t in titles), titles[0])


def read_google_table(
    source: SourceSettings, settings: Settings, form: FormLayout, google: GoogleSession | None
) -> tuple[list[list[Any]], str, str]:
    """Returns (table, location, locale) for `sources.table.build_table`."""
    if google is None:
        raise SourceError(f"source {source.name!r} is a Google sheet but no Google connection")
    assert source.spreadsheet is not None  # checked when the config was loaded
    key = spreadsheet_key(source.spreadsheet)
    try:
        metadata = google.http.fetch_sheet_metadata(
            key, params={"fields": "properties(title,locale,timeZone),sheets.properties.title"}
        )
    except APIError as exc:
        raise google.explain(exc, f"spreadsheet {key}") from None
    titles = [s["properties"]["title"] for s in metadata.get("sheets", [])]
    tab = _pick_tab(titles, source.sheet, key)
    properties = metadata.get("properties", {})
    try:
        zone = ZoneInfo(properties.get("timeZone") or settings.campaign.timezone)
    except ZoneInfoNotFoundError:
        zone = settings.campaign.zone
    locale = source.locale
    if locale == "auto":
        locale = "en" if str(properties.get("locale", "vi")).startswith("en") else "vi"
    quoted = "'" + tab.replace("'", "''") + "'"
    try:
        answer = google.http.values_get(
            key,
            quoted,
            params={
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER",
            },
        )
    except APIError as exc:
        raise google.explain(exc, f"spreadsheet {key}, tab {tab!r}") from None
    table = answer.get("values", [])
    if table:
        _zone_timestamps(table, settings, form.question("timestamp"), zone)
    return table, f"{properties.get('title', key)} / {tab}", locale


def _zone_timestamps(
    table: list[list[Any]], settings: Settings, question: Question, zone: ZoneInfo
) -> None:
    """A serial in the timestamp column is a moment in the spreadsheet's own zone, which may
    differ from the campaign's; make it an aware datetime before anything else reads it."""
    names = {
        header_key(h)
        for h in (question.vi, question.en, *settings.column_aliases.get("timestamp", ()))
    }
    column = next((i for i, h in enumerate(table[0]) if header_key(h) in names), None)
    if column is None:
        return
    for row in table[1:]:
        value = row[column] if column < len(row) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            row[column] = from_serial(float(value)).replace(tzinfo=zone)
