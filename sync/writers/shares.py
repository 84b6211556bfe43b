"""Work shared between this process and a forked worker per other core: the workbooks of a
sync, each rendered, checked and written by whichever process takes it.

A worker reads this process's objects through the fork itself (the checked rows, the review
round, the renderer's tables), not through pipes, and sends back only each task's small result.
Tasks are taken one at a time from a counter the processes share, in the order given, so a
process that finishes early takes the next one: given largest first, no core waits long."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from ..errors import OutputError
from ..memory import shared_with_forks

_Task = TypeVar("_Task")
_Result = TypeVar("_Result")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_PARENT_POLL_SECONDS = 1.0


def _poll_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Make this forked worker end when the sync that started it ends, even by kill -9: the
    kernel's parent-death signal on Linux, a thread watching the parent elsewhere. An orphaned
    worker would go on writing a workbook nobody will commit."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        armed = sys.platform.startswith("linux") and (
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        )
    except (OSError, AttributeError, TypeError):
        armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_poll_parent, args=(parent,), daemon=True).start()


def _take(
    tasks: Sequence[_Task], work: Callable[[_Task], _Result], taken: Any
) -> dict[int, _Result]:
    """Do the next task nobody has taken, until none is left: task index -> result."""
    done: dict[int, _Result] = {}
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(tasks):
            return done
        done[index] = work(tasks[index])


def _stop_taking(tasks: Sequence[object], taken: Any) -> None:
    with taken.get_lock():
        taken.value = len(tasks)


def _worker(
    tasks: Sequence[_Task],
    work: Callable[[_Task], _Result],
    taken: Any,
    report: Connection,
    parent: int,
) -> None:
    """A forked worker: take tasks, then send back what it did and the error that stopped it,
    if any (the other processes then take no new task)."""
    die_with_parent(parent)
    done: dict[int, _Result] = {}
    error: BaseException | None = None
    try:
        done = _take(tasks, work, taken)
    except Exception as exc:  # sent to the parent, which raises it
        _stop_taking(tasks, taken)
        error = exc
    report.send((done, error))
    report.close()


def _collect(
    running: list[tuple[BaseProcess, Connection]], done: dict[int, _Result]
) -> list[BaseException]:
    failures: list[BaseException] = []
    for process, receiver in running:
        try:
            theirs, error = receiver.recv()
        except EOFError:
            theirs, error = (
                {},
                OutputError(f"a workbook writer stopped unexpectedly ({process.pid})"),
            )
        process.join()
        done.update(theirs)
        if error is not None:
            failures.append(error)
    return failures


def on_every_core(tasks: Sequence[_Task], work: Callable[[_Task], _Result]) -> list[_Result]:
    """`work` done once for each task, on every core where the system can fork; the results in
    the order of the tasks. A worker's error is raised here once every worker has stopped; an
    error here stops the workers at once (kill -9 included: they die with this process)."""
    workers = min(os.cpu_count() or 1, len(tasks))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(task) for task in tasks]
    context = multiprocessing.get_context("fork")
    taken = context.Value("q", 0)
    running: list[tuple[BaseProcess, Connection]] = []
    with shared_with_forks():
        try:
            for _ in range(workers - 1):
                receiver, sender = context.Pipe(duplex=False)
                args = (tasks, work, taken, sender, os.getpid())
                process = context.Process(target=_worker, args=args)
                process.start()
                sender.close()
                running.append((process, receiver))
            done = _take(tasks, work, taken)
            failures = _collect(running, done)
        finally:
            _stop_taking(tasks, taken)
            for process, _ in running:
                if process.is_alive():
                    process.kill()
                    process.join()
    if failures:
        raise failures[0]
    return [done[index] for index in range(len(tasks))]
