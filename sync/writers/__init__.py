"""Output: every reviewing unit's sheets (books.py, records.py), rendered and written by the
run's `ReviewStore` (folder.py for workbooks, google/target.py for spreadsheets), then the
review state, the audit and the JSON report."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..memory import no_cycle_collection
from ..report import REPORT_FILE, Report, report_file_text, report_json
from ..templates import Templates
from .atomic import write_text_atomic
from .books import Books, remembered, reviewing_units
from .folder import package_version
from .records import Renderer

if TYPE_CHECKING:
    from ..review.audit import AuditEntry
    from ..review.state import ReviewState
    from ..review.store import ReviewStore


def report_text(report: Report, held: Callable[[], dict[str, str]]) -> Iterator[str]:
    """`sync-report.json`, with the outputs left as they were (`not_written`), as the store
    tells when the text is written: a store may still hold an output back as it commits."""
    data = report_json(report)
    data["not_written"] = [{"path": path, "reason": why} for path, why in sorted(held().items())]
    yield from report_file_text(data)


def steady_key(report: Report, settings: Settings, templates: Templates) -> str:
    """A digest of everything a round's outputs are made from: the responses as read and
    judged, the organisation tree, the settings and layouts, the version and the day (the
    dashboard counts the days left). The review comes from the outputs themselves, so the same
    key with every output untouched since the last sync wrote them is the same round again."""
    digest = hashlib.blake2b(digest_size=16)
    day = report.generated_at.date().isoformat()
    for part in (package_version(), day, repr(settings), repr(templates)):
        digest.update(part.encode() + b"\x1f")
    for unit in report.tree:
        digest.update(repr(unit).encode())
    if report.inputs_key is not None:  # the responses as judged follow from the inputs alone
        digest.update(report.inputs_key.encode())
    else:
        for response in report.responses:
            digest.update(repr(response).encode())
    return digest.hexdigest()


def _with_new_time(report_file: Path, report: Report) -> bool:
    """The same round again: the last report, still there, gets the new time; nothing else in
    it can differ. Rendering it anew takes seconds at national scale."""
    try:
        text = report_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    start, line, rest = text.split("\n", 2) if text.count("\n") >= 2 else ("", "", "")
    if start != "{" or not line.startswith(' "generated_at": ') or not line.endswith(","):
        return False
    moment = json.dumps(report.generated_at.isoformat(timespec="seconds"))
    write_text_atomic(report_file, f'{start}\n "generated_at": {moment},\n{rest}')
    return True


def write_outputs(
    report: Report, settings: Settings, templates: Templates, store: ReviewStore, out_dir: Path
) -> tuple[Report, list[str]]:
    """Render, write through the store, then keep the state and the audit: a sync that failed
    while writing settles the same round again next time. The JSON report is always written
    locally, for monitoring; it and the returned report name the addresses Google refused.
    The round the last sync wrote, found again with every output untouched, is not rendered:
    only the report's time is new."""
    report_file = out_dir / REPORT_FILE
    steady = steady_key(report, settings, templates)
    if store.settled(steady):
        if not _with_new_time(report_file, report):
            write_text_atomic(report_file, report_text(report, store.held))
        return report, [str(report_file)]
    renderer = Renderer(report, settings, templates)
    units = reviewing_units(report.tree, settings)

    @cache
    def remember_round() -> tuple[ReviewState, list[AuditEntry]]:
        """Worked out once, when first needed: a folder of workbooks needs it only after its
        forked writers are done, which then do not each start with it in memory. Each unit's
        review list is rendered again here: no process kept every book it rendered."""
        listed = {unit.id: renderer.initiatives(unit.id) for unit in units}
        return remembered(report, renderer, listed)

    written = store.write(Books(renderer, tuple(units)), lambda: remember_round()[1])
    with no_cycle_collection():  # the state: plain data by the million
        state, entries = remember_round()
        state.steady = steady
        report = replace(report, refused_addresses=written.refused_addresses)
        store.save(state, entries, {report_file: report_text(report, store.held)})
    held = store.held()
    return report, [*(path for path in written.paths if path not in held), str(report_file)]
