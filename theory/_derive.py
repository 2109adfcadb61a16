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

import sympy as sp

from theory._cache import disk_cached
from theory._budget import simplify_or_keep, within_budget
from core.errors import InvalidParameterError
from theory._functions import Softplus
from theory._properties import Property
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
    r"""Does :math:`\ell` attain a finite global minimum for every
    :math:`\alpha \in (0, \alpha_{max})`? Decided by :func:`theory._hypotheses.finite_minimum`
    (proof, witness or "unknown"; docs/theory.md §1)."""
    from theory._hypotheses import finite_minimum as decide

    return decide(regularizer)
