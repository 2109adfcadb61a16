r"""Check D1: compiled targets equal an independent 50-digit minimisation (docs/theory.md §1).

The independent route minimises :math:`\ell(t)` directly: golden-section search on the
mpmath loss built from the *elementary* form (``exp``/``log``, not the stable primitives)
and never touches :math:`\ell'` or :math:`\alpha(t)`.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from core.claims import CheckResult, register
from theory import ALPHA, T, derive_binary, list_regularizers, to_elementary

from numerics.compile.compiled import compile_binary

__all__ = ["SIZES", "mp_minimise_loss", "check_targets"]

#: Sizes of check D1 (default, ``--full``): the alphas at which every built-in's target is
#: compared.
SIZES = {
    "default": dict(alphas=(1e-3, 0.05, 0.2, 0.5, 0.9)),
    "full": dict(alphas=(1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99)),
}


def mp_minimise_loss(regularizer, alpha, *, dps: int = 50, hi=None):
    r"""Global minimiser of :math:`\ell(t)` on :math:`[0, hi]` at ``dps`` digits by
    golden-section search (valid because :math:`\ell` is unimodal on ``t >= 0`` for every
    built-in; :math:`t^* \ge 0` since ``f`` is even). Independent of the derivative."""
    d = derive_binary(regularizer)
    expr = to_elementary(d.loss.subs(ALPHA, sp.Rational(str(alpha))))
    fn = sp.lambdify(T, expr, "mpmath")

    def digits(b):
        # log(1 + e^{-t}) in elementary form needs ~t/ln(10) extra digits to keep e^{-t}.
        return dps + 10 + int(mpmath.mpf(b) / 2.3)

    b = mpmath.mpf(hi if hi is not None else 50)
    while hi is None:  # widen until the loss rises again
        with mpmath.workdps(digits(4 * b)):
            if not fn(2 * b) < fn(b):
                break
        b *= 2
    b *= 2
    with mpmath.workdps(digits(b)):
        a = mpmath.mpf(0)
        b = mpmath.mpf(b)
        inv_phi = (mpmath.sqrt(5) - 1) / 2
        c, e = b - inv_phi * (b - a), a + inv_phi * (b - a)
        fc, fe = fn(c), fn(e)
        # Golden section shrinks by 0.618 a step; function flatness limits it to about
        # half the working digits, so iterate until the bracket is below 10^-(dps/2).
        while b - a > mpmath.mpf(10) ** (-(dps // 2) - 2) * max(1, abs(b)):
            if fc < fe:
                b, e, fe = e, c, fc
                c = b - inv_phi * (b - a)
                fc = fn(c)
            else:
                a, c, fc = c, e, fe
                e = a + inv_phi * (b - a)
                fe = fn(e)
        return (a + b) / 2


@register("D1", "compiled t*(alpha) equals the 50-digit minimiser of l(t) for every built-in")
def check_targets(full: bool = False, regularizer=None) -> CheckResult:
    """Check D1 at :data:`SIZES` ``"default"`` (``full``: ``"full"``) for every built-in,
    or for ``regularizer`` alone (a ``theory.Regularizer``; its evidence also lists
    t*(alpha) at every alpha)."""
    alphas = SIZES["full" if full else "default"]["alphas"]
    worst = 0.0
    evidence = {}
    for reg in ([regularizer] if regularizer is not None else list_regularizers()):
        c = compile_binary(reg)
        name = getattr(reg, "name", reg)
        if regularizer is not None:
            evidence.update({f"{name} t*({a})": c.target(a) for a in alphas})
        for a in alphas:
            t_ref = mp_minimise_loss(reg, a)
            t_fl = c.target(a)
            # A target pinned at 0 (MaxSup, alpha >= 1/2) is compared absolutely.
            scale = abs(float(t_ref)) if abs(t_ref) > 1e-20 else 1.0
            err = abs(t_fl - float(t_ref)) / scale
            worst = max(worst, err)
        evidence[f"{name} t*(0.2)"] = c.target(0.2)
    evidence["max relative error"] = worst
    # Golden section at 50 digits resolves t* to ~1e-25 relative (loss flat to 2nd
    # order: half the digits), so any disagreement above 1e-12 is the float64 solver's.
    return CheckResult("D1", "compiled targets = direct 50-digit minimisation", evidence,
                       "relative 1e-12 (float64 root to machine precision x condition)",
                       worst <= 1e-12)
