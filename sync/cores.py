"""Work shared between this process and a forked worker per other core: the rows of a source,
cleaned and checked a share at a time, and the workbooks of a sync, each rendered, checked and
written by whichever process takes it. Work that spends its time in numpy's array operations,
which let other threads run, is shared between threads instead (`in_threads`): nothing is
copied or sent back.

A worker reads this process's objects through the fork itself (the rows read, the review round,
the renderer's tables), not through pipes, and sends back only each task's result.
Tasks are taken one at a time from a counter the processes share, in the order given, so a
process that finishes early takes the next one: given largest first, no core waits long.

Each page a worker or this process writes to while they share it is copied, and reading an
object writes its reference count: between them the two end up copying every page of rows they
read, as much again as the rows. So a worker that has taken in 1.5 GiB stops after its task,
and this process forks a new one after its own next task: the copies go with the old worker,
and no more than that builds up again."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from .errors import OutputError
from .memory import shared_with_forks

_Task = TypeVar("_Task")
_Result = TypeVar("_Result")
_Item = TypeVar("_Item")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_PARENT_POLL_SECONDS = 1.0
# A worker stops once it has faulted in this much. At a million rows the writers' copies set the
# peak of the whole sync: half of what it holds as it forks them (2.3 GB) took the tree to 8.2 GB,
# this to about 7.4. A smaller run holds less, and each worker it replaces costs it time: bound
# by half of what it held, a 100,000-row sync replaced its writer three times, and its write
# stage took 13.9 to 14.1 s against 12.7 to 13.2 s with none (benchmarks/HISTORY.md).
WORKER_GROWTH_MOST = 3 << 29  # 1.5 GiB


def _poll_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Make this forked worker end when the sync that started it ends, even by kill -9: the
    kernel's parent-death signal on Linux, a thread watching the parent elsewhere. An orphaned
    worker would go on with work nobody will take (a workbook nobody will commit)."""
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


def _taking(
    tasks: Sequence[_Task],
    work: Callable[[_Task], _Result],
    taken: Any,
    may_grow: int | None = None,
) -> Iterator[tuple[int, _Result]]:
    """Do the next task nobody has taken, until none is left or this process has faulted in
    `may_grow` bytes of memory since it began: each task's index and result, as it is done."""
    start = 0 if may_grow is None else _faulted_in()
    while may_grow is None or _faulted_in() - start <= may_grow:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(tasks):
            return
        yield index, work(tasks[index])


