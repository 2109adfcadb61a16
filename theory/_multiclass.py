r"""Multiclass derivations (docs/theory.md §4, claim M1).

Per-sample loss for class ``c``:

.. math::
    \ell(z, c) = (1-\alpha)\,(\operatorname{lse}(z) - z_c) + \alpha f(z).

Because ``f`` is permutation-symmetric, the per-sample minimiser has ``q_high`` at index
``c`` and ``q_low`` elsewhere. Write them through the gap ``g`` and the mean ``m``:
``q_high = m + (K-1) g / K``, ``q_low = m - g / K``. Cross-entropy depends on ``g`` only;
``m`` solves :math:`\partial f/\partial m = 0` (``m`` is free -- we take 0 -- when ``f`` is
shift-invariant, as for label smoothing, MaxSup and the confidence penalty; for
:math:`f = \|z\|^2` SymPy finds ``m = 0``, i.e. ``q_high + (K-1) q_low = 0``).
The resulting one-dimensional problem in ``g`` mirrors the binary one: linear in
:math:`\alpha`, a closed form :math:`\alpha(g)`, and a closed-form gap when SymPy finds
one (label smoothing: :math:`g^* = \log(1 + K(1-\alpha)/\alpha)`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from theory._cache import disk_cached
from theory._budget import simplify_or_keep, within_budget
from core.errors import InvalidParameterError
from core.validation import check_classes
from theory._functions import LogSumExp, Softplus, to_elementary
from theory._registry import ALPHA, Regularizer, get_regularizer, logit_symbols
from theory._solve import closed_form_inverse, drop_dirac, one_sided_limit

__all__ = ["MulticlassDerivation", "derive_multiclass", "G", "M"]

G = sp.Symbol("g", real=True)
M = sp.Symbol("m", real=True)
_GP = sp.Symbol("g", positive=True)


@dataclass(frozen=True)
class MulticlassDerivation:
    r"""Reduced multiclass problem for one regulariser and ``K`` classes (claim M1).

    Attributes
    ----------
    k : int
    loss : sympy.Expr
        Full per-sample loss :math:`\ell(z, 1)` in ``logit_symbols(k)`` and ``ALPHA``.
    mean_of_gap : sympy.Expr
        ``m*(g)`` (0 when ``f`` is shift-invariant).
    shift_invariant : bool
    gap_loss, dgap_loss, d2gap_loss : sympy.Expr
        :math:`\psi(g) = \ell` at ``z = (q_high, q_low, ..)``, and its derivatives (Dirac
        parts dropped for non-smooth ``f``).
    alpha_of_gap : sympy.Expr
        :math:`\alpha(g)` solving :math:`\psi'(g) = 0`, valid for ``g > 0``.
    gap_closed_form : sympy.Expr or None
    q_high, q_low : sympy.Expr
        In terms of ``G``.
    alpha_max : sympy.Expr
        :math:`\alpha(0^+)`; at or above it the gap is pinned at 0.
    """

    regularizer: Regularizer
    k: int
    loss: sp.Expr
    mean_of_gap: sp.Expr
    shift_invariant: bool
    gap_loss: sp.Expr
    dgap_loss: sp.Expr
    d2gap_loss: sp.Expr
    alpha_of_gap: sp.Expr
    gap_closed_form: sp.Expr | None
    q_high: sp.Expr
    q_low: sp.Expr
    alpha_max: sp.Expr


def _collapse_lse(expr):
    r"""``lse(a, b, b, .., b)`` (n copies of b) -> ``a + softplus(b + log n - a)``: exact,
    stable, and it lets SymPy see the reduced problem as a function of one gap."""
    def collapse(e):
        counts = {}
        for a in e.args:
            counts[a] = counts.get(a, 0) + 1
        terms = [a + sp.log(n) if n > 1 else a for a, n in counts.items()]
        if len(terms) == 2:
            return terms[0] + Softplus(terms[1] - terms[0])
        return LogSumExp(*terms)
    return expr.replace(lambda e: isinstance(e, LogSumExp), collapse)


def _reduce(expr, z, high, low):
    return _collapse_lse(expr.xreplace({z[0]: high, **{zk: low for zk in z[1:]}}))


@functools.lru_cache(maxsize=128)
@disk_cached
def derive_multiclass(regularizer, k: int) -> MulticlassDerivation:
    r"""Derive the symmetric simplex target of ``regularizer`` for ``k`` classes (M1).

    >>> d = derive_multiclass("label_smoothing", 3)
    >>> d.gap_closed_form
    log((alpha + 3*(1 - alpha))/alpha)
    """
    reg = get_regularizer(regularizer)
    k = check_classes(k, caller="derive_multiclass")
    z = logit_symbols(k)
    f = reg.multiclass(k)
    ce = LogSumExp(*z) - z[0]
    loss = (1 - ALPHA) * ce + ALPHA * f

    # Targets have g >= 0 (cross-entropy favours z_c, f is symmetric): deriving with a
    # positive gap resolves max/abs of non-smooth forms (MaxSup) symbolically.
    high = M + (k - 1) * _GP / k
    low = M - _GP / k
    f_red = _reduce(f, z, high, low)
    df_dm = simplify_or_keep(to_elementary(sp.diff(f_red, M)))
    if df_dm == 0:
        mean, shift_inv = sp.S.Zero, True
    else:
        mean, shift_inv = _mean_of_gap(reg, f_red, df_dm), False
    q_high, q_low = high.subs(M, mean), low.subs(M, mean)

    gap_loss = _reduce(loss, z, q_high, q_low)
    dpos = sp.diff(gap_loss, _GP)
    d2gap = drop_dirac(sp.diff(dpos, _GP)).subs(_GP, G)
    c1, c0 = sp.diff(dpos, ALPHA), dpos.subs(ALPHA, 0)
    alpha_g = _tidy(-c0 / c1).subs(_GP, G)
    gap_loss, dgap = gap_loss.subs(_GP, G), dpos.subs(_GP, G)
    q_high, q_low = q_high.subs(_GP, G), q_low.subs(_GP, G)
    alpha_max = one_sided_limit(alpha_g, G, 0, "+")
    if reg.source:
        # a user form's closed gap is a bonus: never an unbounded search (a cubic's
        # Cardano mean makes SymPy's simplification run for minutes)
        closed = within_budget(closed_form_inverse, alpha_g, G, scales=(1, k), fallback=None)
    else:
        closed = closed_form_inverse(alpha_g, G, scales=(1, k))
    return MulticlassDerivation(reg, k, loss, mean, shift_inv, gap_loss, dgap, d2gap,
                                alpha_g, closed, q_high, q_low, alpha_max)


#: Gaps at which candidate means m(g) are compared (40 digits).
_PROBE_GAPS = (sp.Rational(1, 3), sp.Integer(1), sp.Integer(4))


def _mean_of_gap(reg, f_red, df_dm):
    r"""The mean :math:`m^*(g) = \arg\min_m f(q_{high}, q_{low})` among SymPy's roots of
    :math:`\partial f/\partial m = 0`: complex roots are dropped (imaginary part above
    :math:`10^{-30}` at the probe gaps), and of the real ones the root with the smallest
    :math:`f` at every probe gap is kept. No real root, or no root best at every probe,
    is reported as "unknown" (an error naming the real roots only)."""
    try:
        sols = within_budget(sp.solve, df_dm, M, fallback=None)
    except (NotImplementedError, ValueError, TypeError):
        sols = None
    if sols is None:
        raise InvalidParameterError(
            f"the multiclass form of {reg.name!r}: SymPy could not solve df/dm = 0 for the "
            "mean m(g) of the symmetric target; the multiclass target is unknown")
    real = [s for s in sols if all(_is_real_at(s, g) for g in _PROBE_GAPS)]
    if not real:
        raise InvalidParameterError(
            f"the multiclass form of {reg.name!r}: df/dm = 0 has no real root m(g) that "
            f"SymPy can express ({len(sols)} complex); the multiclass target is unknown")
    best = [min(real, key=lambda s: _value_at(f_red, s, g)) for g in _PROBE_GAPS]
    if any(b is not best[0] for b in best):
        raise InvalidParameterError(
            f"the multiclass form of {reg.name!r}: the real roots m(g) = "
            f"{', '.join(sp.sstr(sp.nsimplify(r)) for r in real)} of df/dm = 0 trade "
            "places as the minimiser of f over m; the multiclass target is unknown")
    return sp.simplify(sp.re(best[0]) if best[0].has(sp.I) else best[0])


def _is_real_at(sol, g):
    value = sp.N(sol.subs(_GP, g), 40)
    return abs(sp.im(value)) < sp.Float(10) ** -30


def _value_at(f_red, sol, g):
    return sp.re(sp.N(to_elementary(f_red.subs(M, sol).subs(_GP, g)), 40))


def _tidy(expr):
    """``simplify`` unless it reintroduces a bare ``exp`` (which overflows in float64)."""
    simple = simplify_or_keep(expr)
    if simple.has(sp.exp) and not expr.has(sp.exp):
        return expr
    return simple
