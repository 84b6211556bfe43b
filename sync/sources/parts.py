"""A large .xlsx sheet parsed a part at a time, on every core.

calamine parses a sheet's whole XML on one core before it gives a single cell, and holds every
cell until the sheet is dropped: at a million rows 22 s and over 2 GB. When the sheet's XML is
nearly all of its file (text written inline, as a constant-memory export writes it), the XML is
unzipped here and cut between rows into parts of about `PART_BYTES`. Each part becomes a small
workbook of its own, with the file's other members; threads parse the parts (calamine lets other
threads run while it parses) while this thread turns each parsed part into Python rows, in order.

Every part after the first starts with a numbered row (`<row r="N"`), so calamine places its
cells where the whole parse would: the rows are the same as the whole sheet's, gaps and blank
columns included. Anything else is parsed whole: a small sheet; a shared strings
table or other members large enough that parsing them once per part would cost more than it
gives; XML of a shape not looked for here; and any part calamine refuses, so that the whole parse
names what is wrong with the file.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from isal import isal_zlib

from .formulas import sheet_part
from .table import SharedTexts

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

# The XML of one part: the larger, the fewer workbooks to build and open; the smaller, the less
# one part holds while it waits. Measured at 100,000 rows: 4 and 8 MB read alike, 32 MB slower.
PART_BYTES = 8 << 20
# Smaller sheets are parsed whole: too few parts to share between cores.
PARTED_MIN_BYTES = 4 * PART_BYTES
# The file's other members together, at most: each part holds and parses a copy of them.
OTHERS_MAX_BYTES = 1 << 20
# Compressed bytes unzipped at a time (a few MB of XML), and how far into the XML `<sheetData>`
# may start.
_UNZIPPED_AT_ONCE = 512 << 10
_HEAD_MAX_BYTES = 4 << 20
_SHEET_DATA = b"<sheetData>"
_SHEET_DATA_END = b"</sheetData>"
_NUMBERED_ROW = re.compile(rb'<row r="\d+"')
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")  # a processing instruction or comment never matches
# A zip's local file header: signature, version, flags, method, time, date, CRC-32, sizes, then
# the lengths of the name and of the extra field that come before the data.
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


class _Unparted(Exception):
    """The sheet is read whole instead."""


@dataclass(frozen=True)
class Parted:
    """A sheet read in parts: its rows, as `Workbook.read` gives a sheet parsed whole, and
    whether its XML holds a formula (then `uncalculated_cells` looks for its formula cells)."""

    rows: list[list[Any]]
    has_formula: bool


def parsed_in_parts(data: bytes, sheet: str) -> Parted | None:
    """The sheet of this .xlsx file read in parts, or None when it is better parsed whole."""
    member = _sheet_member(data, sheet)
    if member is None:
        return None
    try:
        return _parse_in_parts(member)
    except _Unparted:
        return None


@dataclass(frozen=True)
class _Member:
    """The sheet's zip member as stored, and the file's other members, unzipped."""

    sheet: str
    info: zipfile.ZipInfo
    stored: memoryview
    others: list[tuple[str, bytes]]

    def xml(self) -> Iterator[bytes]:
        """The sheet's XML a piece at a time; raises _Unparted if it does not unzip whole."""
        if self.info.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = (
                bytes(self.stored[at : at + _UNZIPPED_AT_ONCE])
                for at in range(0, len(self.stored), _UNZIPPED_AT_ONCE)
            )
        else:
            pieces = _inflated(self.stored)
        size, crc = 0, 0
        for piece in pieces:
            size += len(piece)
            crc = isal_zlib.crc32(piece, crc)
            yield piece
        if (size, crc) != (self.info.file_size, self.info.CRC):
            raise _Unparted

    def workbook(self, xml: list[bytes]) -> io.BytesIO:
        """A workbook of the file's other members and this XML as the sheet, stored unzipped."""
        book = io.BytesIO()
        with zipfile.ZipFile(book, "w", zipfile.ZIP_STORED) as archive:
            for name, content in self.others:
                archive.writestr(name, content)
            with archive.open(self.info.filename, "w") as sheet_xml:
                for piece in xml:
                    sheet_xml.write(piece)
        book.seek(0)
        return book


def _inflated(stored: memoryview) -> Iterator[bytes]:
    inflater = isal_zlib.decompressobj(-15)  # a zip member is raw deflate
    try:
        for at in range(0, len(stored), _UNZIPPED_AT_ONCE):
            yield inflater.decompress(stored[at : at + _UNZIPPED_AT_ONCE])
        yield inflater.flush()
    except isal_zlib.error:
        raise _Unparted from None
    if not inflater.eof:
        raise _Unparted


