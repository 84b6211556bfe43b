"""The responses of the last sync as checked, kept in the output folder
(`checked-responses.json.gz`, private: it holds personal data). A sync whose inputs are those of
the last one (every source file byte for byte, every Google source at the same Drive version,
the organisation tree, the settings, the layouts and the package's own code) takes its
responses from there instead of reading, cleaning, checking, matching and de-duplicating them
again: in the review weeks after the form closes, that is every sync.

The file is JSON, one response a line, never pickle: anyone able to write to the output folder
must not be able to make the sync run code. Values JSON cannot hold are tagged one-key objects
(`{"$d": "2021-04-22"}`), and every mapping is tagged too, so an officer's column header can
never be taken for a tag. A file that is missing, damaged or of other inputs is simply not used.
A Google source is named by its spreadsheet's Drive version, which grows with every change made
to the file (one small request a source, before its values are read); when Drive does not tell
it, nothing is kept."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .config import Settings
from .cores import read_ahead
from .models import FIELDS, NO_EXTRA, FieldValues, Response, SourceInfo, Status, Violation
from .sources.table import SharedTexts
from .templates import Templates

if TYPE_CHECKING:
    from .google.client import GoogleSession

CHECKED_FILE = "checked-responses.json.gz"
_FORMAT = 1
_PACKAGE = Path(__file__).parent
_FIELDS = tuple(f.name for f in fields(Response))
_ATTRIBUTES = attrgetter(*_FIELDS)
_RAW, _EXTRA = _FIELDS.index("raw"), _FIELDS.index("extra")
_IN_FORM_ORDER = {name: place for place, name in enumerate(FIELDS)}
# The cleaned texts named as their question is: each may still be exactly what was typed.
_CLEANED_TEXTS = tuple(
    (position, f.name)
    for position, f in enumerate(fields(Response))
    if f.name in FIELDS and f.type == "str"
)
_CHUNK = 1 << 20
_GZIP_WINDOW = 16 + zlib.MAX_WBITS  # zlib reads and writes the gzip header and trailer
_KEPT_LEVEL = 1
_PRIVATE = 0o600  # personal data, as in the review state
# What a damaged or foreign file raises as it is read: it is then not used.
_UNREADABLE = (OSError, EOFError, zlib.error, ValueError, TypeError, KeyError, AttributeError)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checked:
    """What the read-to-dedupe stages hand on: the sources as read, the notes for the officer
    and the responses, judged."""

    sources: list[SourceInfo]
    notes: list[str]
    responses: list[Response]
    inputs_key: str | None = None  # see `inputs_key`
    reused: bool = False  # taken from the file, as the last sync checked them


def _file_digest(path: Path, digest: Any) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    digest.update(b"\x1e")


def _sheet_versions(settings: Settings, google: GoogleSession | None) -> dict[str, str] | None:
    """Spreadsheet (as configured) -> its Drive version, for every Google source; None when one
    of them has none to give."""
    google_sources = [source for source in settings.sources if source.kind == "google_sheet"]
    if not google_sources:
        return {}
    if google is None:
        return None
    # Imported here: with local sources alone (`sangkien check`), no Google library is loaded.
    from .google.source import spreadsheet_version

    versions: dict[str, str] = {}
    for source in google_sources:
        version = spreadsheet_version(source, google)
        if version is None:
            return None
        versions[str(source.spreadsheet)] = version
    return versions


def inputs_key(
    settings: Settings, templates: Templates, google: GoogleSession | None = None
) -> str | None:
    """A digest of everything the checked responses are made from: the local files' bytes, and
    a Google source's Drive version (asked before its values are read). None when a file cannot
    be read or Drive does not tell a version (the full path then reports why)."""
    versions = _sheet_versions(settings, google)
    if versions is None:
        return None
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{_FORMAT}\x1f{settings!r}\x1f{templates!r}\x1f".encode())
    try:
        for path in sorted(p for p in _PACKAGE.rglob("*") if p.is_file()):
            if "__pycache__" not in path.parts:
                digest.update(path.relative_to(_PACKAGE).as_posix().encode())
                _file_digest(path, digest)
        for source in settings.sources:
            if source.kind == "google_sheet":
                version = versions[str(source.spreadsheet)]
                digest.update(f"{source.spreadsheet}\x1f{version}\x1e".encode())
            else:
                assert source.path is not None  # checked when the config was loaded
                _file_digest(source.path, digest)
        _file_digest(settings.units, digest)
    except OSError:
        return None
    return digest.hexdigest()


# -- encoding -------------------------------------------------------------------------------------


def _tagged(value: object) -> dict[str, Any]:
    """`json.dumps`' hook for every value JSON has no type for."""
    if isinstance(value, datetime):
        zone = value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None
        return {"$dt": [value.isoformat(), zone]}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Violation):
        return {"$v": [value.code, value.field, value.message, value.raw_value]}
    if isinstance(value, Mapping):
        return {"$m": [[key, item] for key, item in value.items()]}
    raise TypeError(f"{type(value).__name__} is not kept")


