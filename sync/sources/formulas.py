"""Cells whose value no reader gives as it is: formula cells saved without their computed value,
and error cells (`#DIV/0!`, `#N/A`).

A workbook written by a program (not by Excel) may hold a formula with no cached result; every
reader then sees a blank cell. calamine also reads an error cell as a blank. Only .xlsx keeps
what the cell really holds where we can see it, so these cells are found in the sheet's XML and
told apart from cells left empty. A sheet is scanned a piece at a time and parsed only when the
scan finds such a cell, which most never hold.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from ..a1 import cell_position

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_PIECE_BYTES = 1 << 20
# Quick scans, before a sheet is parsed: for a formula element, and for a cell typed as an error
# (`<c r="B2" t="e">`, as Excel, LibreOffice, openpyxl and XlsxWriter write it). Plain text is
# searched many times faster than a pattern; a match in a cell's text only costs the parse.
_FORMULA = re.compile(rb"<f")
_ERROR_TYPE = re.compile(rb't="e"')
_OVERLAP = 256  # bytes of one piece searched again with the next, for a match across both

Source = bytes | Path
Cell = tuple[int, int]


def sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding a sheet, found through the workbook's relationships."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rel_id = next(
        (s.get(f"{_REL}id") for s in workbook.iter(f"{_MAIN}sheet") if s.get("name") == sheet),
        None,
    )
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PACKAGE_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None


def _mentions(archive: zipfile.ZipFile, part: str, pattern: re.Pattern[bytes]) -> bool:
    """Whether the sheet's XML matches `pattern`, read a piece at a time."""
    tail = b""
    with archive.open(part) as stream:
        while piece := stream.read(_PIECE_BYTES):
            searched = tail + piece
            if pattern.search(searched):
                return True
            tail = searched[-_OVERLAP:]
    return False


def _sheet_xml(source: Source, sheet: str, pattern: re.Pattern[bytes]) -> bytes:
    """The sheet's XML when it matches `pattern`; empty otherwise, or when it cannot be read."""
    opened: IO[bytes] | Path = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(opened) as archive:
            part = sheet_part(archive, sheet)
            return archive.read(part) if part and _mentions(archive, part, pattern) else b""
    except (zipfile.BadZipFile, zlib.error, KeyError, ElementTree.ParseError, OSError, ValueError):
        return b""


def _cells(xml: bytes, pick: Callable[[ElementTree.Element], str | None]) -> dict[Cell, str]:
    """(row, column), 0-based, of each cell `pick` gives a text for, with that text."""
    found: dict[Cell, str] = {}
    try:
        for _, cell in ElementTree.iterparse(io.BytesIO(xml)):
            if cell.tag != f"{_MAIN}c":
                continue
            ref = cell.get("r", "")
            text = pick(cell) if _CELL_REF.fullmatch(ref) else None
            if text is not None:
                found[cell_position(ref)] = text
            cell.clear()
    except ElementTree.ParseError:
        return found
    return found


def _uncalculated(cell: ElementTree.Element) -> str | None:
    value = cell.find(f"{_MAIN}v")
    no_value = value is None or not value.text
    return "" if cell.find(f"{_MAIN}f") is not None and no_value else None


def _error(cell: ElementTree.Element) -> str | None:
    value = cell.find(f"{_MAIN}v")
    return (value.text or "") if cell.get("t") == "e" and value is not None else None


def uncalculated_cells(source: Source, sheet: str) -> set[Cell]:
    """(row, column), 0-based, of the sheet's formula cells that have no value; empty for files
    that are not .xlsx or have no formulas. Never raises: damage is reported by the reader."""
    xml = _sheet_xml(source, sheet, _FORMULA)
    return set(_cells(xml, _uncalculated)) if xml else set()


def error_cells(source: Source, sheet: str) -> dict[Cell, str]:
    """(row, column), 0-based, of the sheet's error cells, each with its text (`#DIV/0!`); empty
    for files that are not .xlsx or hold none. Never raises: damage is reported by the reader."""
    xml = _sheet_xml(source, sheet, _ERROR_TYPE)
    return _cells(xml, _error) if xml else {}
