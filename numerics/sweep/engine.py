r"""Run a sweep: compute the missing points on some executor, write each as it finishes.

Executors
---------
``workers=1``
    In-process, one point after the other (nothing to start; used by the checks).
``workers=N > 1``
    The project's local process pool (:mod:`core.pool`: ``forkserver`` where available,
    workers forked from a fresh server process with the numerics preloaded; one
    BLAS/OpenMP/rayon thread per worker; Ctrl-C handled by this process). N
    single-threaded workers on N cores beat N workers fighting over N x cores threads,
    and results do not depend on the thread count.
``scheduler="tcp://host:port"`` (or a ``distributed.Client``)
    An existing Dask cluster; BLAS is pinned to one thread while a point runs.

Only this process writes to the database; workers just compute. A point's outcome is
``ok`` with its outputs, or ``error`` with the exception (a failing point never stops the
sweep). Because every point seeds its own draw from its configuration
(:mod:`numerics.sweep.spec`) and BLAS runs single-threaded everywhere, results are
bit-identical whatever the executor, the number of workers or the completion order.

Interruptions. Ctrl-C, ``kill -9``, a crashed worker or a lost cluster lose at most the
points in flight: every finished point is already committed, and ``resume=True``
computes only the missing ones (and retries failed ones). A pool whose worker dies (e.g.
out of memory) is restarted and the points then in flight are rerun one at a time; the
one that kills a worker on its own is recorded as failed.
"""

from __future__ import annotations

import collections
import os
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidParameterError, InvalidTypeError, LogitRegError

from numerics.sweep.experiments import get_experiment
from numerics.sweep.spec import SweepSpec, code_version, load_spec
from numerics.sweep.store import SweepStore, open_store

__all__ = ["run_sweep", "run_point", "SweepReport", "SweepInterrupted", "as_spec"]


class SweepInterrupted(LogitRegError, RuntimeError):
    """The executor went away (e.g. the Dask cluster was lost); finished points are saved."""


# --------------------------------------------------------------------- BLAS pinning
_PIN_LOCK = threading.Lock()
_PIN = {"depth": 0, "limiter": None, "controller": None, "global": False}


class _pinned:
    """Process-wide BLAS/OpenMP limit of one thread while any point runs (re-entrant and
    thread-safe: Dask may run several points in threads of one process)."""

    def __enter__(self):
        with _PIN_LOCK:
            if not _PIN["global"] and _PIN["depth"] == 0:
                from threadpoolctl import ThreadpoolController

                if _PIN["controller"] is None:
                    _PIN["controller"] = ThreadpoolController()
                _PIN["limiter"] = _PIN["controller"].limit(limits=1)
            _PIN["depth"] += 1

    def __exit__(self, *exc):
        with _PIN_LOCK:
            _PIN["depth"] -= 1
            if _PIN["depth"] == 0 and _PIN["limiter"] is not None:
                _PIN["limiter"].restore_original_limits()
                _PIN["limiter"] = None


# glibc mallopt parameters (malloc.h) and their documented defaults.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_GLIBC_DEFAULTS = {_M_TRIM_THRESHOLD: 128 * 1024, _M_MMAP_THRESHOLD: 128 * 1024}


def _libc():
    import ctypes
    import ctypes.util

    try:
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") else None
    except OSError:  # not glibc (macOS, musl): keep the platform's allocator as it is
        return None


def _keep_freed_memory(keep: bool = True) -> bool:
    """Let glibc keep freed arrays for the next point (``keep``), or restore its defaults.

    A point allocates and frees the same few arrays (data, Hessian: ~1 MB at N=400,
    d=280; ~40 MB at the paper's size). By default glibc returns them to the kernel when
    a point ends (its heap top exceeds the trim threshold, or they were mmap-ed), and the
    next point pays a page fault per 4 KiB page again: measured 10-13 % of a 7 ms point
    (``benchmarks/bench_sweep.py``). Serving arrays below 32 MiB from the heap and trimming
    only above 1 GiB removes that; the memory is reused by the next point, not leaked.
    Returns whether the allocator accepted it (False off glibc)."""
    libc = _libc()
    if libc is None:
        return False
    if keep:
        values = {_M_MMAP_THRESHOLD: 32 * 1024 * 1024, _M_TRIM_THRESHOLD: 1024 ** 3}
    else:
        values = _GLIBC_DEFAULTS
    ok = all(libc.mallopt(param, value) == 1 for param, value in values.items())
    if not keep and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
    return ok


