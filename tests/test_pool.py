"""The project's worker pool (core.pool): start method, one thread per numeric library,
SIGINT left to the parent, results in submission order, a crash fails only its task,
Ctrl-C cancels and leaves no process behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import pool
from core.errors import InvalidParameterError

ROOT = Path(__file__).resolve().parents[1]


# Task functions: module level, so that workers can unpickle them.
def square_after(x, delay):
    time.sleep(delay)
    return x * x


def worker_state():
    import numpy  # noqa: F401  (loads the BLAS, so threadpoolctl sees it)
    from threadpoolctl import threadpool_info

    return {"pid": os.getpid(),
            "sigint_ignored": signal.getsignal(signal.SIGINT) is signal.SIG_IGN,
            "env": {name: os.environ.get(name) for name in pool.THREAD_VARIABLES},
            "marker": os.environ.get("LOGITREG_POOL_TEST"),
            "threads": sorted({info["num_threads"] for info in threadpool_info()}),
            "start_method": __import__("multiprocessing").get_start_method(allow_none=True)}


def die_at(x, bad):
    if x == bad:
        os._exit(3)  # like a segfault or the OOM killer
    time.sleep(0.02)
    return x


def fail():
    raise ValueError("task failed")


def test_policy_is_forkserver_where_available_never_fork():
    import multiprocessing

    expected = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    assert pool.start_method() == expected != "fork"
    with pytest.raises(InvalidParameterError, match="'nonsense'"):
        pool.start_method("nonsense")


def test_results_in_submission_order_with_progress():
    delays = [0.3, 0.0, 0.2, 0.0, 0.1, 0.0]  # later tasks finish first
    seen = []
    results = pool.run_ordered(square_after, [(i, d) for i, d in enumerate(delays)],
                               workers=2, progress=lambda i, r: seen.append((i, r)))
    assert results == [i * i for i in range(len(delays))]
    assert sorted(seen) == [(i, i * i) for i in range(len(delays))]
    assert [i for i, _ in seen] != list(range(len(delays)))  # really completion order


def test_workers_are_single_threaded_ignore_sigint_and_see_the_callers_environment(
        monkeypatch):
    monkeypatch.setenv("LOGITREG_POOL_TEST", "from-the-parent")
    monkeypatch.setenv("OMP_NUM_THREADS", "4")  # the pool's policy wins in workers
    states = pool.run_ordered(worker_state, [()] * 4, workers=2)
    assert len({s["pid"] for s in states}) <= 2
    for s in states:
        assert s["sigint_ignored"]
        assert set(s["env"].values()) == {"1"}
        assert s["marker"] == "from-the-parent"
        assert s["threads"] == [1]
    assert os.environ["OMP_NUM_THREADS"] == "4"  # the parent is untouched
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_a_crash_fails_only_the_task_that_caused_it():
    results = pool.run_ordered(die_at, [(x, 3) for x in range(10)], workers=2)
    assert isinstance(results[3], pool.WorkerCrash)
    assert "worker process died" in results[3].message
    assert [r for i, r in enumerate(results) if i != 3] == [x for x in range(10) if x != 3]
    custom = pool.run_ordered(die_at, [(x, 0) for x in range(3)], workers=2,
                              on_crash=lambda i, message: ("crashed", i))
    assert custom == [("crashed", 0), 1, 2]


def test_task_exceptions_propagate():
    with pytest.raises(ValueError, match="task failed"):
        pool.run_ordered(fail, [()], workers=1)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_worker_counts(bad):
    with pytest.raises(InvalidParameterError, match="workers"):
        pool.run_ordered(fail, [()], workers=bad)


_INTERRUPTED = """
from core.pool import run_ordered
from tests.test_pool import square_after
run_ordered(square_after, [(0, 0.0)] + [(i, 60.0) for i in range(1, 5)], workers=2,
            progress=lambda i, r: print("first result", flush=True))
"""


def test_ctrl_c_cancels_and_leaves_no_process_behind():
    # A terminal's Ctrl-C sends SIGINT to the whole foreground process group.
    proc = subprocess.Popen([sys.executable, "-c", _INTERRUPTED], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "first result"
        time.sleep(0.5)  # workers are busy with 60 s tasks
        start = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        assert time.monotonic() - start < 15  # cancelled, not waited for
        assert "KeyboardInterrupt" in proc.stderr.read()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)  # anyone left in the group?
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail("pool processes survived the interrupt")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
