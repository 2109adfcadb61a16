r"""Claim B13 (App. E.4): quadratic logit regularisation is a data-dependent Tikhonov
penalty, proved symbolically.

With the training loss normalised as :math:`L(S) = \frac1N\sum_i\ell(S\cdot x_i)`, the
quadratic regulariser :math:`\alpha f(t) = \alpha t^2` contributes

.. math::
    \frac{\alpha}{N}\sum_{i=1}^N (S\cdot x_i)^2 = \alpha\,S^\top\tilde\Sigma S,\qquad
    \tilde\Sigma = \frac1N\sum_i x_ix_i^\top \ \text{(non-centred)},

i.e. summed over samples (without the :math:`1/N`) it is :math:`\alpha N\,S^\top\tilde
\Sigma S`. Weight decay :math:`(\gamma/2)\|S\|^2` is the special case
:math:`\tilde\Sigma \propto I`, which does not depend on the data. The multiclass analogue
(:math:`f(z) = \|z\|^2`, :math:`z = Wx`) is :math:`\frac\alpha N\sum_i\|Wx_i\|^2 =
\alpha\operatorname{tr}(W\tilde\Sigma W^\top)`.

Route: the per-sample identity :math:`(S\cdot x)^2 = S^\top(xx^\top)S` for a symbolic
:math:`x \in \mathbb R^d` proves it for every N by linearity; the whole sum is also expanded
for symbolic data with (N, d) = (3, 2) and (2, 3). The centred covariance
:math:`\hat\Sigma` would miss :math:`\alpha(S\cdot\hat\mu)^2` (negative control).

>>> from proofs_check.tikhonov import tikhonov_identity
>>> tikhonov_identity(3, 2).proved
True
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp

from core.claims import CheckResult, register

from proofs_check._identity import Proof

__all__ = ["ALPHA_T", "per_sample_identity", "tikhonov_identity", "multiclass_identity",
           "tikhonov_numeric", "check_b13"]

ALPHA_T = sp.Symbol("alpha", positive=True)


def per_sample_identity(d: int) -> bool:
    r""":math:`(S\cdot x)^2 = S^\top(xx^\top)S` for symbolic :math:`S, x \in \mathbb R^d`."""
    S = sp.Matrix(sp.symbols(f"s1:{d + 1}", real=True))
    x = sp.Matrix(sp.symbols(f"x1:{d + 1}", real=True))
    return sp.expand((S.T * x)[0] ** 2 - (S.T * (x * x.T) * S)[0]) == 0


def _data(n, d):
    return sp.Matrix(n, d, lambda i, j: sp.Symbol(f"x{i}{j}", real=True))


def tikhonov_identity(n: int, d: int, *, covariance: str = "non-centred",
                      normalise: bool = True) -> Proof:
    r"""For symbolic data :math:`x_1..x_N \in \mathbb R^d`, :math:`S` and :math:`\alpha`:
    :math:`\frac\alpha N\sum_i(S\cdot x_i)^2 = \alpha S^\top\tilde\Sigma S` and
    :math:`\alpha\sum_i(S\cdot x_i)^2 = \alpha N S^\top\tilde\Sigma S`.

    ``covariance="centred"`` uses :math:`\hat\Sigma` instead, ``normalise=False`` drops the
    :math:`1/N` in the first form: both are negative controls that must not be proved.
    The spot error is the 50-digit difference on random data (averaged form)."""
    X = _data(n, d)
    S = sp.Matrix(sp.symbols(f"s1:{d + 1}", real=True))
    mean = sp.Matrix([sum(X[i, j] for i in range(n)) / n for j in range(d)])
    if covariance == "non-centred":
        cov = X.T * X / n
    elif covariance == "centred":
        centred = X - sp.ones(n, 1) * mean.T
        cov = centred.T * centred / n
    else:
        raise ValueError(f"covariance must be 'non-centred' or 'centred'. "
                         f"Got {covariance!r} instead.")
    quad = (S.T * cov * S)[0]
    total = sum((X.row(i) * S)[0] ** 2 for i in range(n))
    averaged = ALPHA_T * total / (n if normalise else 1)
    ok_avg = sp.expand(averaged - ALPHA_T * quad) == 0
    ok_sum = sp.expand(ALPHA_T * total - ALPHA_T * n * quad) == 0
    fn = sp.lambdify((ALPHA_T, *X, *S), averaged - ALPHA_T * quad, "mpmath")
    rng = random.Random(n * 10 + d)
    with mpmath.workdps(50):
        vals = [mpmath.mpf(rng.uniform(-3, 3)) for _ in range(1 + n * d + d)]
        vals[0] = abs(vals[0]) + mpmath.mpf("0.1")
        spot = abs(fn(*vals))
    route = (f"N={n}, d={d}: expand((alpha/N) sum (S.x_i)^2 - alpha S^T Sigma S) = 0: {ok_avg}; "
             f"summed form alpha N S^T Sigma S: {ok_sum}")
    return Proof((ok_avg and ok_sum, route, float(spot)))


def multiclass_identity(n: int, d: int, k: int) -> bool:
    r""":math:`\frac\alpha N\sum_i\|Wx_i\|^2 = \alpha\operatorname{tr}(W\tilde\Sigma W^\top)`
    for symbolic :math:`W \in \mathbb R^{K\times d}` and data."""
    X = _data(n, d)
    W = sp.Matrix(k, d, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
    lhs = ALPHA_T / n * sum(sum(e**2 for e in W * X.row(i).T) for i in range(n))
    return sp.expand(lhs - ALPHA_T * (W * (X.T * X / n) * W.T).trace()) == 0


def tikhonov_numeric(seed: int, n: int = 40, d: int = 6) -> float:
    r"""50 digits on random data: :math:`|\frac1N\sum(S\cdot x_i)^2 - S^\top\tilde\Sigma S|`
    relative to the value, :math:`\tilde\Sigma` accumulated independently of the sum."""
    rng = random.Random(seed)
    with mpmath.workdps(50):
        X = [[mpmath.mpf(rng.gauss(0.5, 1)) for _ in range(d)] for _ in range(n)]
        S = mpmath.matrix([mpmath.mpf(rng.gauss(0, 1)) for _ in range(d)])
        lhs = mpmath.fsum(mpmath.fsum(s * x for s, x in zip(S, row)) ** 2 for row in X) / n
        cov = mpmath.matrix(d, d)
        for row in X:
            v = mpmath.matrix(row)
            cov += v * v.T
        rhs = (S.T * (cov / n) * S)[0]
        return float(abs(lhs - rhs) / abs(rhs))


@register("B13", "quadratic logit regularisation = Tikhonov: (alpha/N) sum (S.x_i)^2 = "
                 "alpha S^T Sigma~ S, Sigma~ = (1/N) sum x_i x_i^T")
def check_b13(full: bool = False) -> CheckResult:
    r"""Claim B13, the identity (App. E.4); the weight-decay accuracy contrast is numeric."""
    ev = {}
    ok = True
    for d in (2, 3, 5):
        ev[f"per-sample (S.x)^2 = S^T x x^T S, d={d}"] = per_sample_identity(d)
        ok &= ev[f"per-sample (S.x)^2 = S^T x x^T S, d={d}"]
    spot = 0.0
    for n, d in ((3, 2), (2, 3)) + (((5, 4),) if full else ()):
        proof = tikhonov_identity(n, d)
        ev[f"N={n}, d={d}"] = proof[1]
        ok &= proof.proved
        spot = max(spot, proof[2])
    ev["max 50-digit spot error (symbolic forms)"] = spot
    ev["multiclass: (alpha/N) sum |W x_i|^2 = alpha tr(W Sigma~ W^T), N=3,d=2,K=3"] = \
        multiclass_identity(3, 2, 3)
    ok &= ev["multiclass: (alpha/N) sum |W x_i|^2 = alpha tr(W Sigma~ W^T), N=3,d=2,K=3"]
    rel = max(tikhonov_numeric(seed) for seed in range(5 if full else 2))
    ev["random data N=40, d=6: relative difference (50 digits)"] = rel
    control = tikhonov_identity(3, 2, covariance="centred")
    ev["control: centred covariance proved (must be False)"] = control.proved
    ok &= spot < 1e-40 and rel < 1e-45 and not control.proved
    return CheckResult("B13", "quadratic logit regulariser = alpha S^T Sigma~ S (Tikhonov)", ev,
                       "exact polynomial identities; 50-digit differences < 1e-40 (spot) and "
                       "< 1e-45 relative (N=40 sums, round-off ~1e-49)", bool(ok))
