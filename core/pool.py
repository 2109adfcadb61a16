r"""The project's one worker pool: ``logitreg verify``, ``logitreg figure all`` and the
sweep engine's local executor all run their tasks through :func:`run_completed` /
:func:`run_ordered`.

Policy
------
Start method
    ``forkserver`` where the platform has it, else ``spawn``; never plain ``fork``. By the
    time a pool starts, the parent has usually run clarabel (a rayon thread pool), BLAS
    or OpenMP, and forking a process that has threads copies their locks but not the
    threads: a child can hang in its first solve. The fork server is a fresh
    single-threaded interpreter (started with fork+exec, which is safe from a threaded
    parent) that imports the caller's ``preload`` modules once; workers fork from it in
    milliseconds with the numerics already imported (measured: see :func:`start_method`).
Threads
    One BLAS/OpenMP/rayon thread per worker: the variables of :data:`THREAD_VARIABLES`
    are ``1`` in the fork server before it imports anything (:mod:`core._pool_server`)
    and in every worker before its setup runs, and :func:`threadpoolctl.threadpool_limits`
    pins whatever is loaded. N single-threaded workers on N cores beat N workers fighting
    over N x cores threads (oversubscription slowed dense solves 6-150x), and results do
    not depend on the thread count.
Environment
    A worker sees the caller's ``os.environ`` as it was when the pool started (as with
    ``fork``; a fork server would otherwise hand out the environment of its own start),
    except for the thread variables above.
Ctrl-C
    Workers ignore SIGINT: a terminal's Ctrl-C reaches the whole process group, and only
    the parent decides. Its ``KeyboardInterrupt`` (or closing the generator) terminates
    the workers and cancels what has not run.
Crashes
    A worker that dies (segfault, OOM killer, ``os._exit``) breaks a
    :class:`~concurrent.futures.ProcessPoolExecutor` for every task in flight. The pool is
    then rebuilt and the tasks that were in flight are rerun one at a time: the one that
    kills its worker alone becomes ``on_crash(index, message)`` (default a
    :class:`WorkerCrash`), the others complete normally. Nothing hangs.

At most ``2 * workers`` tasks are in flight, so a crash reruns few tasks and a long task
list does not sit pickled in a queue. As with any non-fork start method, a script that
runs a pool must guard its entry point (``if __name__ == "__main__":``), and task
functions and arguments must pickle (module-level functions).
"""

from __future__ import annotations

import collections
import importlib
import multiprocessing
import os
import signal
from dataclasses import dataclass

from core.errors import InvalidParameterError

__all__ = ["run_completed", "run_ordered", "start_method", "prestart", "WorkerCrash",
           "THREAD_VARIABLES"]

#: Read by OpenMP, OpenBLAS, MKL, Accelerate, numexpr and rayon (clarabel) when their
#: thread pools are built.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "RAYON_NUM_THREADS")

#: First module of every fork server: sets :data:`THREAD_VARIABLES` before any import.
_SERVER_FIRST = "core._pool_server"


@dataclass(frozen=True)
class WorkerCrash:
    """The default result of a task whose worker process died while running it alone."""

    message: str


def start_method(requested: str | None = None) -> str:
    r"""The start method of every pool: ``forkserver`` where available, else ``spawn``.

    Measured on 2 shared cores, runs interleaved to share the machine's load:
    ``logitreg verify --workers 2`` (39 checks) took 35.6 / 40.8 / 41.9 s with ``fork``
    and 38.3 / 41.6 / 44.4 s with ``forkserver``; a 3-check run (pool start-up) 2.1-2.5 s
    with ``fork``, 2.6-3.6 s with ``forkserver``, 4.0-5.7 s with ``spawn`` (every worker
    imports SymPy/SciPy itself). Safety costs about 1-2 s: the fork server imports the
    checks while the parent does the same (:func:`prestart`), then workers fork from it
    warm. The evidence is identical under all three methods.

    ``requested`` overrides the policy (tests; a user of
    :func:`numerics.sweep.run_sweep` may ask for ``"fork"`` knowingly).
    """
    methods = multiprocessing.get_all_start_methods()
    if requested is not None:
        if requested not in methods:
            raise InvalidParameterError(
                f"start_method={requested!r} is not available here; choose one of {methods}")
        return requested
    return "forkserver" if "forkserver" in methods else "spawn"


def _context(requested, preload):
    method = start_method(requested)
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        # Effective for the server this process starts first; later pools reuse it.
        ctx.set_forkserver_preload([_SERVER_FIRST, *preload])
    return ctx


