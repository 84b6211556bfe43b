"""Output: every reviewing unit's sheets (books.py, records.py), rendered and written by the
run's `ReviewStore` (folder.py for workbooks, google/target.py for spreadsheets), then the
review state, the audit and the JSON report."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checked import Checked
from ..config import Settings
from ..memory import no_cycle_collection
from ..models import Response
from ..orgtree import OrgTree
from ..report import REPORT_FILE, Report, report_file_text, report_json
from ..templates import Templates
from .atomic import write_text_atomic
from .books import Books, ListDigests, remembered, reviewing_units
from .folder import package_version
from .records import Renderer

if TYPE_CHECKING:
    from ..review.audit import AuditEntry
    from ..review.state import ReviewState
    from ..review.store import ReviewStore


def report_text(report: Report, held: Callable[[], dict[str, str]]) -> Iterator[bytes]:
    """`sync-report.json`, with the outputs left as they were (`not_written`), as the store
    tells when the text is written: a store may still hold an output back as it commits."""
    data = report_json(report)
    data["not_written"] = [{"path": path, "reason": why} for path, why in sorted(held().items())]
    yield from report_file_text(data)


def steady_key(
    settings: Settings,
    templates: Templates,
    when: datetime,
    tree: OrgTree,
    judged: str | Iterable[Response],
) -> str:
    """A digest of everything a round's outputs are made from: the responses as read and judged
    (`judged`: the inputs' key, from which they follow alone, or else the responses
    themselves), the organisation tree, the settings and layouts, the version and the day (the
    dashboard counts the days left). The review comes from the outputs themselves, so the same
    key with every output untouched since the last sync wrote them is the same round again."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (package_version(), when.date().isoformat(), repr(settings), repr(templates)):
        digest.update(part.encode() + b"\x1f")
    for unit in tree:
        digest.update(repr(unit).encode())
    if isinstance(judged, str):
        digest.update(judged.encode())
    else:
        for response in judged:
            digest.update(repr(response).encode())
    return digest.hexdigest()


def _with_new_time(report_file: Path, when: datetime) -> dict[str, Any] | None:
    """The same round again: the last report, still there, gets the new time; nothing else in
    it can differ. Rendering it anew takes seconds at national scale. Its head (the campaign,
    the sources and the summary, before the initiatives) is returned; None, and the file left
    as it is, when it is missing or not as a sync writes it."""
    try:
        text = report_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    start, line, rest = text.split("\n", 2) if text.count("\n") >= 2 else ("", "", "")
    if start != "{" or not line.startswith(' "generated_at": ') or not line.endswith(","):
        return None
    try:
        # `report_file_text` puts each top-level key on a line of its own, the initiatives after
        # the summary.
        head = json.loads(text[: text.index(',\n "responses": ')] + "\n}")
    except ValueError:  # also when the initiatives' line is not there
        return None
    moment = json.dumps(when.isoformat(timespec="seconds"))
    write_text_atomic(report_file, f'{start}\n "generated_at": {moment},\n{rest}')
    return head if isinstance(head, dict) else None


def unchanged_round(
    settings: Settings,
    templates: Templates,
    store: ReviewStore,
    tree: OrgTree,
    checked: Checked,
    when: datetime,
    out_dir: Path,
) -> Report | None:
    """The round the last sync wrote, found again before a response is read: the same inputs
    (`checked`: the sources of the responses kept for them, and their key, see checked.py),
    organisation tree, settings, version and day, and every output exactly as the last sync
    left it. The last report then only gets the new time, and this sync's report holds its
    summary: no initiative and no tally. None when anything differs, or the last report is not
    there to tell the summary: the sync then reads the responses and settles the round."""
    assert checked.inputs_key is not None
    steady = steady_key(settings, templates, when, tree, checked.inputs_key)
    if not store.settled(steady, reviewing_units(tree, settings)):
        return None
    head = _with_new_time(out_dir / REPORT_FILE, when)
    if head is None or not isinstance(head.get("summary"), dict):
        return None
    return Report(
        generated_at=when,
        campaign=settings.campaign.name,
        sources=checked.sources,
        responses=[],
        tallies={},
        tree=tree,
        inputs_key=checked.inputs_key,
        checks_reused=True,
        last_summary=head["summary"],
    )


def write_outputs(
    report: Report, settings: Settings, templates: Templates, store: ReviewStore, out_dir: Path
) -> tuple[Report, list[str]]:
    """Render, write through the store, then keep the state and the audit: a sync that failed
    while writing settles the same round again next time. The JSON report is always written
    locally, for monitoring; it and the returned report name the addresses Google refused.
    The round the last sync wrote, found again with every output untouched, is not rendered:
    only the report's time is new."""
    report_file = out_dir / REPORT_FILE
    judged = report.responses if report.inputs_key is None else report.inputs_key
    steady = steady_key(settings, templates, report.generated_at, report.tree, judged)
    units = reviewing_units(report.tree, settings)
    if store.settled(steady, units):
        if _with_new_time(report_file, report.generated_at) is None:
            write_text_atomic(report_file, report_text(report, store.held))
        return report, [str(report_file)]
    renderer = Renderer(report, settings, templates)
    books = Books(renderer, tuple(units))
    kept: list[tuple[ReviewState, list[AuditEntry]]] = []

    def remember_round(
        digested: Mapping[str, ListDigests],
    ) -> tuple[ReviewState, list[AuditEntry]]:
        """Worked out once, when first needed: a folder of workbooks needs it only after its
        forked writers are done (which then do not each start with it in memory) and hand back
        the digests of the lists they wrote; Google spreadsheets, for their audit tab, before."""
        if not kept:
            kept.append(remembered(report, books, digested))
        return kept[0]

    written = store.write(books, lambda: remember_round({})[1])
    with no_cycle_collection():  # the state: plain data by the million
        state, entries = remember_round(written.digests)
        renderer.forget()
        state.steady = steady
        report = replace(report, refused_addresses=written.refused_addresses)
        store.save(state, entries, {report_file: report_text(report, store.held)})
    held = store.held()
    return report, [*(path for path in written.paths if path not in held), str(report_file)]