def _faulted_in() -> int:
    """Bytes of memory this process has touched for the first time since it began: new pages
    and its copies of pages shared with another process (minor page faults). Only where the
    system forks, so `resource` is there too."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt * mmap.PAGESIZE


def _stop_taking(tasks: Sequence[object], taken: Any) -> None:
    with taken.get_lock():
        taken.value = len(tasks)


# What a worker sends: a task's index and result, then, last, None and the error that stopped
# it (None when it stopped for want of tasks or because it grew).
_Message = tuple[int, Any] | tuple[None, BaseException | None]


def _worker(
    tasks: Sequence[_Task],
    work: Callable[[_Task], _Result],
    taken: Any,
    report: Connection,
    parent: int,
    may_grow: int,
) -> None:
    """A forked worker: take tasks and send back each result as it is done, by a thread, so
    that the next task is under way while the parent, busy with its own, has yet to take it."""
    die_with_parent(parent)
    outbox: queue.SimpleQueue[_Message] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, report, tasks, taken))
    sender.start()
    error: BaseException | None = None
    try:
        for done in _taking(tasks, work, taken, may_grow=may_grow):
            outbox.put(done)
    except Exception as exc:  # sent to the parent, which raises it
        _stop_taking(tasks, taken)  # the other processes take no new task
        error = exc
    outbox.put((None, error))
    sender.join()
    report.close()


def _send_all(
    outbox: queue.SimpleQueue[_Message], report: Connection, tasks: Sequence[object], taken: Any
) -> None:
    while True:
        message = outbox.get()
        try:
            report.send(message)
        except Exception as exc:  # a result that cannot be sent: the parent raises why
            _stop_taking(tasks, taken)
            report.send((None, exc))
            return
        if message[0] is None:
            return


def on_every_core(
    tasks: Sequence[_Task],
    work: Callable[[_Task], _Result],
    worker_growth: int = WORKER_GROWTH_MOST,
    each: Callable[[_Task, _Result], Any] | None = None,
) -> list[Any]:
    """`work` done once for each task, on every core where the system can fork; the results in
    the order of the tasks. `each(task, result)`, if given, is done here to each result as it
    comes in, between this process's own tasks, and what it returns is given instead: a
    worker's results are then finished while the workers go on, not all after them.
    A worker's error is raised here once every worker has stopped; an error here stops the
    workers at once (kill -9 included: they die with this process). A worker that has taken in
    `worker_growth` bytes is replaced by a new one."""
    finish = each or _as_done
    workers = min(os.cpu_count() or 1, len(tasks))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [finish(task, work(task)) for task in tasks]
    context = multiprocessing.get_context("fork")
    taken = context.Value("q", 0)
    running: list[tuple[BaseProcess, Connection]] = []
    done: dict[int, Any] = {}
    failures: list[BaseException] = []
    with shared_with_forks():

        def start_worker() -> None:
            receiver, sender = context.Pipe(duplex=False)
            _widen(receiver)
            args = (tasks, work, taken, sender, os.getpid(), worker_growth)
            process = context.Process(target=_worker, args=args)
            process.start()
            sender.close()
            running.append((process, receiver))

        def take_in(to_the_end: bool) -> None:
            """The results the workers have sent so far (`to_the_end`: all they will send),
            each finished here; a worker that stopped for growth, with tasks left, is
            replaced."""
            for process, pipe in list(running):
                while to_the_end or pipe.poll():
                    try:
                        index, item = pipe.recv()
                    except EOFError:
                        index, item = None, _stopped(process)
                    if index is not None:
                        done[index] = finish(tasks[index], item)
                        continue
                    process.join()
                    running.remove((process, pipe))
                    if item is not None:
                        failures.append(item)
                    elif not to_the_end and not failures and _left(tasks, taken):
                        start_worker()
                    break

        try:
            for _ in range(workers - 1):
                start_worker()
            # One task at a time, so that what the workers sent is taken in between.
            for index, result in _taking(tasks, work, taken):
                done[index] = finish(tasks[index], result)
                take_in(to_the_end=False)
            take_in(to_the_end=True)
        finally:
            _stop_taking(tasks, taken)
            for process, _ in running:
                if process.is_alive():
                    process.kill()
                    process.join()
    if failures:
        raise failures[0]
    return [done[index] for index in range(len(tasks))]


@contextmanager
def beside(work: Callable[[], _Result], fork: bool = True) -> Iterator[Callable[[], _Result]]:
    """`work` done by a forked worker while this process goes on with something else; the
    function given waits for its result (and raises its error), as often as it is asked. A
    worker whose result was never asked for is stopped as the block ends. Without `fork`, or
    where the system has one core or cannot fork, `work` is done here before the block: either
    way it sees this process's objects as they were when the block began."""
    received: list[tuple[bool, Any]] = []

    def outcome() -> _Result:
        done, value = received[0]
        if not done:
            raise value
        return value

    forks = (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()
    if not (fork and forks):
        received.append(_outcome_of(work))
        yield outcome
        return
    context = multiprocessing.get_context("fork")
    with shared_with_forks():
        receiver, sender = context.Pipe(duplex=False)
        _widen(receiver)
        process = context.Process(target=_work_alone, args=(work, sender, os.getpid()))
        process.start()
        sender.close()

        def sent() -> _Result:
            if not received:
                try:
                    received.append(receiver.recv())
                except EOFError:
                    received.append((False, _stopped(process)))
                process.join()
            return outcome()

        try:
            yield sent
        finally:
            if process.is_alive():
                process.kill()
                process.join()
            receiver.close()


def _outcome_of(work: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, what `work` gives) or (False, the error that stopped it)."""
    try:
        return True, work()
    except Exception as exc:
        return False, exc


def _work_alone(work: Callable[[], Any], report: Connection, parent: int) -> None:
    """A forked worker of `beside`: its one result, or the error that stopped it."""
    die_with_parent(parent)
    message = _outcome_of(work)  # an error is sent to the parent, which raises it
    try:
        report.send(message)
    except Exception as exc:  # a result that cannot be sent: the parent raises why
        report.send((False, exc))
    report.close()


def _stopped(process: BaseProcess) -> OutputError:
    return OutputError(
        f"a worker process stopped unexpectedly ({process.pid}); "
        "the system may have run out of memory"
    )


# A pipe's buffer, at most (Linux gives 1 MiB to anyone by default; 64 kB is its own default).
_PIPE_BYTES = 1 << 20


def _widen(pipe: Connection) -> None:
    """A pipe that takes a result a MiB at a time. At 64 kB a time, the worker's sending
    thread waited for the interpreter's lock, held by its working thread, before each piece:
    at a million rows the writers took 7 s longer. Where the system does not allow it, the
    pipe stays as it is."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _as_done(task: object, result: _Result) -> _Result:
    return result


def in_threads(tasks: Sequence[_Task], work: Callable[[_Task], _Result]) -> list[_Result]:
    """`work` done once for each task by a thread per core, the results in the order of the
    tasks; the first error is raised here. Only work that lets other threads run (numpy's
    operations on whole arrays) gains by it: Python code takes turns on one core."""
    threads = min(os.cpu_count() or 1, len(tasks))
    if threads < 2:
        return [work(task) for task in tasks]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, tasks))


# Pieces made ahead of the caller at most, and how often a waiting maker looks whether the caller
# has stopped taking them.
_READ_AHEAD_DEPTH = 8
_READ_AHEAD_POLL_SECONDS = 0.05


def read_ahead(items: Iterator[_Item], depth: int = _READ_AHEAD_DEPTH) -> Iterator[_Item]:
    """The items of `items`, in order, made by a thread while the caller works on the ones
    before: at most `depth` wait. It gains when one side spends its time outside Python, which
    lets the other run: a file unzipped while the caller decodes it, lines encoded while the
    caller compresses them (zlib). Its error is raised here, in its place among the items; the
    thread stops when the caller stops taking them."""
    handed: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def hand(done: bool, item: Any) -> bool:
        while not stopped.is_set():
            try:
                handed.put((done, item), timeout=_READ_AHEAD_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not hand(False, item):
                    return
        except BaseException as exc:  # raised in the caller's thread, where it belongs
            hand(True, exc)
            return
        hand(True, None)

    maker = threading.Thread(target=make, name="read-ahead", daemon=True)
    maker.start()
    try:
        while True:
            done, item = handed.get()
            if done:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stopped.set()
        maker.join()


def _left(tasks: Sequence[object], taken: Any) -> bool:
    with taken.get_lock():
        return bool(taken.value < len(tasks))


# Rows cleaned or checked per task: enough that a task's start costs nothing next to it, few
# enough that the cores finish about together.
ROWS_PER_SHARE = 10_000


def shares_of(count: int, size: int = ROWS_PER_SHARE) -> list[range]:
    """The positions of `count` items, `size` at a time, in order: one task each."""
    return [range(start, min(start + size, count)) for start in range(0, count, size)]