_ENCODE = json.JSONEncoder(ensure_ascii=False, default=_tagged).encode


def _untagged(tag: dict[str, Any]) -> Any:
    """`json.loads`' hook: every object in a response line is a tag."""
    [(kind, value)] = tag.items()
    if kind == "$f":
        return FieldValues(_IN_FORM_ORDER, tuple(value))
    if kind == "$m":
        return {key: item for key, item in value} if value else NO_EXTRA
    if kind == "$dt":
        moment = datetime.fromisoformat(value[0])
        return moment.astimezone(ZoneInfo(value[1])) if value[1] else moment
    if kind == "$d":
        return date.fromisoformat(value)
    if kind == "$t":
        return time.fromisoformat(value)
    if kind == "$td":
        return timedelta(*value)
    if kind == "$v":
        return Violation(*value)
    raise ValueError(f"unknown tag {kind}")


def _response_line(response: Response) -> str:
    """The response's attributes in order. A cleaned text still exactly as typed is left out
    (None) and its name listed last: the long descriptions would otherwise be kept twice."""
    values = list(_ATTRIBUTES(response))
    raw = response.raw
    as_typed = []
    for position, name in _CLEANED_TEXTS:
        value = values[position]
        if value and raw.get(name) == value:
            values[position] = None
            as_typed.append(name)
    # Every question in form order (the usual case) keeps no keys; mappings are tags.
    values[_RAW] = {"$f": list(raw.values())} if tuple(raw) == FIELDS else _tagged(raw)
    values[_EXTRA] = _tagged(response.extra)
    values.append(as_typed)
    return _ENCODE(values)


_LINES_AT_ONCE = 2_000


def _responses(lines: Iterator[bytes]) -> list[Response]:
    """Every response line read back, `_LINES_AT_ONCE` at a time. Each cell as read that repeats
    is made one object again (`SharedTexts`), as the sheets' readers give them: JSON makes a new
    string for every cell, and at 100,000 rows the copies held 82 MB more (reading takes 0.4 s
    longer; the nominated sync's peak is 200 MB lower)."""
    share = SharedTexts()
    decode = json.JSONDecoder(object_hook=_untagged).decode  # one decoder, not one a line
    responses: list[Response] = []
    while chunk := [decode(line.decode()) for line in islice(lines, _LINES_AT_ONCE)]:
        in_form_order = [values for values in chunk if isinstance(values[_RAW], FieldValues)]
        cells = share.rows([values[_RAW]._values for values in in_form_order])
        for values, shared in zip(in_form_order, cells, strict=True):
            values[_RAW] = FieldValues(_IN_FORM_ORDER, tuple(shared))
        responses.extend(map(_response, chunk))
    return responses


def _response(decoded: list[Any]) -> Response:
    *values, as_typed = decoded
    response = Response(*values)
    for name in as_typed:
        setattr(response, name, response.raw[name])
    response.status = Status(response.status)
    return response


def _lines(key: str, checked: Checked | None) -> Iterator[str]:
    """The head, then one response a line; with no `checked`, the head alone says only which
    inputs the last sync had."""
    head: dict[str, Any] = {"format": _FORMAT, "key": key, "kept": checked is not None}
    if checked is not None:
        head["sources"] = [[s.name, s.kind, s.rows, s.location, s.sheet] for s in checked.sources]
        head["notes"] = checked.notes
    yield json.dumps(head, ensure_ascii=False) + "\n"
    for response in checked.responses if checked is not None else ():
        yield _response_line(response) + "\n"


# -- the file -------------------------------------------------------------------------------------


def _encoded(lines: Iterable[str]) -> Iterator[bytes]:
    """The lines in UTF-8, some `_CHUNK` characters a piece."""
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= _CHUNK:
            yield "".join(batch).encode()
            batch, size = [], 0
    yield "".join(batch).encode()


