"""End-to-end benchmark: `sangkien sync` and `sangkien check` against the plain pandas script an
analyst would write, in paired runs.

    python benchmarks/bench_sync.py [--rows 100000] [--pairs 3] [--json] [--keep DIR]
    python benchmarks/bench_sync.py --only check        # reading and checking alone
    python benchmarks/bench_sync.py --saved             # and a sync after officers' saves

Generates N responses with the bundled example's generator into one Form-shaped .xlsx file, then
runs, round after round, each in a fresh process:
  1. `sangkien sync` (read, validate, resolve, de-duplicate, tally, write every workbook) into an
     empty output folder,
  2. the plain pandas script (read_excel, drop_duplicates, groupby, to_excel per superior union),
  3. `sangkien check` (the same stages, nothing written).
After the rounds, on the last sync's folder: two more syncs with nothing changed, then one after
five grassroots officers each nominated an initiative and saved (`nominated_sync`).
The machine is shared, so what counts is the ratio within a round (its runs are seconds apart);
the median over the rounds is printed. Peak memory is the largest sum of the memory of the
process and its children (the sync forks workbook writers) seen while it ran, sampled from /proc:
resident (RSS, pages a forked writer shares with its parent counted in each) and proportional
(PSS, each shared page once: what the tree really occupies); on a system without /proc, the
largest single process instead. 1,000,000 rows
(`--rows 1000000`) works but takes a while: not for CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
# Every run starts from the environment this benchmark was started in: importing the package
# here (to generate the responses) may set numpy's variables (`sync/cpu.py`), which the pandas
# script, run as an analyst runs it, must not inherit.
STARTING_ENVIRONMENT = dict(os.environ)
sys.path.insert(0, str(REPO))

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
SAMPLE_SECONDS = 0.05
SAMPLER_SHARE_INVERSE = 20  # the sampler waits 20 times as long as a sample took: 5 % of a core
KINDS = ("sync", "pandas", "check")


# --- the jobs, each run in its own process ------------------------------------------------------


def run_sangkien_job(config: str, write: bool) -> tuple[dict, object]:
    """`sangkien sync` (write) or `sangkien check`, timed stage by stage through the pipeline's
    progress hook, as the CLI's progress display sees them; and the sync's result, for the
    caller to hold until the process ends, as the command does."""
    from sync.config import read_settings
    from sync.pipeline import run_sync

    marks: list[tuple[str, float, float]] = []
    started = time.perf_counter()
    result = run_sync(
        read_settings(Path(config)),
        write=write,
        on_stage=lambda name: marks.append((name, time.perf_counter(), time.process_time())),
    )
    finished = (time.perf_counter(), time.process_time())
    ends = [(wall, cpu) for _, wall, cpu in marks[1:]] + [finished]
    stages: dict[str, float] = defaultdict(float)
    stages_cpu: dict[str, float] = defaultdict(float)  # this process's: not the forked writers'
    for (name, wall, cpu), (wall_end, cpu_end) in zip(marks, ends, strict=True):
        stages[name] += wall_end - wall
        stages_cpu[name] += cpu_end - cpu
    figures = {
        "seconds": finished[0] - started,
        "stages": stages,
        "stages_cpu": stages_cpu,
        "files": len(result.written),
    }
    return figures, result


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
    if kind == "pandas":
        figures = run_pandas_job(argument)
    else:
        figures, _held_to_the_end = run_sangkien_job(argument, write=kind == "sync")
    own = resource.getrusage(resource.RUSAGE_SELF)
    forked = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["cpu_seconds"] = own.ru_utime + own.ru_stime + forked.ru_utime + forked.ru_stime
    # Linux reports kB: the largest single process, the fallback when /proc cannot be sampled.
    figures["largest_process_mb"] = max(own.ru_maxrss, forked.ru_maxrss) / 1024
    print(json.dumps(figures), flush=True)
    if kind != "pandas":  # as the installed `sangkien` ends (`sync.cli.main`): nothing freed
        os._exit(0)


# --- measuring a job from outside: wall time and the process tree's memory ----------------------


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process /proc shows."""
    found: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def _pss_bytes(pid: int) -> int:
    """Proportional set size: each page shared with other processes counted as its share."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_memory_bytes(root: int) -> tuple[int, int]:
    """Resident memory of `root` and all its descendants: summed as each reports it (pages the
    forked writers share with their parent counted in each) and proportionally (each shared
    page once), the memory the tree really occupies."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid, parent in _parents().items():
        children[parent].append(pid)
    rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children[pid])
        try:
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
            pss += _pss_bytes(pid)
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
    return rss, pss


