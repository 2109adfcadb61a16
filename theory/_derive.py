r"""Binary derivations (docs/theory.md §1): loss, stationarity, :math:`\alpha(t^*)`, target.

.. math::
    \ell(t) = (1-\alpha)\,\operatorname{softplus}(-t) + \alpha f(t),\qquad
    \ell'(t) = 0 \iff \alpha(t^*) = \frac{\ell_{CE}'(t^*)}{\ell_{CE}'(t^*) - f'(t^*)}.

The stationarity condition is linear in :math:`\alpha`; its solution :math:`\alpha(t)`
is derived by SymPy, not typed. The target :math:`t^*(\alpha)` is SymPy's closed form
when the condition becomes rational in :math:`x = e^{t}` (label smoothing, MaxSup);
otherwise it is the monotone inverse of :math:`\alpha(t)`, solved numerically in
:mod:`numerics`. Because :math:`f` is even and :math:`\ell_{CE}` decreasing,
:math:`t^* \ge 0`, so everything is derived on :math:`t > 0` (where ``|t| = t``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import sympy as sp

from theory._cache import disk_cached
from theory._budget import simplify_or_keep, within_budget
from core.errors import InvalidParameterError
from theory._functions import Softplus, to_elementary
from theory._properties import Property, check_convex, check_even
from theory._registry import ALPHA, T, Regularizer, get_regularizer
from theory._solve import closed_form_inverse, drop_dirac, one_sided_limit

__all__ = ["BinaryDerivation", "derive_binary", "cross_entropy"]

_TP = sp.Symbol("t", positive=True)


def cross_entropy(t=T) -> sp.Expr:
    r""":math:`\ell_{CE}(t) = \log(1 + e^{-t}) = \operatorname{softplus}(-t)` (stable form)."""
    return Softplus(-t)


@dataclass(frozen=True)
class BinaryDerivation:
    r"""Everything derived for one regulariser in the binary case (claims B1, B7).

    Attributes
    ----------
    loss, dloss, d2loss : sympy.Expr
        :math:`\ell, \ell', \ell''` in ``(T, ALPHA)``; for non-smooth ``f`` the Dirac part
        of :math:`\ell''` is dropped (``smooth=False`` flags it).
    stationarity : sympy.Eq
        :math:`\ell'(t) = 0`.
    alpha_of_target : sympy.Expr
        :math:`\alpha(t)` solving the stationarity condition, valid for ``t > 0``.
    target_closed_form : sympy.Expr or None
        :math:`t^*(\alpha)` in ``ALPHA`` when SymPy finds it, else ``None``.
    alpha_max : sympy.Expr
        :math:`\alpha(0^+)`: for :math:`\alpha \ge` ``alpha_max`` the target is pinned at
        ``t* = 0`` (degenerate); 1 for smooth ``f``.
    alpha_at_infinity : sympy.Expr
        :math:`\lim_{t\to\infty}\alpha(t)` (0 when every small α has a finite target).
    """

    regularizer: Regularizer
    f: sp.Expr
    loss: sp.Expr
    dloss: sp.Expr
    d2loss: sp.Expr
    stationarity: sp.Eq
    alpha_of_target: sp.Expr
    target_closed_form: sp.Expr | None
    alpha_max: sp.Expr
    alpha_at_infinity: sp.Expr
    smooth: bool

    @property
    def curvature(self) -> sp.Expr:
        r"""Curvature :math:`\ell''(t)`; evaluate at :math:`t^*` for the target's curvature."""
        return self.d2loss


@functools.lru_cache(maxsize=64)
@disk_cached
def derive_binary(regularizer) -> BinaryDerivation:
    r"""Derive :math:`\ell, \ell', \ell''`, stationarity, :math:`\alpha(t^*)` and the
    closed-form target (claims B1, B2, B7; docs/theory.md §1).

    >>> d = derive_binary("label_smoothing")
    >>> d.target_closed_form
    log((2 - alpha)/alpha)
    """
    reg = get_regularizer(regularizer)
    f = reg.binary
    loss = (1 - ALPHA) * cross_entropy(T) + ALPHA * f
    dloss = sp.diff(loss, T)
    raw_d2 = sp.diff(dloss, T)
    smooth = not raw_d2.has(sp.DiracDelta) and not f.has(sp.Abs, sp.Max, sp.Min, sp.sign)
    d2loss = drop_dirac(raw_d2)

    dl_pos = dloss.subs(T, _TP)
    if simplify_or_keep(sp.diff(dl_pos, ALPHA, 2)) != 0:
        raise InvalidParameterError(f"stationarity of {reg.name!r} is not linear in alpha")
    c1 = sp.diff(dl_pos, ALPHA)
    c0 = dl_pos.subs(ALPHA, 0)
    if simplify_or_keep(c1) == 0:
        raise InvalidParameterError(
            f"regulariser {reg.name!r} has f'(t) = l_CE'(t) for t > 0; alpha has no effect")
    alpha_t = simplify_or_keep(-c0 / c1).subs(_TP, T)

    alpha_max = one_sided_limit(alpha_t, T, 0, "+")
    alpha_inf = one_sided_limit(alpha_t, T, sp.oo)
    amax = float(alpha_max) if alpha_max.is_number else 1.0
    # A closed form is a bonus; without one, t*(alpha) is found numerically.
    target = within_budget(closed_form_inverse, alpha_t, T, fallback=None,
                           probes=[sp.Rational(k, 7) * sp.nsimplify(amax) for k in (1, 3, 6)])
    return BinaryDerivation(reg, f, loss, dloss, d2loss, sp.Eq(dloss, 0), alpha_t, target,
                            alpha_max, alpha_inf, smooth)


