"""Formula cells saved without their computed value.

A workbook written by a program (not by Excel) may hold a formula with no cached result; every
reader then sees a blank cell. Only .xlsx keeps the formula text where we can see it, so these
cells are found in the sheet's XML and told apart from cells the respondent left empty.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree

from ..a1 import cell_position

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_PIECE_BYTES = 1 << 20


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
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


def _mentions_formula(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet's XML holds a formula element, read a piece at a time."""
    previous = b""
    with archive.open(part) as stream:
        while piece := stream.read(_PIECE_BYTES):
            if b"<f" in previous[-1:] + piece:
                return True
            previous = piece
    return False


def uncalculated_cells(data: bytes, sheet: str) -> set[tuple[int, int]]:
    """(row, column), 0-based, of the sheet's formula cells that have no value; empty for files
    that are not .xlsx or have no formulas. Never raises: damage is reported by the reader."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = _sheet_part(archive, sheet)
            # Most exports hold no formula: then the sheet is only scanned, never held whole.
            xml = archive.read(part) if part and _mentions_formula(archive, part) else b""
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, ValueError):
        return set()
    if not xml:
        return set()
    found: set[tuple[int, int]] = set()
    try:
        for _, cell in ElementTree.iterparse(io.BytesIO(xml)):
            if cell.tag != f"{_MAIN}c":
                continue
            value = cell.find(f"{_MAIN}v")
            ref = cell.get("r", "")
            no_value = value is None or not value.text
            if cell.find(f"{_MAIN}f") is not None and no_value and _CELL_REF.fullmatch(ref):
                found.add(cell_position(ref))
            cell.clear()
    except ElementTree.ParseError:
        return found
    return found
