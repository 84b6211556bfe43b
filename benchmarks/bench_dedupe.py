"""Throughput of sync.dedupe.find_duplicates on generated responses; not part of the test suite.

    python benchmarks/bench_dedupe.py               # 100,000 and 1,000,000 rows
    python benchmarks/bench_dedupe.py 250000 --seed 7

The rows come from the labelled generator of tests/test_dedupe.py: realistic initiatives, a third
of them resubmitted by their author and a sixth copied by others. Generating them is not timed.
Prints the seconds (wall, and CPU: rapidfuzz scores on every core) and rows per second of each
size, the memory the de-duplication took at its peak, what was found, and, as the generator knows
the answer, the precision and recall of both kinds of pair.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
STATUS = Path("/proc/self/status")

ROWS_PER_INITIATIVE = (
    2.03  # what the generator yields on average, resubmissions and copies included
)


def reset_peak_memory() -> int | None:
    """Restart the process's resident-memory high-water mark (Linux) and return the resident
    memory now, in bytes; None where the system cannot tell."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_bytes("VmRSS")


def peak_memory() -> int:
    """The process's resident-memory high-water mark since `reset_peak_memory`, in bytes."""
    return _status_bytes("VmHWM")


def _status_bytes(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # in kB
    raise ValueError(f"{STATUS} has no {field}")


def bench(rows: int, seed: int) -> None:
    from sync.config import DedupeSettings
    from sync.dedupe import find_duplicates
    from tests.test_dedupe import generate_corpus, precision_recall, similar_pairs

    started = time.perf_counter()
    corpus = generate_corpus(max(1, round(rows / ROWS_PER_INITIATIVE)), seed=seed)
    responses = corpus.responses
    print(f"generated {len(responses):,} rows in {time.perf_counter() - started:.0f} s", flush=True)
    gc.collect()
    resident = reset_peak_memory()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = find_duplicates(responses, DedupeSettings())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    # What de-duplicating added to the memory the rows already held, at its peak.
    memory = "" if resident is None else f"peak +{(peak_memory() - resident) / 2**20:,.0f} MB  "
    superseded = set(result.superseded.items())
    similar = similar_pairs(result)
    sup_p, sup_r = precision_recall(superseded, corpus.superseded)
    sim_p, sim_r = precision_recall(similar, corpus.similar)
    print(
        f"{len(responses):>9,} rows  {elapsed:6.1f} s ({cpu:.1f} s CPU)  "
        f"{len(responses) / elapsed:>8,.0f} rows/s  {memory}"
        f"superseded {len(superseded):,} (P {sup_p:.3f} R {sup_r:.3f})  "
        f"similar pairs {len(similar):,} (P {sim_p:.3f} R {sim_r:.3f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=75_000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    for rows in args.rows:
        bench(rows, args.seed)


if __name__ == "__main__":
    main()
