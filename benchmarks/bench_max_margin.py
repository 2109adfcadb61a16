r"""Benchmark: exact hard-margin SVM solvers (the :math:`\alpha = 0` limits of B7, B8, B10,
G1, M5, M7) against the previous clarabel route and scikit-learn, in one run. Not a test.

Binary, d=1400, N=2000, mu_f=1, sigma_n=1, sigma_f in {0.5, 0}, seed 0 (label-absorbed
rows u_i):

* ``clarabel`` -- ``max_margin_direction(method="dual")``: clarabel on the dense dual,
  polished on its active set (the previous default);
* ``ipm`` -- dense primal-dual interior point with active-set hand-off (new default);
* ``active_set`` -- liblinear warm start + exact primal-dual active-set rounds;
* ``LinearSVC`` -- liblinear dual CD, hinge loss, C=1e6 (rows scaled to norm <= 1),
  tol 1e-8; ``SVC`` -- libsvm, linear kernel, C=1e10, tol 1e-10, on the symmetrised data
  {(u_i, +1), (-u_i, -1)} (its intercept is 0 by symmetry).

Multiclass, K=10, d=1400 (+ bias column), N=2000, sigma_f=0, mean_scale 0.3, seed 4 (the
M7 full setting, 18,000 constraints): ``structured`` (liblinear Crammer--Singer + exact
active-set rounds from XX^T) against ``LinearSVC(multi_class="crammer_singer")`` at
C=1e5, tol 1e-8 (an independent solver, for the margin); the previous Kesler route
(clarabel on N(K-1) x Kd explicit vectors) is run at a size it can handle (N=400, d=280,
K=10: 3,600 constraints) next to ``structured`` on the same data.

Columns: wall time (best of ``--repeat``), KKT residual (max of primal, dual,
stationarity, complementarity, as in ``MaxMarginResult.kkt``; "-" when the solver
exposes no multipliers), 1 - cos to the reference (the ``clarabel`` answer, binary; the
``structured`` answer, multiclass), the geometric margin and its relative gap to the
reference. BLAS is pinned to one thread (threadpoolctl) for every solver; the peak
resident memory of the multiclass solve is read from ``getrusage`` (run first, so the
process high-water mark is its own).

Run: ``PYTHONPATH=. python benchmarks/bench_max_margin.py [--repeat 1] [--no-svc]``.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np


def _timed(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def _row(name, seconds, kkt, cos_gap, margin, ref_margin):
    kkt_s = "-" if kkt is None else f"{kkt:.1e}"
    gap = abs(margin - ref_margin) / ref_margin
    print(f"  {name:<22} {seconds:9.3f} s   KKT {kkt_s:>8}   1-cos {cos_gap:9.2e}   "
          f"margin {margin:.12f}   rel gap {gap:.1e}", flush=True)


def _binary(U, repeat, with_svc):
    from sklearn.svm import SVC, LinearSVC

    from numerics.solve.max_margin import _kkt, max_margin_direction

    ref, t_ref = _timed(lambda: max_margin_direction(U, method="dual"), repeat)
    _row("clarabel (previous)", t_ref, ref.kkt_residual, 0.0, ref.margin, ref.margin)
    times = {"clarabel": t_ref}
    for method in ("ipm", "active_set", "auto"):
        res, t = _timed(lambda: max_margin_direction(U, method=method), repeat)
        times[method] = t
        _row(f"{method} -> {res.method}", t, res.kkt_residual,
             1 - float(res.direction @ ref.direction), res.margin, ref.margin)
    scale = float(np.max(np.linalg.norm(U, axis=1)))
    signs = np.where(np.arange(len(U)) % 2 == 0, 1.0, -1.0)
    lin, t = _timed(lambda: LinearSVC(C=1e6, loss="hinge", dual=True, fit_intercept=False,
                                      tol=1e-8, max_iter=1_000_000)
                    .fit(U * (signs / scale)[:, None], signs), repeat)
    w = lin.coef_.ravel() / np.linalg.norm(lin.coef_)
    _row("sklearn LinearSVC", t, None, 1 - float(w @ ref.direction), float(np.min(U @ w)),
         ref.margin)
    times["LinearSVC"] = t
    if with_svc:
        n = len(U)
        svc, t = _timed(lambda: SVC(kernel="linear", C=1e10, tol=1e-10)
                        .fit(np.vstack([U, -U]), np.r_[np.ones(n), -np.ones(n)]), repeat)
        w = svc.coef_.ravel()
        a = np.zeros(2 * n)
        a[svc.support_] = np.abs(svc.dual_coef_.ravel())
        a = a[:n] + a[n:]  # (u_i, +1) and (-u_i, -1) are the same constraint on w
        S = w / float(np.min(U @ w))  # rescale to unit functional margin
        kkt = _kkt(U, S, a * (np.linalg.norm(S) / np.linalg.norm(w)))[1]
        wn = w / np.linalg.norm(w)
        _row("sklearn SVC (libsvm)", t, kkt, 1 - float(wn @ ref.direction),
             float(np.min(U @ wn)), ref.margin)
        times["SVC"] = t
    print(f"  speed-up vs clarabel: ipm {times['clarabel'] / times['ipm']:.2f}x, "
          f"active_set {times['clarabel'] / times['active_set']:.2f}x, "
          f"auto {times['clarabel'] / times['auto']:.2f}x; "
          f"auto vs LinearSVC {times['LinearSVC'] / times['auto']:.2f}x", flush=True)


def _multiclass_margin(X, y, W):
    F = X @ (W / np.linalg.norm(W)).T
    rel = F[np.arange(len(y)), y][:, None] - F
    rel[np.arange(len(y)), y] = np.inf
    return float(rel.min())


def _multiclass(n, d, k, repeat, with_kesler):
    from sklearn.svm import LinearSVC

    from numerics.models.multiclass import multiclass_signal_noise
    from numerics.solve.multiclass_max_margin import multiclass_max_margin

    ds = multiclass_signal_noise(n, d, k, sigma_f=0.0, sigma_n=1.0, mean_scale=0.3, seed=4)
    X = np.column_stack([ds.X, np.ones(n)])
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    res, t = _timed(lambda: multiclass_max_margin(X, ds.y, k), repeat)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"  K={k}, d={d}+1, N={n}: {n * (k - 1)} constraints; peak RSS {rss:.2f} GB "
          f"(before: {rss0:.2f} GB)")
    _row(f"structured ({res.method})", t, res.kkt_residual, 0.0, res.margin, res.margin)
    if with_kesler:
        kes, t = _timed(lambda: multiclass_max_margin(X, ds.y, k, method="dual"), repeat)
        _row("Kesler clarabel (prev.)", t, kes.kkt_residual,
             1 - float(np.sum(kes.direction * res.direction)), kes.margin, res.margin)
    scale = float(np.max(np.linalg.norm(X, axis=1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs, t = _timed(lambda: LinearSVC(C=1e5, multi_class="crammer_singer",
                                         fit_intercept=False, tol=1e-8, max_iter=1_000_000)
                       .fit(X / scale, ds.y), repeat)
    W = cs.coef_
    _row("sklearn LinearSVC C-S", t, None,
         1 - float(np.sum(W * res.direction) / np.linalg.norm(W)),
         _multiclass_margin(X, ds.y, W), res.margin)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-svc", action="store_true", help="skip libsvm's SVC (slow)")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--d", type=int, default=1400)
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_info, threadpool_limits

    from numerics.models.signal_noise import binary_signal_noise

    import sklearn.svm  # noqa: F401 - load every BLAS before pinning it
    from scipy import linalg  # noqa: F401

    threadpool_limits(1)
    libs = sorted({(i["internal_api"], i["num_threads"]) for i in threadpool_info()})
    print(f"BLAS pinned to one thread (threadpoolctl): {libs}")

    print("multiclass hard margin (M7 full setting)")
    _multiclass(args.n, args.d, 10, args.repeat, with_kesler=False)
    print("multiclass hard margin, a size the Kesler route handles")
    _multiclass(400, 280, 10, args.repeat, with_kesler=True)
    for sigma_f in (0.5, 0.0):
        ds = binary_signal_noise(args.n, args.d, mu_f=1.0, sigma_f=sigma_f, sigma_n=1.0,
                                 seed=0)
        print(f"binary hard margin d={args.d}, N={args.n}, sigma_f={sigma_f}")
        _binary(np.ascontiguousarray(ds.u), args.repeat, not args.no_svc)


if __name__ == "__main__":
    main()