def prestart(preload=(), start_method: str | None = None) -> None:
    """Start the fork server now, so that it imports ``preload`` while the caller is
    still busy (e.g. importing the same modules itself). Optional; a no-op without a
    fork server."""
    ctx = _context(start_method, tuple(preload))
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


# --------------------------------------------------------------------- worker side
def _resolve(name: str):
    module, _, attr = name.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _worker_start(environ: dict, setup: str | None) -> None:
    """Initializer of every worker (see the module docstring): the caller's environment,
    one thread per numeric library, SIGINT ignored, then the caller's ``setup``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in set(os.environ) - set(environ):
        del os.environ[name]
    os.environ.update(environ)
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    if setup is not None:
        _resolve(setup)()
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


# --------------------------------------------------------------------- parent side
def _check_workers(workers):
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidParameterError(f"workers={workers!r} must be an integer >= 1")
    return workers


def _terminate(pool) -> None:
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool, fn, tasks, queue, inflight) -> bool:
    """Submit the next task of ``queue``; False (task put back) if the pool is broken."""
    from concurrent.futures.process import BrokenProcessPool

    i = queue.popleft()
    try:
        inflight[pool.submit(fn, *tasks[i])] = i
    except BrokenProcessPool:  # a worker died since the last wait
        queue.appendleft(i)
        return False
    return True


def run_completed(fn, tasks, *, workers: int, setup: str | None = None, preload=(),
                  on_crash=None, start_method: str | None = None):
    r"""Run ``fn(*args)`` for every ``args`` in ``tasks`` in ``workers`` processes; yield
    ``(index, result)`` as tasks finish (completion order).

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference).
    tasks : iterable of tuple
        The argument tuples; ``index`` is the position in this sequence.
    workers : int
        Number of processes (>= 1).
    setup : str, optional
        ``"module:function"`` called once in each worker after the thread variables are
        set (a name, not a function: unpickling a function would import its module, and
        NumPy with it, before that).
    preload : sequence of str
        Modules the fork server imports once for all workers. They must import without
        raising (the server survives only an ``ImportError``).
    on_crash : callable, optional
        ``on_crash(index, message) -> result`` for a task that kills its worker (called
        in this process); default ``WorkerCrash(message)``.
    start_method : str, optional
        Overrides :func:`start_method`'s policy.

    Exceptions raised by ``fn`` propagate from the generator: a task that must not stop
    the others should catch its own exceptions and return a failed result. A consumer
    that stops early, or is interrupted between two results, must close the generator
    (``try: ... finally: stream.close()``), which terminates the workers; otherwise they
    finish their tasks before the interpreter can exit. :func:`run_ordered` does this.
    """
    workers = _check_workers(workers)
    tasks = list(tasks)
    on_crash = on_crash or (lambda index, message: WorkerCrash(message))
    ctx = _context(start_method, tuple(preload))
    initargs = (dict(os.environ), setup)
    pending = collections.deque(range(len(tasks)))
    suspects = collections.deque()
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    while pending or suspects:
        pool = ProcessPoolExecutor(min(workers, len(tasks)), mp_context=ctx,
                                   initializer=_worker_start, initargs=initargs)
        inflight = {}
        isolated = broken = False
        reason = "the pool broke"
        try:
            while (pending or suspects or inflight) and not broken:
                if suspects:
                    if not inflight:  # a suspect runs alone: a crash is its own
                        broken = not _submit(pool, fn, tasks, suspects, inflight)
                        isolated = True
                else:
                    isolated = False
                    while pending and len(inflight) < 2 * workers and not broken:
                        broken = not _submit(pool, fn, tasks, pending, inflight)
                if not inflight:
                    continue
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool as exc:
                        broken, reason = True, str(exc)
                        continue
                    yield inflight.pop(fut), result
            if broken:
                if isolated and inflight:
                    (i,) = inflight.values()
                    inflight.clear()
                    yield i, on_crash(i, f"worker process died while running this task "
                                         f"({reason})")
                else:
                    suspects.extend(sorted(inflight.values()))
                    inflight.clear()
        finally:
            if broken or inflight:
                _terminate(pool)
            else:
                pool.shutdown(wait=True)


def run_ordered(fn, tasks, *, workers: int, progress=None, **options) -> list:
    """:func:`run_completed`, collected: the results in the order of ``tasks``.
    ``progress(index, result)`` is called in this process as each task finishes."""
    tasks = list(tasks)
    results = [None] * len(tasks)
    stream = run_completed(fn, tasks, workers=workers, **options)
    try:
        for index, result in stream:
            results[index] = result
            if progress is not None:
                progress(index, result)
    finally:
        stream.close()
    return results