def _worker_setup():
    """Pool worker (after :mod:`core.pool` pinned one BLAS/OpenMP/rayon thread and left
    Ctrl-C to the parent): freed arrays kept for the next point
    (:func:`_keep_freed_memory`), BLAS pinned for the worker's lifetime."""
    _keep_freed_memory()
    _PIN["global"] = True


# --------------------------------------------------------------------- one point
def run_point(task) -> dict:
    """Compute one point (``Point.task()``); never raises for a failing point.

    Returns ``{"status": "ok"|"error", "result", "error", "seconds", "worker",
    "code_version"}``.
    """
    experiment, config, outputs, draw_seed, expected_version = task
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"
    version = code_version()
    try:
        if version != expected_version:
            raise InvalidParameterError(
                f"worker runs logitreg {version}, the sweep expects {expected_version}")
        exp = get_experiment(experiment)
        with _pinned():
            result = exp.run(config, draw_seed, outputs)
        status, error = "ok", None
    except Exception as exc:  # recorded, never raised: one bad point must not stop a sweep
        status, result = "error", None
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in " \
                f"{frames[-1].name})" if frames else ""
        error = (f"{type(exc).__name__}: {exc}"[:2000] + where)
    return {"status": status, "result": result, "error": error,
            "seconds": time.perf_counter() - start, "worker": worker,
            "code_version": expected_version}


def _crash_outcome(point, version, why):
    return {"status": "error", "result": None, "error": why, "seconds": None,
            "worker": None, "code_version": version}


# --------------------------------------------------------------------- executors
def _serial(points, version):
    # In the caller's process: keep freed memory only while the sweep runs.
    kept = _keep_freed_memory()
    try:
        with _pinned():
            for pt in points:
                yield pt, run_point(pt.task() + (version,))
    finally:
        if kept:
            _keep_freed_memory(False)


#: Imported once into the pool's fork server, so that workers start warm.
_PRELOAD = ("numerics.sweep._preload",)


def _pool(points, version, workers, start_method):
    """Local process pool (:func:`core.pool.run_completed`). If a worker dies (OOM kill,
    segfault), the pool is rebuilt and the points that were in flight are rerun one at a
    time: the one that kills its worker alone is recorded as failed, the others complete
    normally."""
    from core.pool import run_completed

    def crashed(i, message):
        return _crash_outcome(points[i], version, "worker process died while computing "
                                                  "this point; retried on --resume")

    stream = run_completed(run_point, [(pt.task() + (version,),) for pt in points],
                           workers=workers, setup="numerics.sweep.engine:_worker_setup",
                           preload=_PRELOAD, on_crash=crashed, start_method=start_method)
    try:
        for i, outcome in stream:
            yield points[i], outcome
    finally:
        stream.close()


