r"""Benchmark: the sweep engine. Not a test.

A 200-point sweep of the ``accuracy`` experiment (Newton minimiser of the quadratic
logit-regularised loss, alpha=0.2, on binary signal plus noise with N=1000, d=700,
20 sigma_n values x 10 seeds; ~50 ms per point on one core). With much cheaper points
(``--n 400 --d 280``: ~7 ms) the pool's fixed start-up per sweep (~0.15 s, two workers
forked from the fork server) is ~10 % of the whole 1.3 s sweep and the speedup drops to
~1.6x; a sweep that short does not need workers.

1. **Per-point overhead** of the engine (spec expansion, hashing, SQLite write per point,
   progress bookkeeping; ``workers=1``, in-process) against the same solves in a plain
   Python loop (draw, ``minimize_binary``, Eq. 5 accuracy), both with BLAS pinned to one
   thread. Target <= 5 %.
2. **Speedup** of ``workers=2`` (local process pool, one BLAS thread per worker) over
   ``workers=1``. Target >= 1.7x on 2 cores. The pool's fork server is started once per
   process (it imports the numerics, a few seconds); that start-up is timed separately.

Each timing is the best of ``--repeat`` interleaved runs (the machine may be shared; the
load average is printed next to the table). The engine keeps freed arrays for the next point (glibc
``mallopt``, ``numerics.sweep.engine._keep_freed_memory``); the plain loop runs with the
default allocator, as a user's loop would, so the engine can come out *faster* than it.
The overhead is also given in CPU time
(``time.process_time``) of the single-threaded in-process runs, which other users' load
does not inflate, and as the engine's own bookkeeping (wall time minus the time spent
inside the points, measured in the same run).

Run: ``PYTHONPATH=. python benchmarks/bench_sweep.py [--repeat 3] [--n 1000] [--d 700]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def _spec(n, d, points):
    seeds = 10
    return {"name": "bench", "experiment": "accuracy", "seeds": seeds,
            "outputs": ["accuracy", "train_accuracy", "gradient_norm"],
            "grid": {"n": n, "d": d, "sigma_f": 0.5, "solver": "newton", "alpha": 0.2,
                     "sigma_n": {"geomspace": [0.1, 6.0, points // seeds]}}}


def _plain_loop(points):
    """The same solves without the engine."""
    from threadpoolctl import threadpool_limits

    from numerics.models.signal_noise import binary_signal_noise
    from numerics.models.accuracy import gaussian_accuracy
    from numerics.solve.binary import minimize_binary

    out = []
    with threadpool_limits(limits=1):
        for p in points:
            c = p.config
            ds = binary_signal_noise(c["n"], c["d"], mu_f=c["mu_f"], sigma_f=c["sigma_f"],
                                     sigma_n=c["sigma_n"], seed=p.draw_seed)
            sol = minimize_binary(ds.u, "quadratic", c["alpha"])
            out.append((gaussian_accuracy(sol.coef, mu_f=c["mu_f"], sigma_f=c["sigma_f"],
                                          sigma_n=c["sigma_n"]),
                        float(np.mean(ds.u @ sol.coef > 0)), sol.gradient_norm))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--d", type=int, default=700)
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args(argv)

    from numerics.sweep import SweepSpec, open_store, run_sweep

    spec = SweepSpec.from_dict(_spec(args.n, args.d, args.points))
    points = spec.points()
    assert len(points) == args.points
    _plain_loop(points[:2])  # imports and compilation outside the timings
    with tempfile.TemporaryDirectory() as tmp:  # start the pool's fork server (once)
        start = time.perf_counter()
        run_sweep(dict(_spec(args.n, args.d, args.points), seeds=[99]),
                  Path(tmp) / "warm.sqlite", workers=2, progress=False)
        startup = time.perf_counter() - start
    wall = {"plain": np.inf, "engine 1 worker": np.inf, "engine 2 workers": np.inf}
    cpu = {"plain": np.inf, "engine 1 worker": np.inf}
    inside = np.inf
    check = None
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            ref = _plain_loop(points)
            wall["plain"] = min(wall["plain"], time.perf_counter() - start)
            cpu["plain"] = min(cpu["plain"], time.process_time() - start_cpu)
            for workers, label in ((1, "engine 1 worker"), (2, "engine 2 workers")):
                db = Path(tmp) / f"{rep}-{workers}.sqlite"
                start, start_cpu = time.perf_counter(), time.process_time()
                run_sweep(spec, db, workers=workers, progress=False)
                elapsed = time.perf_counter() - start
                wall[label] = min(wall[label], elapsed)
                with open_store(db, create=False) as store:
                    rows = store.rows()
                if workers == 1:
                    cpu[label] = min(cpu[label], time.process_time() - start_cpu)
                    inside = min(inside, elapsed - sum(r["seconds"] for r in rows))
                got = {r["key"]: r["result"] for r in rows}
                same = all(got[p.key] == {"accuracy": a, "train_accuracy": t,
                                          "gradient_norm": g}
                           for p, (a, t, g) in zip(points, ref))
                check = same if check is None else check and same

    n = args.points
    over_wall = wall["engine 1 worker"] / wall["plain"] - 1
    over_cpu = cpu["engine 1 worker"] / cpu["plain"] - 1
    speedup = wall["engine 1 worker"] / wall["engine 2 workers"]
    print(f"sweep engine, {n} points (accuracy/newton, N={args.n}, d={args.d}), best of "
          f"{args.repeat}; cores available: {len(os.sched_getaffinity(0))}, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'run':<24}{'wall s':>9}{'ms/point':>10}{'CPU s':>9}")
    for label, t in wall.items():
        c = f"{cpu[label]:>9.2f}" if label in cpu else f"{'-':>9}"
        print(f"{label:<24}{t:>9.2f}{1000 * t / n:>10.1f}{c}")
    verdict = "met" if over_cpu <= 0.05 else "NOT met"
    print(f"{'overhead (CPU time)':<24}{100 * over_cpu:>8.1f}%  target <= 5%: {verdict}")
    print(f"{'overhead (wall time)':<24}{100 * over_wall:>8.1f}%  (load-sensitive)")
    print(f"{'engine bookkeeping':<24}{1000 * inside / n:>8.2f} ms/point "
          f"({100 * inside / wall['engine 1 worker']:.1f}% of the run)")
    print(f"{'speedup 2 vs 1 worker':<24}{speedup:>8.2f}x  target >= 1.7x: "
          f"{'met' if speedup >= 1.7 else 'NOT met'}")
    print(f"{'first pool run':<24}{startup:>8.2f} s for {args.points // 10} points "
          "(starts the fork server: imports once per process)")
    print(f"engine results identical to the plain loop: {check}")


if __name__ == "__main__":
    main()