class TreeMemory:
    """Samples a process tree's memory in a thread until stopped; keeps the peaks."""

    def __init__(self, pid: int):
        self.pid, self.peak_rss, self.peak_pss = pid, 0, 0
        self.available = Path("/proc/self/smaps_rollup").exists()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        pause = SAMPLE_SECONDS
        while not self._stop.wait(pause):
            started = time.perf_counter()
            rss, pss = tree_memory_bytes(self.pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            # Reading a large process's proportional memory walks all its pages: at a million
            # rows, sampling every 50 ms would take half a core from the job it measures.
            pause = max(SAMPLE_SECONDS, SAMPLER_SHARE_INVERSE * (time.perf_counter() - started))

    def __enter__(self) -> TreeMemory:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()


def measure(kind: str, argument: str) -> dict:
    started = time.perf_counter()
    command = [sys.executable, __file__, "--child", kind, argument]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=STARTING_ENVIRONMENT
    )
    with TreeMemory(process.pid) as memory:
        out, err = process.communicate()
    if process.returncode != 0:
        sys.exit(f"{kind} run failed (exit {process.returncode}): {err.strip()[-500:]}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["wall_seconds"] = time.perf_counter() - started  # interpreter start and imports too
    # Sampling can miss a short peak; the tree is never smaller than its largest process.
    figures["peak_tree_mb"] = max(memory.peak_rss / 2**20, figures["largest_process_mb"])
    figures["peak_tree_pss_mb"] = max(memory.peak_pss / 2**20, figures["largest_process_mb"])
    return figures


# --- what the sync wrote ------------------------------------------------------------------------


def cells_per_tier(out_dir: Path) -> dict[str, int]:
    """Cells holding a value in every workbook written, by the output folder's first level (one
    folder per tier, the public lookup a file of its own)."""
    counts: Counter[str] = Counter()
    for book in sorted(out_dir.rglob("*.xlsx")):
        tier = book.relative_to(out_dir).parts[0]
        with zipfile.ZipFile(book) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    xml = archive.read(name)
                    counts[tier] += xml.count(b"<v>") + xml.count(b"<is>")
    return dict(counts)


def _figures(run: dict) -> dict:
    """A measured sync's time, peak memory and stages, rounded for the summary."""
    return {
        "wall_seconds": round(run["wall_seconds"], 1),
        "cpu_seconds": round(run["cpu_seconds"], 1),
        "peak_tree_pss_mb": round(run["peak_tree_pss_mb"]),
        "stages": {name: round(t, 2) for name, t in run.get("stages", {}).items()},
    }


def _stamps(out_dir: Path) -> dict[Path, int]:
    return {book: book.stat().st_mtime_ns for book in out_dir.rglob("*.xlsx")}


def _rewritten(before: dict[Path, int]) -> int:
    return sum(1 for book, mtime in before.items() if book.stat().st_mtime_ns != mtime)


def unchanged_sync(config: Path, out_dir: Path) -> dict:
    """The same sync twice more, nothing changed: the first of them finds the inputs of the
    sync before and keeps the checked responses, the second takes them from there. The
    workbooks they rewrite (none expected), their times, and the size of what they keep."""
    before = _stamps(out_dir)
    keeping = measure("sync", str(config))
    again = measure("sync", str(config))
    return {
        "workbooks": len(before),
        "workbooks_rewritten": _rewritten(before),
        "keeping_wall_seconds": round(keeping["wall_seconds"], 1),
        "keeping_cpu_seconds": round(keeping["cpu_seconds"], 1),
        **_figures(again),
        "state_mb": round((out_dir / "review-state.json").stat().st_size / 1e6, 1),
        "checked_mb": round((out_dir / "checked-responses.json.gz").stat().st_size / 1e6, 1),
    }


NOMINATING_UNITS = 5


def _nominate_first(book: Path) -> None:
    """A grassroots officer passes and nominates the first initiative of their list, and saves
    the workbook in a spreadsheet program (openpyxl saves it whole)."""
    from tests.officer import edit, rows_by_id
    from tests.review_model import NOMINATION

    edit(book, next(iter(rows_by_id(book))), NOMINATION)


def nominated_sync(config: Path, out_dir: Path) -> dict:
    """The likeliest scheduled sync while officers review: in a settled folder (after
    `unchanged_sync`), a few grassroots officers each nominate one initiative and save. Their
    workbooks are read back, and theirs, their superiors', the province's and the public
    lookup are written again."""
    from sync.templates import load_templates

    folder = out_dir / load_templates().labels.folder.word("grassroots")
    books = sorted(folder.glob("*.xlsx"), key=lambda book: book.stat().st_size)
    chosen = [books[i * len(books) // NOMINATING_UNITS] for i in range(NOMINATING_UNITS)]
    for book in chosen:
        _nominate_first(book)
    before = _stamps(out_dir)
    after = measure("sync", str(config))
    return {
        "workbooks_saved": len(chosen),
        "workbooks_rewritten": _rewritten(before),
        **_figures(after),
    }


# Further figures measured on the generated campaign after the rounds, by name. The figure of a
# sync that finds nothing changed (files rewritten, seconds) belongs here: it takes the config
# and the output folder of a finished sync and returns its figures.
FURTHER_FIGURES: dict[str, Callable[[Path, Path], dict]] = {
    "unchanged_sync": unchanged_sync,
    "nominated_sync": nominated_sync,  # on the folder the unchanged syncs settled
}


def _save_again(book: Path) -> None:
    """A workbook opened and saved whole, as an officer's spreadsheet program does: every part
    written anew, its text in one shared strings table, stamped as modified now."""
    import openpyxl

    openpyxl.load_workbook(book).save(book)


def saved_sync(config: Path, out_dir: Path) -> dict:
    """A sync after every unit's workbook was opened and saved: each is read back, the review
    and what the officers added, before it is written again."""
    books = sorted(out_dir.glob("*/*.xlsx"), key=lambda book: -book.stat().st_size)
    started = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        list(pool.map(_save_again, books))
    saving = time.perf_counter() - started
    after = measure("sync", str(config))
    return {
        "workbooks_saved": len(books),
        "saving_seconds": round(saving, 1),
        **_figures(after),
    }


# --- the run ------------------------------------------------------------------------------------


def generate(rows: int, folder: Path) -> Path:
    """The responses file, generated unless a kept folder already holds one of this size."""
    from examplegen import generate_responses, write_responses_xlsx

    path = folder / f"responses-{rows}.xlsx"
    if path.exists():
        return path
    started = time.perf_counter()
    generated = generate_responses(REPO / "examples/dien-bien-2021/units.csv", rows, seed=7)
    write_responses_xlsx(generated.rows, path)
    print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s -> {path.name}",
          file=sys.stderr)  # fmt: skip
    return path


def write_config(source: Path, folder: Path) -> Path:
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config["units"] = str(REPO / config["units"])
    config["sources"] = [{"name": "bench", "kind": "xlsx", "path": str(source)}]
    config["output"] = {"kind": "xlsx", "dir": str(folder / "out-sync")}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run_round(kinds: tuple[str, ...], source: Path, config: Path) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for kind in kinds:
        if kind == "sync":
            shutil.rmtree(config.parent / "out-sync", ignore_errors=True)  # a first sync each time
        figures[kind] = measure(kind, str(source if kind == "pandas" else config))
    return figures


MEMORY_AND_TIME = (
    "wall_seconds",
    "cpu_seconds",
    "peak_tree_mb",
    "peak_tree_pss_mb",
    "largest_process_mb",
)


def _median(rounds: list[dict[str, dict]], kind: str, key: str) -> float:
    return statistics.median(r[kind][key] for r in rounds)


def summarise(rounds: list[dict[str, dict]], kinds: tuple[str, ...]) -> dict:
    summary: dict = {"runs": {}, "ratios": {}}
    for kind in kinds:
        stage_names = dict.fromkeys(s for r in rounds for s in r[kind].get("stages", {}))
        summary["runs"][kind] = {key: _median(rounds, kind, key) for key in MEMORY_AND_TIME}
        for key in ("stages", "stages_cpu"):
            summary["runs"][kind][key] = {
                name: statistics.median(r[kind][key].get(name, 0.0) for r in rounds)
                for name in stage_names
            }
    for kind in (k for k in kinds if k != "pandas"):
        summary["ratios"][kind] = {
            measure: statistics.median(r[kind][key] / r["pandas"][key] for r in rounds)
            for measure, key in (("wall", "wall_seconds"), ("cpu", "cpu_seconds"))
        }
    return summary


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "load_average_at_end": load,
    }


def print_summary(result: dict, rows: int) -> None:
    box = result["machine"]
    load = f"{box['load_average_at_end'][0]:.1f}" if box["load_average_at_end"] else "?"
    print(f"machine: {box['cpus']} CPUs, {box['memory_gb']} GB, {box['machine']}, "
          f"Python {box['python']}; load average at the end {load}")  # fmt: skip
    print(f"{rows:,} rows, {result['pairs']} rounds; medians")
    print(f"{'':22}{'wall s':>9}{'CPU s':>9}{'rows/s':>10}{'tree RSS MB':>13}"
          f"{'tree PSS MB':>13}{'largest MB':>12}")  # fmt: skip
    for kind, figures in result["runs"].items():
        rate = rows / figures["wall_seconds"]
        print(f"{kind:22}{figures['wall_seconds']:>9.1f}{figures['cpu_seconds']:>9.1f}"
              f"{rate:>10,.0f}{figures['peak_tree_mb']:>13.0f}{figures['peak_tree_pss_mb']:>13.0f}"
              f"{figures['largest_process_mb']:>12.0f}")  # fmt: skip
    for kind, ratio in result["ratios"].items():
        print(f"{kind} / pandas (median of paired ratios): wall {ratio['wall']:.2f}, "
              f"CPU {ratio['cpu']:.2f}")  # fmt: skip
    for kind, figures in result["runs"].items():
        for key, label in (("stages", "wall"), ("stages_cpu", "CPU")):
            if figures[key]:
                stages = ", ".join(f"{k} {v:.2f}" for k, v in figures[key].items())
                print(f"{kind} stages ({label} s): {stages}")
    if result.get("cells_per_tier"):
        cells = ", ".join(f"{k} {v:,}" for k, v in result["cells_per_tier"].items())
        print(f"cells written per tier: {cells}")
    for name, figures in result.get("further", {}).items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=3, help="rounds of paired runs (>= 1)")
    parser.add_argument("--only", choices=("sync", "check"), help="leave the other command out")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument(
        "--saved",
        action="store_true",
        help="also time a sync after every unit's workbook was saved again (openpyxl saves "
        "them: minutes at 100,000 rows, more memory than 24 GB at 1,000,000)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args()


def bench(args: argparse.Namespace, folder: Path) -> dict:
    kinds = tuple(k for k in KINDS if args.only in (None, k) or k == "pandas")
    source = generate(args.rows, folder)
    config = write_config(source, folder)
    rounds = []
    for number in range(1, max(args.pairs, 1) + 1):
        rounds.append(run_round(kinds, source, config))
        print(f"round {number}: " + ", ".join(f"{k} {f['wall_seconds']:.1f} s"
              for k, f in rounds[-1].items()), file=sys.stderr)  # fmt: skip
    result = {"rows": args.rows, "pairs": len(rounds), **summarise(rounds, kinds)}
    if "sync" in kinds:
        out_dir = config.parent / "out-sync"
        result["cells_per_tier"] = cells_per_tier(out_dir)
        result["further"] = {name: f(config, out_dir) for name, f in FURTHER_FIGURES.items()}
        if args.saved:
            result["further"]["saved_sync"] = saved_sync(config, out_dir)
    result["machine"] = machine()
    return result


def main() -> None:
    args = parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        result = bench(args, folder)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_summary(result, args.rows)


if __name__ == "__main__":
    main()
