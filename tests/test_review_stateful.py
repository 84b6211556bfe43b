"""Random officer sessions against the local workbooks: responses arrive, change and disappear;
officers edit review cells, sort, filter, insert and delete rows, nominate; syncs run. After
every sync each review value written so far is still beside its initiative, in the unit's list
or in its archive tab."""

from __future__ import annotations

import csv
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sync.config import read_settings
from sync.pipeline import run_sync
from sync.templates import load_templates
from tests.conftest import REPO, TREE, VALID_ROW, write_units
from tests.officer import (
    ARCHIVE,
    delete_blank_rows,
    delete_row,
    edit,
    insert_blank_row,
    reorder,
    rows_by_id,
    workbook,
)
from tests.review_model import NOMINATION, PLACES, REVIEW, START, UNITS, Ledger, response, submitted


class OfficersAndSyncs(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="review-"))
        self.out = self.folder / "out"
        self.rows: dict[int, dict] = {}  # live source rows by serial number
        self.deleted: dict[int, dict] = {}
        self.serial = 0
        self.now = START
        self.ledger = Ledger()
        config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
        config["units"] = str(write_units(self.folder, [r for r in TREE if r[0] in UNITS]))
        config["sources"] = [{"name": "form", "kind": "csv", "path": "responses.csv"}]
        config["output"] = {"dir": "out"}
        self.config = self.folder / "config.yaml"
        self.config.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        self._write_source()

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _write_source(self) -> None:
        questions = load_templates().form.questions
        with (self.folder / "responses.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([q.vi for q in questions])
            for row in self.rows.values():
                values = {**VALID_ROW, **row}
                writer.writerow([values[q.key] for q in questions])

    def _book(self, unit: str) -> Path | None:
        found = list(self.out.glob(f"*/{unit} *.xlsx"))
        return found[0] if found else None

    def _listed(self, unit: str) -> list[str]:
        book = self._book(unit)
        return list(rows_by_id(book)) if book else []

    @initialize()
    def first_sync(self) -> None:
        """A few responses and a sync, so officers have workbooks from the first step."""
        for place in (*PLACES, PLACES[0]):
            self.new_response(place)
        self.sync(1)

    # -- the source ------------------------------------------------------------------------------

    @rule(place=st.sampled_from(PLACES))
    def new_response(self, place: dict) -> None:
        n = self.serial = self.serial + 1
        stamp = submitted(n).strftime("%d/%m/%Y %H:%M:%S")
        self.rows[n] = {**response(n, place), "timestamp": stamp}
        self._write_source()

    @precondition(lambda self: self.rows)
    @rule(data=st.data())
    def edit_response(self, data) -> None:
        n = data.draw(st.sampled_from(sorted(self.rows)))
        self.rows[n]["description"] += " (đã sửa)"
        self._write_source()

    @precondition(lambda self: self.rows)
    @rule(data=st.data())
    def delete_response(self, data) -> None:
        n = data.draw(st.sampled_from(sorted(self.rows)))
        self.deleted[n] = self.rows.pop(n)
        self._write_source()

    @precondition(lambda self: self.deleted)
    @rule(data=st.data())
    def restore_response(self, data) -> None:
        n = data.draw(st.sampled_from(sorted(self.deleted)))
        self.rows[n] = self.deleted.pop(n)
        self._write_source()

    # -- the officers ----------------------------------------------------------------------------

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_edits_review(self, unit: str, data) -> None:
        listed = self._listed(unit)
        if not listed:
            return
        initiative = data.draw(st.sampled_from(listed))
        headers = data.draw(st.sets(st.sampled_from(sorted(REVIEW)), min_size=1))
        values = {h: data.draw(REVIEW[h]) for h in sorted(headers)}
        edit(workbook(self.out, unit), initiative, values)
        self.ledger.typed(unit, initiative, values)

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_nominates(self, unit: str, data) -> None:
        listed = self._listed(unit)
        if not listed:
            return
        initiative = data.draw(st.sampled_from(listed))
        edit(workbook(self.out, unit), initiative, NOMINATION)
        self.ledger.typed(unit, initiative, NOMINATION)

    @rule(unit=st.sampled_from(UNITS), order=st.sampled_from(["reverse", "name"]))
    def officer_sorts(self, unit: str, order: str) -> None:
        if self._book(unit):
            reorder(workbook(self.out, unit), order, "Tên sáng kiến")

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_filters(self, unit: str, data) -> None:
        book = self._book(unit)
        if not book:
            return
        loaded = openpyxl.load_workbook(book)
        sheet = loaded["Sáng kiến"]
        for row in range(2, sheet.max_row + 1):
            sheet.row_dimensions[row].hidden = data.draw(st.booleans())
        loaded.save(book)

    @rule(unit=st.sampled_from(UNITS), at=st.integers(2, 8))
    def officer_inserts_blank_row(self, unit: str, at: int) -> None:
        if self._book(unit):
            insert_blank_row(workbook(self.out, unit), at)

    @rule(unit=st.sampled_from(UNITS))
    def officer_deletes_blank_rows(self, unit: str) -> None:
        if self._book(unit):
            delete_blank_rows(workbook(self.out, unit))

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def officer_deletes_a_row(self, unit: str, data) -> None:
        """An accidental deletion: the review as of the last sync comes back."""
        listed = self._listed(unit)
        if not listed:
            return
        initiative = data.draw(st.sampled_from(listed))
        delete_row(workbook(self.out, unit), initiative)
        self.ledger.row_deleted(unit, initiative)

    # -- the sync --------------------------------------------------------------------------------

    @rule(hours=st.integers(1, 400))
    def sync(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        run_sync(read_settings(self.config), now=self.now)
        self.ledger.sync_done()
        for unit in UNITS:
            book = workbook(self.out, unit)
            self.ledger.check(unit, rows_by_id(book), rows_by_id(book, ARCHIVE))

    @invariant()
    def no_temporary_files_left(self) -> None:
        assert not list(self.folder.rglob(".*.xlsx"))


OfficersAndSyncs.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestOfficersAndSyncs = OfficersAndSyncs.TestCase