def _lines_of(path: Path) -> Iterator[bytes]:
    """The file's lines, unzipped by a thread a piece at a time while this one decodes them
    (`read_ahead`): at 100,000 responses, 0.5 to 1 s of the 5 to 6 s that reading them back
    takes."""
    rest = b""
    for piece in read_ahead(_unzipped(path)):
        lines = (rest + piece).split(b"\n")  # a newline byte is never part of another character
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _unzipped(path: Path) -> Iterator[bytes]:
    unzip = zlib.decompressobj(wbits=_GZIP_WINDOW)
    with path.open("rb") as handle:
        while piece := handle.read(_CHUNK):
            yield unzip.decompress(piece)
    yield unzip.flush()
    if not unzip.eof or unzip.unused_data:  # cut short, or more than the one member written
        raise EOFError("the file does not end where its compressed data does")


@dataclass(slots=True)
class CheckedFile:
    """The responses are kept only once the inputs have stayed the same for two syncs: while
    responses still come in, every sync has new inputs, and keeping 100,000 responses costs
    seconds that the next sync would never get back. The file then names the inputs alone.
    What a sync keeps replaces the file only when the sync succeeds (`commit`): a failed sync
    leaves the output folder as it was."""

    path: Path
    key: str  # of this sync's inputs
    repeated: bool = False  # the last sync had the same inputs
    staged: Path = field(init=False)  # the file to be, until `commit`

    def __post_init__(self) -> None:
        self.staged = self.path.with_name(f".{self.path.name}.keeping")

    @classmethod
    def of(
        cls,
        path: Path | None,
        settings: Settings,
        templates: Templates,
        google: GoogleSession | None = None,
    ) -> CheckedFile | None:
        """None when nothing is kept: no output folder, or inputs with no key to tell them by."""
        key = inputs_key(settings, templates, google) if path is not None else None
        if path is None or key is None:
            return None
        kept = cls(path, key)
        kept.discard()  # what a killed sync staged
        return kept

    def read(self) -> Checked | None:
        """The responses kept for these inputs; None when the file holds other inputs, only
        their name, or cannot be read back whole."""
        try:
            with closing(_lines_of(self.path)) as lines:
                head = self._head(next(lines, b""))
                if head is None:
                    return None
                self.repeated = True
                if not head.get("kept"):
                    return None
                sources = [SourceInfo(*source) for source in head["sources"]]
                responses = _responses(lines)
        except FileNotFoundError:
            return None
        except _UNREADABLE as exc:
            log.info("%s not used: %s", self.path, exc)
            return None
        return Checked(sources, list(head["notes"]), responses, self.key, reused=True)

    def sources(self) -> Checked | None:
        """The sources and notes of the responses kept for these inputs, without the responses
        (only the file's first line is read); None when it holds none for them."""
        try:
            with gzip.open(self.path) as handle:
                head = self._head(handle.readline())
            if head is None or head.get("kept") is not True:
                return None
            sources = [SourceInfo(*source) for source in head["sources"]]
            return Checked(sources, list(head["notes"]), [], self.key, reused=True)
        except _UNREADABLE:  # a missing file too
            return None

    def _head(self, line: bytes) -> dict[str, Any] | None:
        """The file's first line, when it names these inputs in this format."""
        head = json.loads(line or b"{}")
        if head.get("format") != _FORMAT or head.get("key") != self.key:
            return None
        return head

    def keep(self, checked: Checked) -> None:
        """Staged beside the file; a value the file cannot hold, or a folder it cannot be
        written to, only means the next sync checks again. Compressed lightly: the texts as
        typed are most of it, and they shrink about fivefold at little cost. A thread encodes
        the lines while this one compresses and writes them (zlib lets the thread run)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
            packer = zlib.compressobj(_KEPT_LEVEL, zlib.DEFLATED, _GZIP_WINDOW)
            lines = _lines(self.key, checked if self.repeated else None)
            with open(os.open(self.staged, flags, _PRIVATE), "wb") as raw:
                for piece in read_ahead(_encoded(lines)):
                    raw.write(packer.compress(piece))
                raw.write(packer.flush())
        except (TypeError, ValueError, OSError) as exc:
            log.info("%s not kept: %s", self.path, exc)
            self.discard()

    def commit(self) -> None:
        with suppress(OSError):  # a cache: not kept is only a slower next sync
            os.replace(self.staged, self.path)
        self.discard()

    def discard(self) -> None:
        with suppress(OSError):
            self.staged.unlink(missing_ok=True)


@contextmanager
def kept_if_written(kept: CheckedFile | None) -> Iterator[None]:
    """What the sync in the block keeps replaces the file only if the block succeeds."""
    try:
        yield
    except BaseException:
        if kept is not None:
            kept.discard()
        raise
    if kept is not None:
        kept.commit()
