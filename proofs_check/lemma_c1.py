r"""Lemma C.1 (step (c) of claim B3, docs/theory.md §2): for convex :math:`g` and a
zero-mean :math:`X`, :math:`\lambda \mapsto E[g(\lambda X)]` is non-decreasing on
:math:`\lambda > 0`, because

.. math::
    \frac{d}{d\lambda}E[g(\lambda X)] = E[X(g'(\lambda X) - g'(0))],\qquad
    x(g'(\lambda x) - g'(0)) = \lambda x^2\int_0^1 g''(\lambda x u)\,du \ge 0 .

Proved symbolically for a 3-atom zero-mean X with symbolic atoms and weights, and checked
at 50 digits on random convex ``g`` and random 5-atom X (used by
:func:`proofs_check.cv_minimisation.check_b3`).
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp

from proofs_check._identity import Ell, EllP, EllPP, Proof

__all__ = ["lemma_c1_symbolic", "lemma_c1_numeric", "random_convex", "random_zero_mean"]



def lemma_c1_symbolic(zero_mean: bool = True) -> Proof:
    r"""Lemma C.1 for :math:`X` with atoms :math:`x_1, x_2, x_3` (real, symbolic) and
    weights :math:`p_i > 0`, :math:`\sum p_i x_i = 0`, generic ``g``:

    1. :math:`\frac{d}{d\lambda}\sum p_i g(\lambda x_i) = \sum p_i x_i g'(\lambda x_i)`;
    2. that equals :math:`\sum p_i x_i (g'(\lambda x_i) - g'(0))` under the zero mean
       (eliminating :math:`x_3`);
    3. each term: :math:`x(g'(\lambda x) - g'(0)) = \lambda x^2\int_0^1 g''(\lambda x u)du`
       (the antiderivative :math:`g'(\lambda x u)` of the integrand is checked by
       differentiation), and :math:`\lambda x^2 \ge 0` by SymPy's assumptions.

    ``zero_mean=False`` drops the hypothesis :math:`E[X] = 0` (step 2 must then fail).
    """
    lam = sp.Symbol("lambda", positive=True)
    u = sp.Symbol("u", real=True)
    x = sp.symbols("x1:4", real=True)
    p = sp.symbols("p1:4", positive=True)
    g, gp, gpp = Ell, EllP, EllPP   # generic g with g' = gp, g'' = gpp
    e = sum(pi * g(lam * xi) for pi, xi in zip(p, x))
    de = sp.diff(e, lam)
    step1 = sp.simplify(de - sum(pi * xi * gp(lam * xi) for pi, xi in zip(p, x))) == 0
    centred = sum(pi * xi * (gp(lam * xi) - gp(0)) for pi, xi in zip(p, x))
    mean_zero = {x[2]: -(p[0] * x[0] + p[1] * x[1]) / p[2]} if zero_mean else {}
    step2 = sp.simplify((de - centred).subs(mean_zero)) == 0
    xs = sp.Symbol("x", real=True)
    antider = gp(lam * xs * u)                  # d/du gp(l x u) = l x gpp(l x u)
    step3 = sp.simplify(sp.diff(antider, u) - lam * xs * gpp(lam * xs * u)) == 0
    ftc = antider.subs(u, 1) - antider.subs(u, 0)
    step3 = step3 and sp.simplify(ftc - (gp(lam * xs) - gp(0))) == 0
    step3 = step3 and bool((lam * xs**2).is_nonnegative)
    ok = step1 and step2 and step3
    return Proof((ok, f"d/dlambda: {step1}; zero mean removes g'(0): {step2}; "
                      f"x(g'(lx)-g'(0)) = l x^2 int_0^1 g'' with l x^2 >= 0: {step3}", 0.0))


def random_convex(seed: int):
    r"""A random convex ``(g, g')`` pair (mpmath):
    :math:`g(s) = c s^2 + \sum_k w_k \operatorname{softplus}(a_k s + b_k) + v|s - s_0|`,
    all weights :math:`\ge 0`."""
    rng = random.Random(seed)
    c, v, s0 = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(-1, 1)
    terms = [(rng.uniform(0, 2), rng.uniform(-3, 3), rng.uniform(-2, 2)) for _ in range(3)]

    def g(s):
        return c * s**2 + sum(w * mpmath.log1p(mpmath.exp(a * s + b)) for w, a, b in terms) \
            + v * abs(s - s0)

    def dg(s):
        return 2 * c * s + sum(w * a / (1 + mpmath.exp(-(a * s + b))) for w, a, b in terms) \
            + v * mpmath.sign(s - s0)

    return g, dg


def lemma_c1_numeric(g, dg, atoms, probs, lambdas) -> dict:
    r"""At 50 digits, for a discrete :math:`X` (``atoms``, ``probs``): the smallest
    increment of :math:`E[g(\lambda X)]` along the sorted ``lambdas`` and the smallest
    :math:`E[Xg'(\lambda X)]`; both :math:`\ge 0` under Lemma C.1's hypotheses."""
    with mpmath.workdps(50):
        atoms = [mpmath.mpf(a) for a in atoms]
        probs = [mpmath.mpf(p) for p in probs]
        lams = sorted(mpmath.mpf(x) for x in lambdas)
        vals = [sum(p * g(lam * a) for a, p in zip(atoms, probs)) for lam in lams]
        slopes = [sum(p * a * dg(lam * a) for a, p in zip(atoms, probs)) for lam in lams]
        return {"min increment": float(min(b - a for a, b in zip(vals, vals[1:]))),
                "min E[X g'(lX)]": float(min(slopes)),
                "mean": float(sum(a * p for a, p in zip(atoms, probs)))}


def random_zero_mean(seed: int, n: int = 5):
    """Random atoms and weights of a discrete zero-mean X (50 digits)."""
    rng = random.Random(seed)
    with mpmath.workdps(50):
        probs = [mpmath.mpf(rng.uniform(0.1, 1)) for _ in range(n)]
        total = sum(probs)
        probs = [p / total for p in probs]
        atoms = [mpmath.mpf(rng.uniform(-3, 3)) for _ in range(n)]
        mean = sum(a * p for a, p in zip(atoms, probs))
        return [a - mean for a in atoms], probs
