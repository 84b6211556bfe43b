"""The local review store: an unchanged workbook is not written again, one open elsewhere is
left as it is while every other output is written, and the files of a sync are committed
together, even when the sync is killed at any moment."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from sync.cli import app
from sync.config import read_settings
from sync.console import summary_json
from sync.errors import ExitCode
from sync.orgtree import load_tree
from sync.pipeline import run_sync
from sync.review import state as state_module
from sync.review.audit import AUDIT_FILE
from sync.review.state import STATE_FILE, Entry, Mark, ReviewState, load_state, state_text
from sync.review.store import Written
from sync.writers.atomic import TEMPORARY_MARK, recover
from sync.writers.folder import WorkbookFolder
from tests.officer import delete_row, edit, rows_by_id, workbook

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
APPRAISAL, SCORE, NOMINATE = "Kết quả thẩm định", "Điểm (0–100)", "Đề xuất lên cấp trên"
TITLE, RECEIVED = "Tên sáng kiến", "Ngày nhận đề xuất"


def person(i: int) -> dict:
    return {
        "full_name": f"Người Thứ {chr(65 + i)}",
        "phone": f"09120000{i:02d}",
        "email": f"nguoi{i}@example.vn",
        "title": f"Sáng kiến số {i} về {['điện', 'nước', 'sổ sách', 'an toàn'][i % 4]}",
        "description": f"Nội dung riêng biệt {i} " + "chữ " * i,
        "timestamp": f"{10 + i:02d}/03/2021 08:00:00",
    }


@pytest.fixture
def config(small_campaign) -> Path:
    return small_campaign([person(i) for i in range(4)])


def _sync(config: Path, now: datetime | None = None) -> list[str]:
    moment = now or datetime(2021, 4, 1, 9, 0, tzinfo=ZONE)
    return run_sync(read_settings(config), now=moment).written


def _stamps(out: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in out.rglob("*.xlsx")}


def _audit(out: Path) -> list[dict]:
    lines = (out / AUDIT_FILE).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_an_unchanged_sync_writes_no_workbook(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert len(_sync(config)) > 2
    before = _stamps(out)
    # Later the same day (the dashboards count the days left, so a new day rewrites them).
    written = _sync(config, datetime(2021, 4, 1, 17, 0, tzinfo=ZONE))
    assert [Path(p).name for p in written] == ["sync-report.json"]
    assert _stamps(out) == before


def _sync_result(config: Path, now: datetime):
    return run_sync(read_settings(config), now=now)


def test_an_unchanged_round_is_settled_before_any_response_is_read(
    config: Path, tmp_path: Path
) -> None:
    """Once the checked responses are kept, the same inputs with every output as the last sync
    left it need neither a response nor a workbook read: the last report gets the new time and
    its summary stands for this sync's. A saved workbook is a round of its own."""
    out, report_file = tmp_path / "out", tmp_path / "out" / "sync-report.json"
    _sync(config)
    kept = _sync_result(config, datetime(2021, 4, 1, 9, 30, tzinfo=ZONE))  # keeps the responses
    before, stamps = json.loads(report_file.read_text("utf-8")), _stamps(out)
    result = _sync_result(config, datetime(2021, 4, 1, 17, 0, tzinfo=ZONE))
    assert set(result.report.timings) == {"read"} and not result.report.responses
    assert result.written == [str(report_file)] and _stamps(out) == stamps
    after = json.loads(report_file.read_text("utf-8"))
    assert after["generated_at"] == "2021-04-01T17:00:00+07:00"
    assert {**after, "generated_at": ""} == {**before, "generated_at": ""}
    assert result.report.summary() == kept.report.summary() == before["summary"]
    assert result.report.sources == kept.report.sources
    assert json.loads(summary_json(result))["unchanged_round"] is True
    book = workbook(out, "P.TG.THPT")
    openpyxl.load_workbook(book).save(book)  # an officer opens and saves it, changing nothing
    saved = _sync_result(config, datetime(2021, 4, 1, 17, 30, tzinfo=ZONE))
    assert "review" in saved.report.timings and saved.report.responses
    # The responses read back from the kept file render the very workbooks the source did.
    assert [p for p in saved.written if p.endswith(".xlsx")] == []
    assert json.loads(summary_json(saved))["unchanged_round"] is False


