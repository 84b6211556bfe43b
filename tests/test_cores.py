"""Work shared with forked workers and threads: every task done once, results in order, errors
raised."""

from __future__ import annotations

import mmap
import multiprocessing
import os
import threading
import time
from functools import partial

import pytest

from sync.cores import beside, in_threads, on_every_core, read_ahead
from sync.errors import OutputError

FORKS = os.cpu_count() and os.cpu_count() > 1 and "fork" in multiprocessing.get_all_start_methods()


def _square_where(task: int) -> tuple[int, int]:
    time.sleep(0.02)  # long enough for a forked worker to start and take its share
    return task * task, os.getpid()


def test_every_task_is_done_once_and_its_result_comes_back_in_order() -> None:
    results = on_every_core(list(range(40)), _square_where)
    assert [square for square, _ in results] == [task * task for task in range(40)]


@pytest.mark.skipif(not FORKS, reason="one core, or no fork: everything runs here")
def test_a_forked_worker_takes_tasks_too() -> None:
    processes = {pid for _, pid in on_every_core(list(range(40)), _square_where)}
    assert os.getpid() in processes and len(processes) > 1


def _finished_here(task: int, result: tuple[int, int]) -> tuple[int, int, int, int]:
    square, worked_in = result
    return task, square, worked_in, os.getpid()


def test_each_result_is_finished_here_and_given_in_the_order_of_the_tasks() -> None:
    results = on_every_core(list(range(40)), _square_where, each=_finished_here)
    assert [(task, square) for task, square, _, _ in results] == [(t, t * t) for t in range(40)]
    assert {finished_in for *_, finished_in in results} == {os.getpid()}
    if FORKS:
        assert len({worked_in for _, _, worked_in, _ in results}) > 1


def _megabytes(task: int) -> bytes:
    time.sleep(0.02)
    return bytes([task]) * (3 << 20)


def test_results_of_megabytes_come_back_whole_and_in_order() -> None:
    results = on_every_core(list(range(8)), _megabytes)
    assert [(len(result), result[:1], result[-1:]) for result in results] == [
        (3 << 20, bytes([task]), bytes([task])) for task in range(8)
    ]


def _unsendable_in_a_worker(here: int):
    def work(task: int) -> object:
        time.sleep(0.02)
        return task if os.getpid() == here else (lambda: task)  # a lambda does not pickle

    return work


@pytest.mark.skipif(not FORKS, reason="one core, or no fork: nothing is sent")
def test_a_result_a_worker_cannot_send_back_is_raised_here_with_why() -> None:
    with pytest.raises(Exception, match="pickle"):
        on_every_core(list(range(20)), _unsendable_in_a_worker(os.getpid()))


def _fails_at(bad: int):
    def work(task: int) -> int:
        time.sleep(0.01)
        if task == bad:
            raise OutputError(f"task {task}: cannot write")
        return task

    return work


@pytest.mark.parametrize("bad", [0, 7, 19])
def test_an_error_in_any_process_is_raised_here(bad: int) -> None:
    with pytest.raises(OutputError, match=f"task {bad}: cannot write"):
        on_every_core(list(range(20)), _fails_at(bad))


def test_no_task_no_worker() -> None:
    assert on_every_core([], _square_where) == []


def _grow_then_square(task: int) -> tuple[int, int]:
    # 4 MB of pages of this process's own, each touched for the first time: mapped afresh, not
    # taken from a heap whose pages a large test process may already hold.
    with mmap.mmap(-1, 4 << 20) as written:
        written.write(b"x" * (4 << 20))
    # Long enough that this process is not through every task before a new worker has started:
    # forking a test process that has grown large takes a tenth of a second.
    time.sleep(0.05)
    return task * task, os.getpid()


@pytest.mark.skipif(not FORKS, reason="one core, or no fork: everything runs here")
def test_a_worker_that_grew_is_replaced_and_no_task_is_lost() -> None:
    results = on_every_core(list(range(24)), _grow_then_square, worker_growth=1 << 20)
    assert [square for square, _ in results] == [task * task for task in range(24)]
    workers = {pid for _, pid in results} - {os.getpid()}
    assert len(workers) > 1


def _where_and_when() -> tuple[int, float]:
    time.sleep(0.2)
    return os.getpid(), time.perf_counter()


@pytest.mark.parametrize("fork", [True, False])
def test_work_beside_gives_its_result_when_asked(fork: bool) -> None:
    started = time.perf_counter()
    with beside(_where_and_when, fork=fork) as result:
        time.sleep(0.5)  # this process's own work, meanwhile
        asked = time.perf_counter()
        worked_in, done = result()
        assert result() == (worked_in, done)  # asked again: the same result, not the work again
    assert done < asked  # as things were when the block began, forked or not
    if fork and FORKS:
        assert worked_in != os.getpid()
        assert time.perf_counter() - started < 0.65  # both at once
    else:
        assert worked_in == os.getpid()


@pytest.mark.skipif(not FORKS, reason="one core, or no fork: everything runs here")
def test_work_beside_raises_its_error_here_and_a_result_it_cannot_send() -> None:
    with (
        pytest.raises(OutputError, match="cannot write"),
        beside(partial(_fails_at(0), 0)) as result,
    ):
        result()
    with pytest.raises(Exception, match="pickle"), beside(lambda: lambda: 1) as result:
        result()


@pytest.mark.skipif(not FORKS, reason="one core, or no fork: nothing is forked")
def test_work_beside_never_asked_for_is_stopped() -> None:
    with beside(lambda: time.sleep(60)):
        workers = multiprocessing.active_children()
    assert workers and not any(process.is_alive() for process in workers)


def _square_on_thread(task: int) -> tuple[int, int]:
    time.sleep(0.02)  # the GIL is let go while waiting, as numpy lets it go while working
    return task * task, threading.get_ident()


def test_threads_do_every_task_and_give_the_results_in_order() -> None:
    results = in_threads(list(range(20)), _square_on_thread)
    assert [square for square, _ in results] == [task * task for task in range(20)]
    if (os.cpu_count() or 1) > 1:
        assert len({thread for _, thread in results}) > 1
    assert in_threads([], _square_on_thread) == []


@pytest.mark.parametrize("bad", [0, 7, 19])
def test_an_error_in_a_thread_is_raised_here(bad: int) -> None:
    with pytest.raises(OutputError, match=f"task {bad}: cannot write"):
        in_threads(list(range(20)), _fails_at(bad))


def _counted(made: list[int], last: int, bad: int | None = None):
    for item in range(last):
        if item == bad:
            raise OutputError(f"piece {item}: cannot read")
        made.append(item)
        yield item


def test_read_ahead_gives_every_item_in_order_and_makes_at_most_depth_ahead() -> None:
    made: list[int] = []
    taken = []
    for item in read_ahead(_counted(made, 50), depth=3):
        time.sleep(0.002)  # the maker runs ahead while the caller works
        # What was made but not yet taken waits in the queue, or is about to.
        assert len(made) - len(taken) <= 3 + 2
        taken.append(item)
    assert taken == list(range(50))


def test_read_ahead_raises_the_makers_error_in_its_place() -> None:
    taken = []
    with pytest.raises(OutputError, match="piece 7: cannot read"):
        for item in read_ahead(_counted([], 20, bad=7)):
            taken.append(item)
    assert taken == list(range(7))


def test_read_ahead_stops_its_thread_when_the_caller_stops_taking() -> None:
    before = threading.active_count()
    made: list[int] = []
    items = read_ahead(_counted(made, 10_000), depth=2)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert threading.active_count() == before
    assert len(made) < 10
