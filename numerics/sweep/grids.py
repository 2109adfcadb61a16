r"""Grids for checks and figures, computed through the sweep engine.

A check that needs a grid builds a :class:`~numerics.sweep.spec.SweepSpec`, runs it with
:func:`~numerics.sweep.engine.run_sweep` (in memory, or in a database that then acts as
a cache: ``resume`` semantics, nothing recomputed) and reads the outputs back as an
array indexed like the grid.
"""

from __future__ import annotations

import numpy as np

from core.errors import LogitRegError

from numerics.sweep.engine import run_sweep
from numerics.sweep.spec import SweepSpec, code_version, make_point
from numerics.sweep.store import open_store

__all__ = ["sweep_array", "run_grid", "benefit_diagram_sweep"]


def run_grid(spec, db=None, *, workers: int = 1, progress=False):
    """Run ``spec`` into ``db`` (None: a private in-memory store) and return the open
    store (resume semantics: points already in ``db`` are reused)."""
    store = open_store(":memory:" if db is None else db, create=True)
    try:
        run_sweep(spec, store, workers=workers, resume=True, progress=progress)
    except BaseException:
        store.close()
        raise
    return store


def sweep_array(spec: SweepSpec, store, output: str) -> np.ndarray:
    r"""``output`` of every point as an array of shape ``(len(axis_1), ..., len(seeds))``
    (grid order, seeds last). Raises if a point is missing or failed."""
    version = code_version()
    configs = list(spec.configs())
    keys = [make_point(spec.experiment, c, spec.outputs, version).key for c in configs]
    rows = {r["key"]: r for r in store.rows(keys)}
    values = []
    for cfg, key in zip(configs, keys):
        row = rows.get(key)
        if row is None or row["status"] != "ok":
            why = "missing" if row is None else row["error"]
            raise LogitRegError(f"sweep point {cfg} has no {output!r}: {why}")
        v = row["result"].get(output)
        values.append(np.nan if v is None else float(v))
    shape = tuple(len(v) for _, v in spec.axes) + (len(spec.seeds),)
    return np.asarray(values, dtype=float).reshape(shape)


def benefit_diagram_sweep(n, d, sigma_fs, sigma_ns, *, alpha=None, n_seeds=3, seed=0,
                          regularizer=None, workers=1, db=None, lams=None, per_seed=False):
    r"""B10 grid through the sweep engine: mean Gaussian accuracy over seeds of the
    :math:`\alpha`-minimiser (``reg``) and of the unregularised direction (``unreg``),
    arrays of shape ``(len(sigma_fs), len(sigma_ns))`` -- what
    :func:`numerics.claims.benefit.benefit_diagram` computes in-process, point by point
    with the same :func:`~numerics.claims.benefit.benefit_point` and the same seeds, here
    in parallel (``workers``) and cached in ``db``. ``alpha`` and ``regularizer`` default
    to claim B10's (:data:`numerics.claims.benefit.ALPHA`, ``REGULARIZER``).

    ``lams``: instead of one ``d`` (pass ``d=None``), a list of :math:`\lambda = d/N`
    (``d = round(lambda N)``, as the sweep spec rounds), giving a leading ``len(lams)``
    axis. ``per_seed``: keep a trailing ``n_seeds`` axis instead of the mean.

    Common random numbers: each seed's standardised draw is shared by every
    :math:`\sigma_f`, :math:`\sigma_n` and :math:`\alpha` (see
    :mod:`numerics.sweep.experiments`), so the regularised curve is flat in
    :math:`\sigma_n` to solver precision (B9).
    """
    from numerics.claims import benefit

    if (d is None) == (lams is None):
        raise LogitRegError("benefit_diagram_sweep: give exactly one of d, lams")
    alpha = benefit.ALPHA if alpha is None else alpha
    regularizer = benefit.REGULARIZER if regularizer is None else regularizer
    size = {"d": d} if lams is None else {"lam": [float(x) for x in lams]}
    spec = SweepSpec.from_dict({
        "name": "b10", "experiment": "benefit", "outputs": ["accuracy"],
        "seeds": list(range(seed, seed + n_seeds)),
        "grid": {"n": n, **size, "sigma_f": [float(s) for s in sigma_fs],
                 "sigma_n": [float(s) for s in sigma_ns], "alpha": [0.0, float(alpha)],
                 "regularizer": regularizer}})
    store = run_grid(spec, db, workers=workers)
    try:
        acc = sweep_array(spec, store, "accuracy")  # (n, d|lam, sigma_f, sigma_n, alpha, ...)
    finally:
        store.close()
    lead = () if lams is None else (len(lams),)
    return benefit.split_alphas(acc.reshape(lead + (len(sigma_fs), len(sigma_ns), 2, n_seeds)),
                                per_seed)