def finite_minimum(regularizer) -> Property:
    r"""Does :math:`\ell` have a finite global minimiser for every
    :math:`\alpha \in (0, \alpha_{max})`?

    Proof route: ``f`` even and convex gives :math:`f' \ge 0` on ``t > 0``, so
    :math:`\alpha(t) \in (0, 1]` is continuous from :math:`\alpha(0^+)` to
    :math:`\lim_{t\to\infty}\alpha(t) = 0`: the convex :math:`\ell` has a stationary point.
    Otherwise: limits of :math:`\ell` at :math:`\pm\infty` and a 30-digit grid search.
    """
    d = derive_binary(regularizer)
    convex = check_convex(d.f, T)
    even = check_even(d.f, T)
    if convex.value and even.value and d.alpha_at_infinity == 0:
        return Property(True, "proved",
                        f"f even and convex, alpha(t) runs from alpha(0+)={d.alpha_max} "
                        f"to 0 as t -> oo: a stationary point exists for every alpha")
    mono = _alpha_monotone(d)
    if even.value and d.alpha_at_infinity == 0 and mono is not None:
        return Property(True, "numeric",
                        f"f even; alpha(t) > 0 strictly decreasing to 0 and f' - l_CE' > 0 on "
                        f"{mono} log-spaced points in [1e-6, 1e4] (30 digits): l' changes sign "
                        f"once on t > 0 at t*, and l(-t) > l(t)")
    for a in (sp.Rational(1, 100), sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10)):
        la = d.loss.subs(ALPHA, a)
        tails = []
        for end in (sp.oo, -sp.oo):
            lim = one_sided_limit(la, T, end, "-" if end == sp.oo else "+")
            if lim == -sp.oo or (lim.is_number and lim.is_extended_real and lim < -1e100):
                return Property(False, "counterexample",
                                f"loss -> -oo as t -> {end} at alpha={a}: unbounded below")
            if lim.is_number and lim.is_finite:
                with mpmath.workdps(30):
                    tails.append((end, mpmath.mpf(str(sp.N(lim, 30)))))
        fn = sp.lambdify(T, to_elementary(la), "mpmath")
        grid = sorted({s * x for x in _LOG_GRID for s in (-1, 1)})
        with mpmath.workdps(30):
            values = [fn(x) for x in grid]
            k = min(range(len(values)), key=lambda i: values[i])
            stuck = [(end, lim) for end, lim in tails if values[k] >= lim - mpmath.mpf(10) ** -20]
        for end, lim in stuck:
            # The infimum is the tail limit and is not attained at any finite t.
            return Property(False, "counterexample",
                            f"at alpha={a} inf loss = {mpmath.nstr(lim, 8)} is the limit "
                            f"t -> {end}, not attained at any finite t")
        if k in (0, len(values) - 1):
            return Property(False, "counterexample",
                            f"at alpha={a} the loss keeps decreasing to t={mpmath.nstr(grid[k], 4)}: "
                            f"no finite minimiser in [-1e4, 1e4]")
    return Property(True, "numeric",
                    "interior global minimum on a log grid in [-1e4, 1e4] for "
                    "alpha in {0.01, 0.1, 0.5, 0.9}, loss bounded below at +-oo")


_LOG_GRID = [mpmath.mpf(10) ** (mpmath.mpf(k) / 40 - 6) for k in range(0, 401)]


def _alpha_monotone(d: BinaryDerivation):
    """Number of grid points if alpha(t) > 0 decreases strictly and f' - l_CE' > 0, else None."""
    fa = sp.lambdify(T, to_elementary(d.alpha_of_target), "mpmath")
    gap = sp.lambdify(T, to_elementary(sp.diff(d.f, T) - sp.diff(cross_entropy(T), T)), "mpmath")
    with mpmath.workdps(30):
        prev = None
        for x in _LOG_GRID:
            a = fa(x)
            if not (a > 0) or (prev is not None and not a < prev) or not gap(x) > 0:
                return None
            prev = a
    return len(_LOG_GRID)
