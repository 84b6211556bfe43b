"""`run_sync`: read → normalise → validate → resolve units → de-duplicate → settle the review
round → tally → render → store."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from .checked import CHECKED_FILE, Checked, CheckedFile, kept_if_written
from .config import Settings
from .cores import beside, on_every_core, shares_of
from .dedupe import apply_duplicates, find_duplicates
from .memory import heap_kept, no_cycle_collection, return_free_heap
from .models import Response, SourceInfo, Status, Violation
from .orgtree import OrgTree, Resolution, load_tree
from .report import REPORT_FILE, Report
from .responses import Choices, build_responses
from .rules.checks import RuleContext, unknown_unit, validate
from .rules.codes import Severity, code
from .sources import read_source
from .tally import add_codes, tally
from .templates import Templates, load_templates

if TYPE_CHECKING:
    from .google.client import GoogleSession
    from .review.stage import ReviewRound
    from .review.store import ReviewStore

StageHook = Callable[[str], None]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncResult:
    report: Report
    written: list[str]  # files or spreadsheets written, for the summary
    not_written: dict[str, str] = field(default_factory=dict)  # output left as it was -> why


class _Stages:
    """Times each stage and tells the caller (the CLI's progress display) which one is running."""

    def __init__(self, hook: StageHook | None):
        self.hook = hook
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.hook:
            self.hook(name)
        started = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


def _unique_ids(responses: list[Response]) -> None:
    """Two rows can share a key only when they are the very same submission pasted twice;
    number the repeats so each row still has its own id."""
    seen: Counter[str] = Counter()
    for response in responses:
        seen[response.id] += 1
        if seen[response.id] > 1:
            response.id = f"{response.id}-{seen[response.id]}"


# Distinct (superior, grassroots) answers matched per task: most are found at once, a misspelt
# one takes a fuzzy search of every union's name. Fewer than one share are matched here alone:
# a forked worker costs more than they take (the fork, and a fault on every page this process
# writes to after it, in this stage and the next). At a hundred thousand rows, 15,800 answers:
# 0.16 s here, against 0.18 s shared with a worker, and 45,000 more page faults in this stage
# and the next.
_ANSWERS_PER_SHARE = 25_000


def _resolve_units(responses: list[Response], tree: OrgTree, suggest_threshold: float) -> None:
    """Each distinct pair of unit answers resolved once, a share at a time on every core."""
    answers = list(dict.fromkeys((r.superior_unit, r.grassroots_unit) for r in responses))

    def resolve(share: range) -> list[Resolution]:
        return [tree.resolve(*answers[i], suggest_threshold) for i in share]

    shares = shares_of(len(answers), _ANSWERS_PER_SHARE)
    resolved = dict(zip(answers, chain.from_iterable(on_every_core(shares, resolve)), strict=True))
    for response in responses:
        found = resolved[response.superior_unit, response.grassroots_unit]
        response.unit_id, response.superior_id = found.unit_id, found.superior_id
        if found.unit_id is None and response.grassroots_unit:
            response.violations.append(unknown_unit(response.grassroots_unit, found.candidates))


# Responses from which the tallies are counted by a forked worker beside the review round:
# below, forking takes longer than counting.
TALLIED_BESIDE_MIN = 10_000


def _has_error(response: Response) -> bool:
    return any(code(v.code).severity is Severity.ERROR for v in response.violations)


def _flag_similar(responses: list[Response]) -> None:
    similar = code("POSSIBLE_DUPLICATE")
    for response in responses:
        if response.similar_to:
            others = ", ".join(response.similar_to)
            response.violations.append(similar.violation(raw_value=others, others=others))


def _settle_status(responses: list[Response]) -> None:
    for response in responses:
        if response.status is Status.DUPLICATE:
            continue
        response.status = Status.INVALID if _has_error(response) else Status.VALID


def _review_codes(
    responses: list[Response], review: ReviewRound
) -> Iterator[tuple[Response, list[Violation]]]:
    """Each response the round gave codes to, with those codes."""
    flagged = review.outcome.flow.codes
    if not flagged:
        return
    by_id = {r.id: r for r in responses}
    for (_, initiative), violations in flagged.items():
        yield by_id[initiative], violations


def needs_google(settings: Settings, write: bool = True) -> bool:
    """A source or the output on Google, or a form the sync must close when it is due."""
    on_google = any(s.kind == "google_sheet" for s in settings.sources)
    writes_google = settings.output.kind == "google_sheets" or settings.campaign.form_id is not None
    return on_google or (write and writes_google)


def open_store(
    settings: Settings, templates: Templates, out_dir: Path, google: GoogleSession | None
) -> ReviewStore:
    """The review store of the configured output: Google spreadsheets or local workbooks."""
    if settings.output.kind == "google_sheets":
        from .google.target import GoogleStore

        assert google is not None
        return GoogleStore.connect(google, settings, templates, out_dir)
    from .writers.folder import WorkbookFolder
    from .writers.records import expanded_layouts

    return WorkbookFolder(out_dir, templates, expanded_layouts(templates, settings))


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a report is built from besides the config: loaded once at the edge."""

    templates: Templates
    store: ReviewStore | None = None  # None: no review round (`sangkien check`)
    google: GoogleSession | None = None
    # Where the checked responses are kept between syncs; None: not kept.
    checked: CheckedFile | None = None
    tree: OrgTree | None = None  # None: loaded from the config's units file


def _settle(
    inputs: Inputs, settings: Settings, tree: OrgTree, responses: list[Response], when: datetime
) -> ReviewRound | None:
    if inputs.store is None:
        return None
    # Imported here: `sangkien check` settles no review round and loads no workbook library.
    from .review.stage import settle_review
    from .writers.books import reviewing_units

    readbacks = inputs.store.read(tree, reviewing_units(tree, settings))
    previous = inputs.store.previous()
    context = (settings, inputs.templates)
    # Reading the workbooks back makes reference cycles (openpyxl's); settling makes none.
    with no_cycle_collection():
        return settle_review(tree, responses, readbacks, previous, context, when)


def _responses(settings: Settings, inputs: Inputs, stage: _Stages) -> Checked:
    """Read every source, normalise and validate its rows."""
    form = inputs.templates.form
    with stage("read"):
        tables = [read_source(s, settings, form, inputs.google) for s in settings.sources]
        # The readers' own buffers (the file unzipped, its strings parsed) are freed by now, but
        # the C heap keeps their pages: at 300,000 rows a third of what reading took.
        return_free_heap()
    with stage("normalise"):
        choices = Choices.from_lists(settings.fields, settings.sectors)
        zone = settings.campaign.zone
        responses = [
            response
            for table in tables
            for response in build_responses(table.rows, table.locale, zone, choices)
        ]
        _unique_ids(responses)
    with stage("validate"):
        validate(responses, RuleContext(settings, form))
    sources = [SourceInfo(t.name, t.kind, len(t.rows), t.location, t.sheet) for t in tables]
    return Checked(sources, [note for t in tables for note in t.notes], responses)


def _checked(settings: Settings, inputs: Inputs, tree: OrgTree, stage: _Stages) -> Checked:
    """Read, normalise, validate, resolve and de-duplicate, or take the responses the last
    sync checked from the very same inputs. These stages build an object or a few for every row
    and none of them a reference cycle: the cycle collector is paused, as it would otherwise
    rescan every row built so far, again and again."""
    kept = inputs.checked
    with no_cycle_collection():
        if kept is not None:
            with stage("read"):
                found = kept.read()
            if found is not None:
                log.info("the inputs are those of the last sync: its checks are reused")
                return found
        checked = _responses(settings, inputs, stage)
        responses = checked.responses
        with stage("resolve"):
            # Before de-duplication: a row naming no known union is invalid and must not
            # replace the valid row it repeats.
            _resolve_units(responses, tree, settings.unit_match.suggest_threshold)
        with stage("dedupe"):
            # Only rows that can count take part: a late or broken resubmission must not knock
            # out the valid row it repeats.
            candidates = [r for r in responses if not _has_error(r)]
            # Its arrays of hundreds of megabytes, made and freed one after another, reuse the
            # same pages, given back once it is done.
            with heap_kept():
                found = find_duplicates(candidates, settings.dedupe)
            apply_duplicates(candidates, found)
            _flag_similar(candidates)
            _settle_status(responses)
    if kept is None:
        return checked
    with stage("keep"):
        kept.keep(checked)
    return replace(checked, inputs_key=kept.key)


def sync_time(settings: Settings, now: datetime | None = None) -> datetime:
    """`now` (default: the clock) in the campaign's time zone, in whole seconds: a workbook
    keeps milliseconds, so a finer time would read back different."""
    zone = settings.campaign.zone
    return (now or datetime.now(zone)).astimezone(zone).replace(microsecond=0)


def build_report(
    settings: Settings,
    inputs: Inputs | None = None,
    on_stage: StageHook | None = None,
    now: datetime | None = None,
) -> Report:
    """`now` is the sync's time (default: the clock); tests pass one to move through time.
    Without `inputs`: the default templates, no review round, no Google connection."""
    inputs = inputs or Inputs(load_templates())
    stage = _Stages(on_stage)
    when = sync_time(settings, now)
    tree = inputs.tree or load_tree(settings.units)
    checked = _checked(settings, inputs, tree, stage)
    for note in checked.notes:
        log.warning("%s", note)
    sources, responses = checked.sources, checked.responses
    # A forked worker tallies the responses while this process settles the review round
    # (reading the officers' workbooks back, seconds at later syncs); the codes the round gives
    # are then added to its tallies. Not forked, they are counted first, in the same stage.
    fork = inputs.store is not None and len(responses) >= TALLIED_BESIDE_MIN
    with ExitStack() as counting:
        with stage("tally"):
            counted = counting.enter_context(beside(partial(tally, responses, tree), fork=fork))
        with stage("review"):
            review = _settle(inputs, settings, tree, responses, when)
        with stage("tally"):
            tallies = counted()
            if review is not None:
                add_codes(tallies, tree, _review_codes(responses, review))
    return Report(
        generated_at=when,
        campaign=settings.campaign.name,
        sources=sources,
        responses=responses,
        tallies=tallies,
        tree=tree,
        timings=stage.timings,
        review=review.outcome if review else None,
        review_summary=review.summary if review else {},
        inputs_key=checked.inputs_key,
        checks_reused=checked.reused,
    )


def run_sync(
    settings: Settings,
    out_dir: Path | None = None,
    *,
    write: bool = True,
    on_stage: StageHook | None = None,
    google: GoogleSession | None = None,
    now: datetime | None = None,
    templates: Templates | None = None,
) -> SyncResult:
    """The whole sync. A Google connection is opened only when a source or the output is on
    Google; tests pass their own, connected to a local Sheets API server."""
    if google is None and needs_google(settings, write):
        from .google.client import connect

        google = connect(settings.google)
    templates = templates or load_templates()
    out = out_dir or settings.output.dir
    store = open_store(settings, templates, out, google) if write else None
    if store is None:
        return SyncResult(
            build_report(settings, Inputs(templates, google=google), on_stage, now), []
        )
    kept = CheckedFile.of(out / CHECKED_FILE, settings, templates, google)
    when, tree = sync_time(settings, now), load_tree(settings.units)
    from .writers import unchanged_round, write_outputs

    with kept_if_written(kept):
        looked = _Stages(on_stage)
        with looked("read"):
            # The same inputs, with every output as the last sync left it: nothing to read.
            # Only once their checked responses are kept, for the first sync that finds a change
            # to take from there instead of checking every response again.
            checked = kept.sources() if kept is not None else None
            found = None
            if checked is not None:
                found = unchanged_round(settings, templates, store, tree, checked, when, out)
        if checked is not None and found is not None:
            for note in checked.notes:
                log.warning("%s", note)
            report, written = found, [str(out / REPORT_FILE)]
        else:
            inputs = Inputs(templates, store, google, kept, tree)
            report = build_report(settings, inputs, on_stage, when)
            started = time.perf_counter()
            if on_stage:
                on_stage("write")
            report, written = write_outputs(report, settings, templates, store, out)
            report.timings["write"] = time.perf_counter() - started
    from .form import close_form_if_due

    closed = close_form_if_due(settings, google, report.generated_at, out) if google else None
    if closed:
        written.append(closed)
    for name, seconds in looked.timings.items():
        report.timings[name] = report.timings.get(name, 0.0) + seconds
    return SyncResult(report, written, store.held())