def _dask(points, version, scheduler):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InvalidParameterError(
            "a Dask scheduler needs dask.distributed: pip install 'logitreg[dask]'") from None
    own = isinstance(scheduler, str)
    if own:
        try:
            client = Client(scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise InvalidParameterError(
                f"cannot connect to the Dask scheduler {scheduler!r}: {exc}") from None
    else:
        client = scheduler
    pending = collections.deque(points)
    futures = {}
    try:
        threads = sum(client.nthreads().values()) or 1
        ac = as_completed()

        def submit():
            pt = pending.popleft()
            fut = client.submit(run_point, pt.task() + (version,), pure=False,
                                key=f"logitreg-sweep-{pt.key[:16]}-{uuid.uuid4().hex[:8]}")
            futures[fut.key] = (fut, pt)
            ac.add(fut)

        for _ in range(min(len(pending), max(2 * threads, 4))):
            submit()
        for fut in ac:
            _, pt = futures.pop(fut.key)
            if fut.status == "finished":
                outcome = fut.result()
            elif fut.status == "error":
                exc = fut.exception()
                outcome = _crash_outcome(pt, version, f"{type(exc).__name__}: {exc} "
                                                      "(Dask worker failure; retried on --resume)")
            else:
                raise SweepInterrupted(
                    f"lost the Dask cluster (task {fut.status}); finished points are saved, "
                    "rerun with --resume")
            fut.release()
            yield pt, outcome
            if pending:
                submit()
    finally:
        if futures:  # interrupted: do not leave our tasks running on the cluster
            try:
                client.cancel([f for f, _ in futures.values()])
            except Exception:  # the cluster may be gone already
                pass
        if own:
            client.close()


# --------------------------------------------------------------------- driver
@dataclass(frozen=True)
class SweepReport:
    """What a :func:`run_sweep` call did."""

    name: str
    db: str
    total: int
    skipped: int
    computed: int
    failed: int
    seconds: float
    executor: str

    def summary(self) -> str:
        return (f"sweep {self.name!r}: {self.total} points in {self.db} ({self.skipped} "
                f"already done, {self.computed} computed, {self.failed} failed) in "
                f"{self.seconds:.1f} s on {self.executor}")


def as_spec(spec) -> SweepSpec:
    """A :class:`SweepSpec` from a spec, a dict or a TOML path."""
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return SweepSpec.from_dict(spec)
    if isinstance(spec, (str, os.PathLike)):
        return load_spec(spec)
    raise InvalidTypeError(f"spec must be a SweepSpec, a dict or a path. Got {spec!r} instead.")


def _check_workers(workers):
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidParameterError(f"workers={workers!r} must be an integer >= 1")
    return workers


def run_sweep(spec, db, *, workers: int = 1, scheduler=None, resume: bool = False,
              progress=None, start_method=None) -> SweepReport:
    r"""Compute every point of ``spec`` missing from the database ``db``.

    Parameters
    ----------
    spec : SweepSpec, dict or path of a TOML file
    db : path, or an open :class:`~numerics.sweep.store.SweepStore`
        Created if missing. An existing database is refused unless ``resume`` is true
        (then finished points are skipped and failed ones retried).
    workers : int
        1: in-process; N > 1: local process pool of N single-BLAS-thread workers.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``"tcp://host:8786"``) or a client; overrides ``workers``.
    progress : bool or None
        tqdm progress bar with ETA on stderr (None: only on a terminal).
    start_method : str, optional
        Overrides the pool's start method (:func:`core.pool.start_method`: forkserver,
        else spawn); ``"fork"`` is unsafe once clarabel/BLAS threads have run here.

    Returns
    -------
    SweepReport
    """
    spec = as_spec(spec)
    workers = _check_workers(workers)
    version = code_version()
    points = spec.points(version)
    own_store = not isinstance(db, SweepStore)
    if own_store:
        path = Path(db)
        if str(db) != ":memory:" and path.is_file() and path.stat().st_size and not resume:
            with open_store(db, create=False) as existing:
                n, bad = existing.count(), existing.count("error")
            raise InvalidParameterError(
                f"sweep database {str(db)!r} already exists ({n} points, {bad} failed); pass "
                "--resume to continue it, or --out to write a new one")
        store = open_store(db, create=True)
    else:
        store = db
    try:
        done = store.done_keys()
        todo = [p for p in points if p.key not in done]
        exp = get_experiment(spec.experiment)
        if todo and exp.prepare is not None and scheduler is None and workers == 1:
            exp.prepare([p.config for p in todo])  # imports/compiles before the clock starts
        if scheduler is not None:
            executor = f"dask {scheduler if isinstance(scheduler, str) else 'client'}"
            stream = _dask(todo, version, scheduler)
        elif workers == 1 or len(todo) <= 1:
            executor, stream = "1 worker (in-process)", _serial(todo, version)
        else:
            executor = f"{workers} local workers"
            stream = _pool(todo, version, min(workers, len(todo)), start_method)
        run_id = store.begin_run(spec.as_dict(), version, executor)
        start = time.perf_counter()
        failed = computed = 0
        status = "interrupted"
        from tqdm.auto import tqdm

        bar = tqdm(total=len(points), initial=len(points) - len(todo), unit="pt",
                   desc=spec.name, disable=(not progress) if progress is not None else None,
                   smoothing=0.05, dynamic_ncols=True)
        try:
            for pt, outcome in stream:
                store.record(pt, outcome, run_id)
                computed += 1
                failed += outcome["status"] != "ok"
                bar.update(1)
                if failed:
                    bar.set_postfix(failed=failed, refresh=False)
            status = "finished"
        finally:
            bar.close()
            stream.close()
            store.end_run(run_id, status)
        return SweepReport(spec.name, str(store.path), len(points), len(points) - len(todo),
                           computed, failed, time.perf_counter() - start, executor)
    finally:
        if own_store:
            store.close()
