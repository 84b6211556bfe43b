"""The write stage alone: the workbooks a sync of N generated responses writes, written again
and again in this one process, so the writer's own cost shows without the stages before it or
the forking.

    python benchmarks/bench_write.py [--rows 100000] [--keep DIR] [--repeat 1] [--profile FILE]

The first run generates the responses (as `bench_sync.py` does), runs the sync up to the write
stage and keeps the rendered workbooks it would write (pickled, in `--keep`); later runs with
the same folder reuse them. Every workbook is then written into a temporary folder, and the CPU
seconds of writing, the files' total size and the cells per tier are printed. `--profile` writes
a cProfile of one repetition for `python -m pstats`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_sync import generate, write_config  # noqa: E402


class _Captured(Exception):
    """Stops the sync once the workbooks to write are known."""


def capture(rows: int, folder: Path) -> Path:
    """The workbooks a first sync of `rows` responses writes, pickled once into `folder`."""
    jobs_file = folder / f"workbooks-{rows}.pickle"
    if jobs_file.exists():
        return jobs_file
    from sync.config import read_settings
    from sync.pipeline import run_sync
    from sync.writers.folder import WorkbookFolder

    def keep(store: WorkbookFolder, books: Any, _audit: object) -> None:
        jobs = [store.job(books, unit)[0] for unit in [*books.units, None]]
        with jobs_file.open("wb") as out:
            pickle.dump(jobs, out, protocol=pickle.HIGHEST_PROTOCOL)
        raise _Captured

    config = write_config(generate(rows, folder), folder)
    WorkbookFolder.write = keep  # type: ignore[method-assign]
    try:
        run_sync(read_settings(config))
    except _Captured:
        return jobs_file
    sys.exit("the sync wrote no workbook")


def write_all(jobs: list, out_dir: Path) -> tuple[float, int]:
    """Every workbook written in this process: CPU seconds and total bytes."""
    from sync.templates import load_templates
    from sync.writers.xlsx import write_workbook

    templates = load_templates()
    started, size = time.process_time(), 0
    for number, job in enumerate(jobs):
        target = out_dir / f"{number}.xlsx"
        write_workbook(job.path, templates, job.sheets, job.dashboard, into=target)
        size += target.stat().st_size
    return time.process_time() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="write a cProfile of one repetition")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        with capture(args.rows, folder).open("rb") as source:
            jobs = pickle.load(source)
        rows = (row for job in jobs for sheet in job.sheets for row in sheet.rows)
        cells = sum(value is not None and value != "" for row in rows for value in row)
        figures = []
        for _ in range(max(args.repeat, 1)):
            with tempfile.TemporaryDirectory() as out:
                if args.profile:
                    profile = cProfile.Profile()
                    seconds, size = profile.runcall(write_all, jobs, Path(out))
                    profile.dump_stats(args.profile)
                else:
                    seconds, size = write_all(jobs, Path(out))
            figures.append({"cpu_seconds": round(seconds, 2), "megabytes": round(size / 1e6, 1)})
            print(json.dumps(figures[-1]), file=sys.stderr)
    print(json.dumps({"rows": args.rows, "workbooks": len(jobs), "cells": cells,
                      "runs": figures}))  # fmt: skip


if __name__ == "__main__":
    main()
