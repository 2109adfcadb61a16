r"""Time full-batch training at the paper's grokking scale (B8, M7) and extrapolate.

d=1400, N=2000 (lambda = 0.7), sigma_f=0, mu_f=0.1, sigma_n=1, lr=0.1, cross-entropy with a
quadratic logit penalty alpha*t^2 (alpha=0.01). Times ``--epochs`` epochs (default 2,000)
of each iteration scheme and extrapolates linearly to 200,000 epochs, the length of the
paper's Fig. 5 runs. With ``--maxmargin`` it also times the alpha=0 limit on the same data
(separability certificate and hard-margin QP, B7). ``--blas-threads 1`` caps BLAS threads,
which is much faster on an oversubscribed machine.
Run: ``PYTHONPATH=. python benchmarks/bench_dynamics.py [--maxmargin]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.special import expit, log_softmax, softmax

from numerics.models.multiclass import multiclass_signal_noise
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.gradient_descent import gradient_descent
from numerics.solve.multiclass_gradient_descent import multiclass_gradient_descent
from numerics.solve.max_margin import max_margin_direction
from numerics.solve.separability import is_linearly_separable

ALPHA = 0.01
FULL_RUN = 200_000


def ce_quadratic(alpha):
    r""":math:`\ell(t) = (1-\alpha)\log(1+e^{-t}) + \alpha t^2` and its derivative."""
    def loss(t):
        return (1.0 - alpha) * np.logaddexp(0.0, -t) + alpha * t * t

    def dloss(t):
        return -(1.0 - alpha) * expit(-t) + 2.0 * alpha * t

    return loss, dloss


def mc_ce_quadratic(alpha):
    r""":math:`(1-\alpha)(\mathrm{lse}(z) - z_y) + \alpha\|z\|^2` and its logit gradient."""
    def loss(Z, y):
        return -(1.0 - alpha) * log_softmax(Z, axis=1)[np.arange(len(y)), y] + \
            alpha * np.sum(Z * Z, axis=1)

    def grad(Z, y):
        G = softmax(Z, axis=1)
        G[np.arange(len(y)), y] -= 1.0
        G *= 1.0 - alpha
        G += 2.0 * alpha * Z
        return G

    return loss, grad


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--multiclass-epochs", type=int, default=300)
    parser.add_argument("--blas-threads", type=int, default=None)
    parser.add_argument("--maxmargin", action="store_true")
    args = parser.parse_args(argv)
    threads = args.blas_threads

    ds = binary_signal_noise(2000, 1400, mu_f=0.1, sigma_f=0.0, sigma_n=1.0, seed=0)
    test = ds.fresh(2000, seed=1)
    loss, dloss = ce_quadratic(ALPHA)
    print(f"binary d={ds.d} N={ds.n}, {args.epochs} epochs, lr=0.1, alpha={ALPHA}")
    for optimizer, method in (("gd", "gram"), ("gd", "primal"), ("adam", "primal")):
        start = time.perf_counter()
        tr = gradient_descent(ds, loss=loss, dloss=dloss, epochs=args.epochs, lr=0.1,
                              optimizer=optimizer, method=method, test=test,
                              blas_threads=threads)
        wall = time.perf_counter() - start
        per = tr.elapsed / args.epochs
        print(f"  {optimizer:4s} {method:6s}: {per * 1e3:6.3f} ms/epoch "
              f"({1 / per:7.0f} epochs/s), setup+run {wall:6.2f} s, "
              f"200k epochs ~ {per * FULL_RUN / 60:5.1f} min; "
              f"final train acc {tr.train_accuracy[-1]:.3f}, test acc {tr.test_accuracy[-1]:.3f}")

    mc = multiclass_signal_noise(2000, 1400, 10, sigma_f=0.0, sigma_n=1.0, seed=0)
    mloss, mgrad = mc_ce_quadratic(0.04)
    print(f"multiclass K=10 d=1400 N=2000, {args.multiclass_epochs} epochs")
    for method in ("gram", "primal"):
        tr = multiclass_gradient_descent(mc, loss=mloss, grad=mgrad,
                                         epochs=args.multiclass_epochs, lr=0.1, method=method,
                                         blas_threads=threads)
        per = tr.elapsed / args.multiclass_epochs
        print(f"  gd   {method:6s}: {per * 1e3:6.3f} ms/epoch ({1 / per:7.0f} epochs/s), "
              f"200k epochs ~ {per * FULL_RUN / 60:5.1f} min")

    if args.maxmargin:
        start = time.perf_counter()
        sep = is_linearly_separable(ds.u)
        print(f"separability certificate (d=1400, N=2000): {sep} in "
              f"{time.perf_counter() - start:.1f} s")
        res = max_margin_direction(ds.u)
        print(f"hard-margin QP ({res.method}, {res.iterations} clarabel iterations, "
              f"polished={res.polished}): {res.solve_time:.1f} s, KKT residual "
              f"{res.kkt_residual:.1e}, {int(res.support.sum())} support vectors, "
              f"cos(S_hat, e1) = {res.direction[0]:.4f}")


if __name__ == "__main__":
    main()
