r"""Benchmark: ``logitreg probe`` (:func:`numerics.probe.probe`, every step) against the
route a user had before it, the internal R1/R2 functions
:func:`numerics.claims.realdata.alpha_curve` and :func:`~numerics.claims.realdata.gamma_curve`
on a hand-built :class:`~numerics.claims.realdata.RealSplit`. Not a test.

BLAS is pinned to one thread (``threadpoolctl``) for every timing; the machine may be
shared, so both the wall time and this process's CPU time are printed (CPU time is what
a quiet machine's wall time would be, to first order).

1. **Digits** (the target case): scikit-learn digits, all 10 classes, 50% stratified
   test split (N = 898 train, d = 60 kept features). Probe: 9 alpha (R1's 8 plus 0.2),
   6 gammas, 50 + 10 bootstrap resamples, theory prediction, verdict; target <= 10 s.
   Baseline on the same split: ``alpha_curve`` on the probe's alpha grid and
   ``gamma_curve`` on its gammas (max-margin included), which measure the accuracy curve
   and the gamma control but none of the geometry, Fisher or theory steps.
2. **10,000 x 512** (``--large``): a synthetic 10-class Gaussian mixture with anisotropic
   noise (the size of CIFAR-10 ResNet-18 features), 50% test split (N = 5000 train).
   Target <= 2 min. No baseline (the dense route needs minutes per alpha).

Run: ``PYTHONPATH=. python benchmarks/bench_probe.py [--large] [--skip-baseline]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def _large(seed=0, n=10000, d=512, k=10):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(k, d)) * 0.12
    y = rng.integers(0, k, n)
    return means[y] + rng.normal(size=(n, d)) * np.linspace(0.5, 1.5, d), y


def _baseline(data, alphas, gammas, alpha_ref):
    from numerics.claims.realdata import RealSplit, alpha_curve, gamma_curve

    split = RealSplit("user", data.X_train, data.y_train, data.X_test, data.y_test, data.k,
                      data.d_raw, 0)
    a = alpha_curve(split, alphas)
    g = gamma_curve(split, gammas, alpha=alpha_ref)
    return a, g


def _report(name, result, wall, cpu, target):
    t = result["timings"]
    print(f"\n{name}: N={result['data']['n_train']} train, {result['data']['n_test']} test, "
          f"d={result['data']['d']}, K={result['data']['k']}; alpha=0 limit "
          f"{result['alpha_curve']['unregularised']}")
    print(f"  probe total: wall {wall:.2f} s, CPU {cpu:.2f} s (target <= {target:g} s)")
    print("  steps (wall): " + ", ".join(f"{k} {v:.2f}" for k, v in t.items()))
    a, gc = result["alpha_curve"], result["gamma_curve"]
    print(f"  accuracy alpha=0 {a['accuracy_0']:.4f}, alpha>0 "
          + ", ".join(f"{x:.4f}" for x in a["accuracy"]))
    print(f"  Newton steps per alpha {a['newton_iterations']}, largest |grad| "
          f"{a['max_gradient_norm']:.1e}; gamma certificate max |grad| "
          f"{max(gc['certificate_gradient_norm']):.1e}, logit change {gc['reg_logit_change']:.1e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also the 10,000 x 512 case")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=1):
        blas = [f"{i['internal_api']}={i['num_threads']}" for i in threadpool_info()]
        print(f"BLAS threads (pinned): {', '.join(blas)}")
        from numerics.probe import DEFAULT_GAMMAS, REFERENCE_ALPHA, prepare, probe

        X, y = _digits()
        result, wall, cpu = _timed(lambda: probe(X, y))
        _report("digits (10 classes)", result, wall, cpu, 10)
        if not args.skip_baseline:
            data = prepare(X, y)
            alphas = result["alpha_curve"]["alphas"]
            (a, g), bwall, bcpu = _timed(lambda: _baseline(data, alphas, DEFAULT_GAMMAS,
                                                           REFERENCE_ALPHA))
            print(f"  baseline alpha_curve + gamma_curve (same split, grids): wall {bwall:.2f} s,"
                  f" CPU {bcpu:.2f} s -> probe is {bwall / wall:.1f}x faster (wall), "
                  f"{bcpu / cpu:.1f}x (CPU)")
            agree = np.max(np.abs(np.asarray(a["accuracy"]) - result["alpha_curve"]["accuracy"]))
            print(f"  baseline vs probe: max |accuracy difference| over alpha {agree:.1e}, "
                  f"A(0) {a['accuracy_0']:.4f} vs {result['alpha_curve']['accuracy_0']:.4f}; "
                  f"gamma regularised accuracies {np.asarray(g['reg_accuracy']).round(4).tolist()}")
        if args.large:
            X, y = _large()
            result, wall, cpu = _timed(lambda: probe(X, y))
            _report("10,000 x 512 synthetic (10 classes)", result, wall, cpu, 120)


if __name__ == "__main__":
    main()