def _sheet_member(data: bytes, sheet: str) -> _Member | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        name = sheet_part(archive, sheet)
        if name is None:
            return None
        info = archive.getinfo(name)
        others = [other for other in archive.infolist() if other.filename != name]
        if (
            info.file_size < PARTED_MIN_BYTES
            or info.flag_bits & 1  # encrypted
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or sum(other.file_size for other in others) > OTHERS_MAX_BYTES
        ):
            return None
        header = data[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
        signature, *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        if signature != b"PK\x03\x04":
            return None
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        stored = memoryview(data)[start : start + info.compress_size]
        return _Member(sheet, info, stored, [(o.filename, archive.read(o)) for o in others])
    except Exception:  # any damage: the whole parse reports it, in the reader's words
        return None


def _parse_in_parts(member: _Member) -> Parted:
    xml = _CutXml(member.xml())
    workers = os.cpu_count() or 1
    grid = _Grid()
    with ThreadPoolExecutor(workers) as pool:
        parsing: deque[Future[CalamineSheet]] = deque()
        try:
            for part in xml.parts():
                parsing.append(pool.submit(_parsed, member, part))
                if len(parsing) > workers:  # no more parts in memory than cores to parse them
                    grid.add(parsing.popleft().result())
            while parsing:
                grid.add(parsing.popleft().result())
        finally:
            for waiting in parsing:
                waiting.cancel()
    return Parted(grid.rows(), xml.has_formula)


def _parsed(member: _Member, xml: list[bytes]) -> CalamineSheet:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(member.workbook(xml))
        return book.get_sheet_by_name(member.sheet)
    except Exception:  # calamine's own types, for every kind of damage: the whole parse says
        raise _Unparted from None


class _CutXml:
    """The sheet's XML cut into the XML of parts, each a whole sheet: the head (everything up
    to `<sheetData>`), rows, and the end (the file's own after the last rows). A part is the
    list of unzipped pieces it spans, the piece it ends in cut at a numbered row: no piece is
    copied into a larger buffer (copying the XML into one took a quarter of the parse's time
    at 100,000 rows, most of it getting fresh memory)."""

    def __init__(self, pieces: Iterator[bytes]):
        self._pieces = pieces
        self.has_formula = False

    def parts(self) -> Iterator[list[bytes]]:
        head, rows = self._head()
        end = b"</sheetData></" + _root(head) + b">"
        size = sum(map(len, rows))
        before = rows[-1][-1:]
        for piece in self._pieces:
            self._look_for_formula(before, piece)
            before = piece[-1:]
            row = _NUMBERED_ROW.search(piece) if size + len(piece) >= PART_BYTES else None
            if row is None:  # not full yet; or rows without numbers, or one long row
                rows.append(piece)
                size += len(piece)
                continue
            yield [head, *rows, piece[: row.start()], end]
            rows, size = [piece[row.start() :]], len(piece) - row.start()
        last = b"".join(rows)  # a part's worth at most
        if _SHEET_DATA_END not in last:
            raise _Unparted
        yield [head, last]

    def _head(self) -> tuple[bytes, list[bytes]]:
        """The XML up to and with `<sheetData>`, and the rest of the pieces it was found in."""
        read = b""
        for piece in self._pieces:
            self._look_for_formula(read[-1:], piece)
            read += piece
            at = read.find(_SHEET_DATA)
            if at >= 0:
                at += len(_SHEET_DATA)
                return read[:at], [read[at:]]
            if len(read) > _HEAD_MAX_BYTES:
                break
        raise _Unparted

    def _look_for_formula(self, before: bytes, piece: bytes) -> None:
        """Whether a formula element (`<f`) starts in this piece or across its start. Text never
        holds a bare `<`, so only a tag can match: among the rows only a formula's (after them an
        autofilter's `<filterColumn` costs a scan for nothing). numpy compares every byte pair
        ten times faster than `in`, which stops at every `<` of the XML."""
        if self.has_formula:
            return
        data = np.frombuffer(piece, dtype=np.uint8)
        self.has_formula = (before == b"<" and piece[:1] == b"f") or bool(
            np.any((data[:-1] == ord("<")) & (data[1:] == ord("f")))
        )


def _root(head: bytes) -> bytes:
    """The name of the XML's root element, as its closing tag must spell it."""
    root = _ROOT.search(head)
    if root is None:
        raise _Unparted
    return root.group(1)


class _Grid:
    """Parsed parts put together as the whole sheet's rows: from A1, every row as wide as the
    widest, a blank row for every row no part holds."""

    def __init__(self) -> None:
        self._rows: list[list[Any]] = []
        self._width = 0
        self._share = SharedTexts()

    def add(self, sheet: CalamineSheet) -> None:
        if sheet.start is None or sheet.end is None:
            return  # a part of rows without a cell
        (first_row, first_column), (_, last_column) = sheet.start, sheet.end
        if first_row < len(self._rows):
            raise _Unparted  # rows out of order: calamine sorts them when parsing whole
        self._rows.extend([] for _ in range(first_row - len(self._rows)))
        rows = sheet.to_python(skip_empty_area=True)
        if first_column:
            lead = [""] * first_column
            rows = [lead + row for row in rows]
        self._rows.extend(self._share.rows(rows))
        self._width = max(self._width, last_column + 1)

    def rows(self) -> list[list[Any]]:
        width = self._width
        for row in self._rows:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        return self._rows
