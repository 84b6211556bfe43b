"""End-to-end benchmark: the full sync against the plain pandas script an analyst would write.

    python benchmarks/bench_sync.py [--rows 100000] [--keep DIR]

Generates N responses with the bundled example's generator into one Form-shaped .xlsx file,
then runs, each in a fresh process so peak memory is its own:
  1. `sangkien sync` (read, validate, de-duplicate, resolve, tally, write every workbook),
  2. the plain pandas script (read_excel, drop_duplicates, groupby, to_excel per superior union).
Prints seconds, rows per second, peak memory and the per-stage times of the sync, then runs the
sync again on the same responses and prints what that unchanged sync rewrote and cost.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def generate(rows: int, folder: Path) -> Path:
    from examplegen import generate_responses, write_responses_xlsx

    started = time.perf_counter()
    generated = generate_responses(REPO / "examples/dien-bien-2021/units.csv", rows, seed=7)
    path = folder / "responses.xlsx"
    write_responses_xlsx(generated.rows, path)
    print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s -> {path.name}")
    return path


def write_config(source: Path, folder: Path) -> Path:
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config["units"] = str(REPO / config["units"])
    config["sources"] = [{"name": "bench", "kind": "xlsx", "path": str(source)}]
    config["output"] = {"kind": "xlsx", "dir": str(folder / "out-sync")}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run_sync_job(config: str) -> dict:
    from sync.config import read_settings
    from sync.pipeline import run_sync

    started = time.perf_counter()
    result = run_sync(read_settings(Path(config)))
    return {
        "seconds": time.perf_counter() - started,
        "stages": result.report.timings,
        "files": len(result.written),
    }


def run_pandas_job(source: str) -> dict:
    """What an analyst would write: read, drop exact repeats, count, one file per superior."""
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_excel(source)
    frame = frame.drop_duplicates(subset=["Họ và tên", "Tên sáng kiến", "Mô tả sáng kiến"])
    counts = frame.groupby(["Công đoàn cấp trên trực tiếp", "Công đoàn cơ sở"]).size()
    out = Path(source).parent / "out-pandas"
    out.mkdir(exist_ok=True)
    files = 0
    for index, (superior, rows) in enumerate(frame.groupby("Công đoàn cấp trên trực tiếp")):
        with pd.ExcelWriter(out / f"{index}.xlsx") as writer:
            rows.to_excel(writer, sheet_name="Sáng kiến", index=False)
            counts.loc[superior].to_frame("Số sáng kiến").to_excel(writer, sheet_name="Tổng hợp")
        files += 1
    return {"seconds": time.perf_counter() - started, "files": files}


def child(kind: str, argument: str) -> None:
    job = run_sync_job if kind == "sync" else run_pandas_job
    figures = job(argument)
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The workbook writers are forked processes; their peak is reported apart from the parent's.
    figures["workers_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(figures))


def measure(kind: str, argument: str) -> dict:
    command = [sys.executable, __file__, "--child", kind, argument]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def unchanged_sync(config: Path, first: dict) -> str:
    """The same sync again, nothing changed: how many workbooks it rewrites (none expected),
    its time against the first sync's, and the size of the state it keeps."""
    again = measure("sync", str(config))
    out = Path(yaml.safe_load(config.read_text(encoding="utf-8"))["output"]["dir"])
    state_mb = (out / "review-state.json").stat().st_size / 1e6
    rewritten = again["files"] - 1  # the JSON report is written every time
    return (
        f"unchanged sync: {rewritten} workbook(s) rewritten, {again['seconds']:.1f} s "
        f"({again['seconds'] / first['seconds']:.0%} of the first), "
        f"review-state.json {state_mb:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        source = generate(args.rows, folder)
        config = write_config(source, folder)
        ours = measure("sync", str(config))
        plain = measure("pandas", str(source))
        unchanged = unchanged_sync(config, ours)
    print(f"\nmachine: {platform.machine()}, {platform.processor() or 'cpu'}, "
          f"python {platform.python_version()}")  # fmt: skip
    print(f"{'':24}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}{'worker MB':>11}{'files':>8}")
    for name, figures in (("sangkien sync", ours), ("plain pandas script", plain)):
        rate = args.rows / figures["seconds"]
        print(f"{name:24}{figures['seconds']:>10.1f}{rate:>12,.0f}{figures['peak_mb']:>10.0f}"
              f"{figures['workers_mb']:>11.0f}{figures['files']:>8}")  # fmt: skip
    print(f"\nsync / pandas time: {ours['seconds'] / plain['seconds']:.2f}")
    print("sync stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in ours["stages"].items()))
    print(unchanged)


if __name__ == "__main__":
    main()