@pytest.mark.parametrize("lost", ["report", "lookup"])
def test_an_unchanged_round_missing_an_output_is_settled_as_usual(
    config: Path, tmp_path: Path, lost: str
) -> None:
    out = tmp_path / "out"
    _sync(config)
    _sync(config)
    gone = out / "sync-report.json" if lost == "report" else next(out.glob("*.xlsx"))
    gone.unlink()
    result = _sync_result(config, datetime(2021, 4, 1, 17, 0, tzinfo=ZONE))
    assert "review" in result.report.timings and result.report.responses
    assert gone.is_file()
    report = json.loads((out / "sync-report.json").read_text("utf-8"))
    assert len(report["responses"]) == len(result.report.responses)


def test_an_officers_edit_rewrites_only_that_workbook(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    first, second = list(rows_by_id(book))[:2]
    edit(book, first, {TITLE: "Tên do cán bộ sửa"})
    delete_row(book, second)
    written = _sync(config)
    assert [Path(p) for p in written if p.endswith(".xlsx")] == [book]
    assert not _temporaries(out)  # those made for the unchanged workbooks are gone too
    after = rows_by_id(book)
    assert after[first][TITLE] != "Tên do cán bộ sửa" and second in after
    [overwritten] = [e for e in _audit(out) if e["change"] == "overwritten"]
    assert overwritten["id"] == first


def test_a_new_nomination_logs_no_false_overwritten(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    first = next(iter(rows_by_id(book)))
    edit(book, first, {APPRAISAL: "Đạt", SCORE: 90, NOMINATE: "x"})
    _sync(config, datetime(2021, 4, 1, 10, 15, 3, 987654, tzinfo=ZONE))
    superior = workbook(out, "P.TG")
    assert rows_by_id(superior)[first][RECEIVED] == datetime(2021, 4, 1, 10, 15, 3)
    written = _sync(config, datetime(2021, 4, 1, 11, 0, tzinfo=ZONE))
    assert not [e for e in _audit(out) if e["change"] == "overwritten"]
    assert not [p for p in written if p.endswith(".xlsx")]


def test_the_writers_digests_keep_the_state_the_sync_would_work_out(
    config: Path, tmp_path: Path, monkeypatch
) -> None:
    """Each process that writes a review list hands back its digests and its initiatives'
    marks. The state they make is the one the sync keeps when it works them all out after
    writing (as it does for a list no writer digested), and so is the audit."""
    out, again = tmp_path / "out", tmp_path / "again"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    first = next(iter(rows_by_id(book)))
    edit(book, first, {APPRAISAL: "Đạt", SCORE: 90, NOMINATE: "x"})
    shutil.copytree(out, again)
    handed_back: list[set[str]] = []
    write = WorkbookFolder.write
    keep_digests = True

    def write_and_look(store: WorkbookFolder, books, audit) -> Written:
        written = write(store, books, audit)
        handed_back.append(set(written.digests))
        return written if keep_digests else replace(written, digests={})

    monkeypatch.setattr(WorkbookFolder, "write", write_and_look)
    settings, moment = read_settings(config), datetime(2021, 4, 1, 10, 0, tzinfo=ZONE)
    run_sync(settings, out, now=moment)
    keep_digests = False
    run_sync(settings, again, now=moment)
    units = {unit.id for unit in load_tree(settings.units) if unit.tier in settings.output.tiers}
    assert handed_back == [units, units]
    kept, worked_out = (json.loads((folder / STATE_FILE).read_text()) for folder in (out, again))
    assert first in kept["units"]["P.TG"]["entries"]  # nominated: on the superior's list
    assert {**kept, "stamps": None} == {**worked_out, "stamps": None}
    assert _audit(out) == _audit(again)


def test_state_remembers_what_each_workbook_holds(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _sync(config)
    books = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["books"]
    assert set(books) == {p.relative_to(out).as_posix() for p in out.rglob("*.xlsx")}


def _cli_sync(config: Path, as_of: str) -> Result:
    return CliRunner().invoke(app, ["sync", "--config", str(config), "--as-of", as_of])


def test_an_open_workbook_is_named_and_everything_else_written(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    first = next(iter(rows_by_id(book)))
    edit(book, first, {APPRAISAL: "Đạt", SCORE: 90, NOMINATE: "x"})
    lock = book.with_name(f"~${book.name}")
    lock.write_bytes(b"officer")
    before = book.read_bytes()
    result = CliRunner().invoke(
        app, ["sync", "--config", str(config), "--as-of", "2021-04-01 10:00"]
    )
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert str(book) in result.output and "Traceback" not in result.output
    assert book.read_bytes() == before
    # Its nomination was read and went up; every other output was written.
    assert first in rows_by_id(workbook(out, "P.TG"))
    report = json.loads((out / "sync-report.json").read_text(encoding="utf-8"))
    assert [held["path"] for held in report["not_written"]] == [str(book)]
    lock.unlink()
    result = CliRunner().invoke(
        app, ["sync", "--config", str(config), "--as-of", "2021-04-01 10:05"]
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert book.read_bytes() != before
    assert not [e for e in _audit(out) if e["change"] == "overwritten"]


def test_a_workbook_saved_while_the_sync_runs_is_left_for_the_next(
    config: Path, tmp_path: Path, monkeypatch
) -> None:
    """An officer who saves a workbook after the sync read it, before the sync replaced it,
    keeps what they typed: the workbook is left as it is and named, and the next sync takes
    in both saves."""
    from sync.writers.folder import WorkbookFolder

    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    first, second = list(rows_by_id(book))[:2]
    edit(book, first, {APPRAISAL: "Đạt"})  # so the sync rewrites the workbook
    write = WorkbookFolder.write

    def officer_saves_meanwhile(store, books, audit):
        written = write(store, books, audit)
        edit(book, second, {SCORE: 77})
        return written

    monkeypatch.setattr(WorkbookFolder, "write", officer_saves_meanwhile)
    result = run_sync(read_settings(config), now=datetime(2021, 4, 1, 10, 0, tzinfo=ZONE))
    assert str(book) in result.not_written and str(book) not in result.written
    assert rows_by_id(book)[second][SCORE] == 77
    report = json.loads((out / "sync-report.json").read_text(encoding="utf-8"))
    assert [held["path"] for held in report["not_written"]] == [str(book)]
    assert str(workbook(out, "P.TG")) in result.written  # everything else was written
    monkeypatch.undo()
    result = run_sync(read_settings(config), now=datetime(2021, 4, 1, 10, 5, tzinfo=ZONE))
    assert not result.not_written and str(book) in result.written
    after = rows_by_id(book)
    assert (after[first][APPRAISAL], after[second][SCORE]) == ("Đạt", 77)
    assert not [e for e in _audit(out) if e["change"] == "overwritten"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_read_only_workbook_is_left_as_it_is(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.TT")
    book.chmod(0o444)
    edit_target = workbook(out, "P.TG.THPT")
    edit(edit_target, next(iter(rows_by_id(edit_target))), {TITLE: "Sửa"})
    before = book.read_bytes()
    result = run_sync(read_settings(config), now=datetime(2021, 4, 1, 10, 0, tzinfo=ZONE))
    assert list(result.not_written) == [str(book)]
    assert book.read_bytes() == before
    assert str(edit_target) in result.written


# --- kill -9 at random moments -------------------------------------------------------------------

KILLS = 20


def _start_sync(config: Path, minute: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "sync", "sync", "--config", str(config), "--lock-wait", "5"]
    command += ["--as-of", f"2021-04-01 08:{minute:02d}"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob(f"*{TEMPORARY_MARK}*") if p.is_file()]


def _kill_at_random(process: subprocess.Popen[bytes], out: Path, rng: random.Random) -> None:
    """Anywhere in the run, or (every other time) inside the writing stage: as soon as the
    first temporary appears, plus a little."""
    if rng.random() < 0.5:
        time.sleep(rng.uniform(0.0, 2.0))
    else:
        deadline = time.monotonic() + 20
        while process.poll() is None and not _temporaries(out) and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.05))
    process.kill()
    process.wait()


def _writers_alive(marker: str) -> list[str]:
    """Processes (not zombies) whose command line names this campaign's config."""
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            named = entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes()
            if named and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.append(entry.name)
        except OSError:
            continue
    return alive


def _no_orphans(config: Path) -> bool:
    if not Path("/proc/self/cmdline").exists():
        return True  # nothing to look at outside Linux
    deadline = time.monotonic() + 10
    while _writers_alive(str(config)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _writers_alive(str(config))


def _agrees_with_state(out: Path) -> bool:
    """Each nomination the superior's workbook shows was received when the state says."""
    state = load_state(out / STATE_FILE)
    seen = {
        initiative: entry.nominated_at
        for entries in state.units.values()
        for initiative, entry in entries.items()
        if entry.nominated_at
    }
    for initiative, row in rows_by_id(workbook(out, "P.TG")).items():
        remembered = seen.get(initiative)
        if remembered is None:
            return False
        if datetime.fromisoformat(remembered).replace(tzinfo=None) != row[RECEIVED]:
            return False
    return True


def _type_review(out: Path, iteration: int, typed: dict[str, int]) -> None:
    book = workbook(out, "P.TG.THPT")
    ids = sorted(rows_by_id(book))
    initiative = ids[iteration % len(ids)]
    typed[initiative] = 50 + iteration
    values = {APPRAISAL: "Đạt", SCORE: typed[initiative]}
    if iteration % 3 == 0:
        values[NOMINATE] = "x"
    edit(book, initiative, values)


@pytest.mark.skipif(os.name == "nt", reason="kill -9")
def test_kill_9_at_random_moments_loses_and_breaks_nothing(small_campaign, tmp_path) -> None:
    config = small_campaign([person(i) for i in range(6)])
    out = tmp_path / "out"
    assert _sync_process_completes(config, 0)
    rng, typed = random.Random(20211), {}
    for iteration in range(1, KILLS + 1):
        _type_review(out, iteration, typed)
        _kill_at_random(_start_sync(config, iteration), out, rng)
        assert _no_orphans(config), f"iteration {iteration}: a writer outlived the sync"
        recover(out)  # what the next sync does first
        assert not _temporaries(out), iteration
        for path in out.rglob("*.xlsx"):
            openpyxl.load_workbook(path).close()
        scores = {i: row[SCORE] for i, row in rows_by_id(workbook(out, "P.TG.THPT")).items()}
        assert {i: scores[i] for i in typed} == typed, f"iteration {iteration}: a review was lost"
        assert _agrees_with_state(out), f"iteration {iteration}: workbooks and state disagree"
    assert _sync_process_completes(config, KILLS + 1)
    assert not [e for e in _audit(out) if e["change"] == "overwritten"]
    assert not _temporaries(out)


def _sync_process_completes(config: Path, minute: int) -> bool:
    return _start_sync(config, minute).wait(timeout=120) == 0


def test_the_state_grows_with_what_was_reviewed(small_campaign, tmp_path: Path) -> None:
    config = small_campaign([person(i) for i in range(8)])
    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    reviewed = next(iter(rows_by_id(book)))
    edit(book, reviewed, {APPRAISAL: "Đạt", SCORE: 90})
    _sync(config)
    data = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    entries = data["units"]["P.TG.THPT"]["entries"]
    named = [i for i, entry in entries.items() if "title" in entry]
    assert named == [reviewed]
    state = load_state(out / STATE_FILE)
    assert state.units["P.TG.THPT"][reviewed].review == {
        "review.appraisal": "Đạt",
        "review.score": 90,
    }
    assert all(entry.cells for entry in state.units["P.TG.THPT"].values())


@pytest.mark.parametrize("marks", [0, 1, 5])
def test_the_state_written_in_pieces_reads_back_whole(marks: int, monkeypatch, tmp_path) -> None:
    """At national scale the state is written a piece at a time, never held as one string:
    what is read back is the state that was saved, however many pieces its marks took."""
    monkeypatch.setattr(state_module, "_MARKS_A_PIECE", 2)
    state = ReviewState(
        initiatives={f"I{n}": Mark(f"{n:08x}", "valid", "grassroots", "U1") for n in range(marks)},
        units={
            "U1": {"I0": Entry(review={"review.score": 90}, cells={"title": "0badcafe"})},
            "U2": {"I1": Entry(archived_at="2026-04-01T08:00:00+07:00", title="Tên «cũ»")},
        },
        books={"3-co-so/U1.xlsx": "f" * 32},
        stamps={"3-co-so/U1.xlsx": "1 2 3"},
        unplaced=["U1:Z9"],
        steady="abc",
    )
    path = tmp_path / STATE_FILE
    path.write_bytes(b"".join(state_text(state)))
    assert load_state(path) == state


def test_control_characters_log_no_false_overwritten(small_campaign, tmp_path: Path) -> None:
    rows = [person(0) | {"title": "Sáng kiến\x1b có ký tự\x07 lạ", "description": "A\tB\nC\x00"}]
    config = small_campaign([*rows, person(1)])
    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    # Saved by an officer, so the workbook is read back cell by cell.
    edit(book, next(iter(rows_by_id(book))), {})
    written = _sync(config, datetime(2021, 4, 1, 17, 0, tzinfo=ZONE))
    assert not [p for p in written if p.endswith(".xlsx")]
    assert not [e for e in _audit(out) if e["change"] == "overwritten"]


def test_a_folder_in_place_of_a_workbook_is_exit_4_with_nothing_written(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _sync(config)
    book = workbook(out, "P.TG.THPT")
    edit(book, next(iter(rows_by_id(book))), {APPRAISAL: "Đạt"})
    other = workbook(out, "P.TG.TT")
    other.unlink()
    other.mkdir()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "sangkien.log"}
    result = _cli_sync(config, "2021-04-01 10:00")
    assert result.exit_code == ExitCode.OUTPUT, result.output
    [line] = [text for text in result.output.splitlines() if text.startswith("error:")]
    assert other.name in line and "folder" in line
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "sangkien.log"}
    assert after == before


def _state_mtime(out: Path) -> int:
    return (out / STATE_FILE).stat().st_mtime_ns


def test_the_same_round_again_is_not_rendered(small_campaign, tmp_path: Path) -> None:
    """An unchanged sync with every workbook as the last sync left it writes only the report
    (its time is new); a saved workbook, a changed answer or a new day is a round of its own."""
    out, rows = tmp_path / "out", [person(i) for i in range(4)]
    config = small_campaign(rows)
    _sync(config)
    state, books = _state_mtime(out), _stamps(out)
    later = datetime(2021, 4, 1, 15, 0, tzinfo=ZONE)
    assert _sync(config, later) == [str(out / "sync-report.json")]
    assert (_state_mtime(out), _stamps(out)) == (state, books)
    assert json.loads((out / "sync-report.json").read_text("utf-8"))["generated_at"].startswith(
        "2021-04-01T15:00"
    )
    book = workbook(out, "P.TG.THPT")
    openpyxl.load_workbook(book).save(book)  # an officer opens and saves it, changing nothing
    _sync(config, later)
    assert _state_mtime(out) != state  # read back and settled again
    state = _state_mtime(out)
    config = small_campaign([*rows[:3], person(3) | {"description": "Nội dung đã sửa"}])
    _sync(config, later)
    assert _state_mtime(out) != state
    assert any("Nội dung đã sửa" in str(r.get("Mô tả sáng kiến")) for r in
               rows_by_id(book).values())  # fmt: skip
    state = _state_mtime(out)
    _sync(config, datetime(2021, 4, 2, 9, 0, tzinfo=ZONE))  # a day less left on the dashboards
    assert _state_mtime(out) != state
