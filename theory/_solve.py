r"""Symbolic helpers shared by the binary and multiclass derivations.

* :func:`drop_dirac` -- the almost-everywhere part of a derivative of a non-smooth form;
* :func:`one_sided_limit` -- SymPy's limit with a 40-digit evaluation as fallback;
* :func:`closed_form_inverse` -- solve :math:`\alpha(v) = a` for ``v`` when, after
  :math:`v = s\log x`, the condition is rational in ``x`` (label smoothing, MaxSup).
"""

from __future__ import annotations

import mpmath
import sympy as sp

from theory._budget import within_budget
from theory._functions import to_elementary
from theory._registry import ALPHA

__all__ = ["drop_dirac", "one_sided_limit", "closed_form_inverse"]

_X = sp.Symbol("x", positive=True)
_A = sp.Symbol("a", positive=True)


def drop_dirac(expr):
    """Replace every ``DiracDelta(.)`` by 0 (the a.e. value of a kinked form's derivative)."""
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)


def one_sided_limit(expr, var, point, direction="+"):
    """``lim expr`` as ``var -> point``; SymPy first, a 40-digit evaluation as fallback."""
    el = to_elementary(expr)
    try:
        value = within_budget(sp.limit, el, var, point, direction, fallback=sp.nan)
        if value.is_number and value is not sp.nan and not value.has(sp.AccumBounds, sp.Limit):
            return sp.nsimplify(value) if value.is_Float else value
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        pass
    probe = sp.Rational(1, 10**30) if point == 0 else sp.Integer(700)
    return sp.Float(sp.N(el.subs(var, probe), 40), 30)


def closed_form_inverse(alpha_expr, var, *, scales=(1,), probes=(sp.Rational(1, 10),
                                                                  sp.Rational(3, 10))):
    r"""Solve :math:`\alpha(v) = \alpha` for ``v > 0`` in closed form, or return ``None``.

    Substitutes :math:`v = s\log x` for each ``s`` in ``scales`` until the equation is
    rational in ``x``, solves the numerator polynomial, and keeps the root that is real,
    positive and satisfies :math:`|\alpha(v(a)) - a| < 10^{-30}` at 40 digits for every
    probe ``a`` (probes must lie in the non-degenerate range).
    """
    for scale in scales:
        el = sp.powsimp(sp.expand(to_elementary(alpha_expr).subs(var, scale * sp.log(_X))),
                        force=True)
        el = sp.simplify(el)
        if el.is_rational_function(_X):
            break
    else:
        return None
    num, _ = sp.fraction(sp.together(el - _A))
    try:
        roots = sp.solve(sp.expand(num), _X)
    except (NotImplementedError, ValueError):
        return None
    fa = sp.lambdify(var, to_elementary(alpha_expr), "mpmath")
    for root in roots:
        cand = sp.simplify(scale * sp.log(root))
        if all(_root_ok(cand, fa, sp.nsimplify(a)) for a in probes):
            return sp.simplify(sp.logcombine(cand, force=True).subs(_A, ALPHA))
    return None


def _root_ok(cand, fa, a) -> bool:
    value = sp.N(cand.subs(_A, a), 40)
    if not value.is_real or value <= 0:
        return False
    with mpmath.workdps(40):
        return abs(fa(mpmath.mpf(str(value))) - mpmath.mpf(a.p) / a.q) < mpmath.mpf(10) ** -30
