r"""Claim B9 (Prop. 6.1, Eqs. 4-5): the alignment law cancels :math:`\sigma_n` from the
Gaussian test accuracy, proved symbolically.

A unit :math:`S = \rho e_1 + \sqrt{1-\rho^2}\,e_\perp` applied to
:math:`y x = \mu_f e_1 + \sigma_f\xi_f e_1 + \sigma_n\xi_\perp` gives the signed logit
:math:`N(\rho\mu_f,\ \rho^2\sigma_f^2 + (1-\rho^2)\sigma_n^2)`, hence (Eq. 5)

.. math::
    A = P(\text{logit} > 0) = \tfrac12\Big[1 + \operatorname{erf}\Big(
        \frac{\rho\mu_f}{\sqrt{2(\rho^2\sigma_f^2 + (1-\rho^2)\sigma_n^2)}}\Big)\Big].

With the alignment law (Eq. 4) :math:`\rho = 1/\sqrt{1 + (C/\sigma_n)^2}`:
:math:`\rho^2 = \sigma_n^2/(\sigma_n^2 + C^2)`, :math:`(1-\rho^2)\sigma_n^2 = \rho^2C^2`, so

.. math::
    A = \tfrac12\Big[1 + \operatorname{erf}\Big(\frac{\mu_f}{\sqrt{2(\sigma_f^2 + C^2)}}\Big)\Big],

independent of :math:`\sigma_n`. Eq. 4 is equivalently :math:`1/\rho^2 = 1 + C^2/\sigma_n^2`
(linear in :math:`1/\sigma_n^2`). All symbols positive.

>>> from proofs_check.invariance import cancellation
>>> cancellation().proved
True
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp

from core.claims import CheckResult, register

from proofs_check._identity import Proof

__all__ = ["MU_F", "SIGMA_F", "SIGMA_N", "C", "alignment_law", "accuracy_eq5",
           "eq5_from_gaussian", "cancellation", "check_b9"]

MU_F, SIGMA_F, SIGMA_N, C = sp.symbols("mu_f sigma_f sigma_n C", positive=True)


def alignment_law(sigma_n=SIGMA_N, c=C):
    r"""Eq. 4: :math:`\rho = 1/\sqrt{1 + (C/\sigma_n)^2}`."""
    return 1 / sp.sqrt(1 + (c / sigma_n) ** 2)


def accuracy_eq5(rho, mu_f=MU_F, sigma_f=SIGMA_F, sigma_n=SIGMA_N):
    r"""Eq. 5: :math:`\tfrac12[1 + \operatorname{erf}(\rho\mu_f/\sqrt{2(\rho^2\sigma_f^2 +
    (1-\rho^2)\sigma_n^2)})]`."""
    return (1 + sp.erf(rho * mu_f / sp.sqrt(2 * (rho**2 * sigma_f**2
                                                 + (1 - rho**2) * sigma_n**2)))) / 2


def eq5_from_gaussian() -> bool:
    r"""Eq. 5 itself: SymPy integrates the :math:`N(m, v)` density over :math:`(0,\infty)`
    and gets :math:`\tfrac12[1+\operatorname{erf}(m/\sqrt{2v})]`, with
    :math:`m = \rho\mu_f`, :math:`v = \rho^2\sigma_f^2 + (1-\rho^2)\sigma_n^2` (the variance
    of :math:`\rho\sigma_f\xi_f + \sqrt{1-\rho^2}\sigma_n\xi` for independent unit
    :math:`\xi`'s, expanded symbolically)."""
    z, m = sp.Symbol("z", real=True), sp.Symbol("m", real=True)
    v = sp.Symbol("v", positive=True)
    density = sp.exp(-(z - m) ** 2 / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    prob = sp.integrate(density, (z, 0, sp.oo))
    ok = sp.simplify(prob.rewrite(sp.erf) - (1 + sp.erf(m / sp.sqrt(2 * v))) / 2) == 0
    rho = sp.Symbol("rho", positive=True)
    # Var(a xi_1 + b xi_2) = a^2 + b^2 for independent standard xi's:
    a, b = rho * SIGMA_F, sp.sqrt(1 - rho**2) * SIGMA_N
    ok = ok and sp.expand(a**2 + b**2 - (rho**2 * SIGMA_F**2 + (1 - rho**2) * SIGMA_N**2)) == 0
    return bool(ok)


def cancellation(rho=None, *, seed: int = 0, points: int = 12) -> Proof:
    r"""Substitute ``rho`` (default: Eq. 4) into Eq. 5 and prove it equals
    :math:`\tfrac12[1+\operatorname{erf}(\mu_f/\sqrt{2(\sigma_f^2+C^2)})]`: ``simplify`` of
    the difference of the erf arguments (erf is injective) and of
    :math:`\partial A/\partial\sigma_n`. The spot error is the largest 50-digit
    :math:`|A - A_{\rm target}|` over random positive parameters. A different
    :math:`\sigma_n` dependence of ``rho`` must fail (negative control)."""
    rho = alignment_law() if rho is None else rho
    acc = accuracy_eq5(rho)
    target = (1 + sp.erf(MU_F / sp.sqrt(2 * (SIGMA_F**2 + C**2)))) / 2
    arg = [a for a in sp.preorder_traversal(acc) if isinstance(a, sp.erf)][0].args[0]
    arg_t = [a for a in sp.preorder_traversal(target) if isinstance(a, sp.erf)][0].args[0]
    same_arg = sp.simplify(arg - arg_t) == 0
    flat = sp.simplify(sp.diff(acc, SIGMA_N)) == 0
    rng = random.Random(seed)
    fa = sp.lambdify((MU_F, SIGMA_F, SIGMA_N, C), acc, "mpmath")
    ft = sp.lambdify((MU_F, SIGMA_F, SIGMA_N, C), target, "mpmath")
    worst = mpmath.mpf(0)
    with mpmath.workdps(50):
        for _ in range(points):
            vals = [mpmath.mpf(rng.uniform(0.05, 3)) for _ in range(4)]
            worst = max(worst, abs(fa(*vals) - ft(*vals)))
    route = (f"simplify(erf argument - mu_f/sqrt(2(sigma_f^2+C^2))) = 0: {same_arg}; "
             f"simplify(dA/dsigma_n) = 0: {flat}")
    return Proof((same_arg and flat, route, float(worst)))


@register("B9", "Eq. 4 -> Eq. 5: rho = 1/sqrt(1+(C/sigma_n)^2) cancels sigma_n: "
                "A = (1 + erf(mu_f/sqrt(2(sigma_f^2+C^2))))/2")
def check_b9(full: bool = False) -> CheckResult:
    r"""Claim B9, Eqs. 4-5 (symbolic; the numeric invariance is checked elsewhere)."""
    proof = cancellation(points=40 if full else 12)
    ev = {"cancellation": proof[1], "max 50-digit |A - A_target|": proof[2]}
    ev["Eq. 5 = P(N(rho mu_f, v) > 0) (sympy integrate)"] = eq5_from_gaussian()
    rho = alignment_law()
    linear = sp.simplify(1 / rho**2 - (1 + C**2 / SIGMA_N**2)) == 0
    ev["Eq. 4: 1/rho^2 = 1 + C^2/sigma_n^2 (linear in 1/sigma_n^2)"] = linear
    control = cancellation(1 / sp.sqrt(1 + C / SIGMA_N))
    ev["control rho = 1/sqrt(1+C/sigma_n): proved (must be False)"] = control.proved
    ev["control: max 50-digit |A - A_target|"] = control[2]
    eq5 = ev["Eq. 5 = P(N(rho mu_f, v) > 0) (sympy integrate)"]
    ok = (proof.proved and proof[2] < 1e-45 and eq5 and linear
          and not control.proved and control[2] > 1e-6)
    return CheckResult("B9", "Eq. 4 -> 5: sigma_n cancels from the Gaussian accuracy", ev,
                       "symbolic proof; 50-digit |difference| < 1e-45 for O(1) values; "
                       "the control (wrong sigma_n dependence) must fail", bool(ok))
