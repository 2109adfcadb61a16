r"""The stationary point of a compiled one-dimensional loss (claims B1, B7, M1).

:math:`t^*(\alpha)`, the positive root of :math:`\ell'(t) = 0`: zero in the degenerate
range :math:`\alpha \ge \alpha_{max}`, the closed form when SymPy found one, else a Brent
root bracketed by doubling and polished by Newton steps. Pure numerics on compiled
callables (no SymPy), shared by :mod:`.compiled` and the proportional-limit theory.
"""

from __future__ import annotations

import mpmath
import numpy as np
from scipy import optimize

from core.errors import ConvergenceError

__all__ = ["T_MAX", "stationary_point"]

#: Largest ``|t|`` at which the compiled functions are guaranteed finite and warning-free.
T_MAX = 1.0e4


def _newton_polish(dfun, d2fun, t, args, steps=3):
    """A few Newton steps on ``dfun = 0``; each accepted only if it reduces ``|dfun|``."""
    r = abs(dfun(t, *args))
    for _ in range(steps):
        h = d2fun(t, *args)
        if not np.isfinite(h) or h <= 0:
            break
        cand = t - dfun(t, *args) / h
        rc = abs(dfun(cand, *args))
        if not rc < r:
            break
        t, r = cand, rc
    return t


def _bracket_root(dfun, args, mp_dfun=None, lo=0.0):
    """Root of ``dfun(t) = 0`` on ``(lo, T_MAX]`` with ``dfun(lo) < 0``, by doubling.

    When the float64 derivative underflows to exactly 0 before changing sign (targets
    beyond t ~ 700, e.g. the confidence penalty at tiny alpha), the bracket and the root
    are found with the mpmath derivative at 30 digits instead.
    """
    hi = 1.0
    while True:
        value = dfun(hi, *args)
        if value > 0:
            break
        if value == 0.0 and mp_dfun is not None:
            return _mp_bracket_root(mp_dfun, args, lo)
        lo, hi = hi, 2 * hi
        if hi > T_MAX:
            raise ConvergenceError(
                f"no stationary point with t <= {T_MAX:g} (alpha = {args[0]!r} too small)")
    return optimize.brentq(dfun, lo, hi, args=args, xtol=1e-300,
                           rtol=4 * np.finfo(float).eps, maxiter=500)


def _mp_bracket_root(mp_dfun, args, lo):
    with mpmath.workdps(30):
        margs = [mpmath.mpf(repr(float(a))) for a in args]
        lo, hi = mpmath.mpf(lo), mpmath.mpf(max(lo, 1.0))
        while mp_dfun(hi, *margs) < 0:
            lo, hi = hi, 2 * hi
            if hi > 4 * T_MAX:
                raise ConvergenceError(
                    f"no stationary point with t <= {T_MAX:g} (alpha = {args[0]!r} too small)")
        # Bisection on the sign: the derivative is ~1e-400 here, below any absolute
        # tolerance findroot would use, but its sign is exact at 30 digits.
        while hi - lo > 1e-17 * hi:
            mid = (lo + hi) / 2
            if mp_dfun(mid, *margs) < 0:
                lo = mid
            else:
                hi = mid
        return float((lo + hi) / 2)


def stationary_point(a, alpha_max, closed, dfun, d2fun, mp_dfun) -> float:
    """The positive root of ``dfun(., a) = 0``: 0 in the degenerate range, the closed form
    when there is one, else a bracketed Brent root polished by Newton."""
    if a >= alpha_max:
        return 0.0  # degenerate range: the kink of a non-smooth f pins the target at 0
    if closed is not None:
        return float(closed(a))
    root = _bracket_root(dfun, (a,), mp_dfun)
    return float(_newton_polish(dfun, d2fun, root, (a,)))
