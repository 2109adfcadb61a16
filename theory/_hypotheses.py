r"""The theory's hypotheses decided with a proof, a witness, or "unknown" (docs/theory.md §1).

:func:`finite_minimum` -- does :math:`\ell(t) = (1-\alpha)\ell_{CE}(t) + \alpha f(t)` attain
its infimum at a finite :math:`t` for every :math:`\alpha \in (0, \alpha_{max})`? Routes,
in order (the first that decides wins):

1. **convex + even + non-constant** (convexity proved): :math:`f(t) \ge f(0) + (f(1) -
   f(0))|t|` for :math:`|t| \ge 1` with :math:`f(1) > f(0)`, so :math:`\ell \ge \alpha f`
   is coercive and continuous: the minimum is attained (and unique, :math:`\ell` strictly
   convex).
2. **coercive**: :math:`f` continuous on :math:`\mathbb R` (SymPy's continuous domain) and
   :math:`f \to +\infty` at :math:`\pm\infty` (SymPy's Gruntz limits): the same argument.
3. **bounded tail** :math:`f \to L` at :math:`+\infty`: :math:`\ell \to +\infty` at
   :math:`-\infty` and :math:`\ell \to \alpha L` at :math:`+\infty`. If
   :math:`(f - L)/\ell_{CE} \to -\infty` then :math:`\ell < \alpha L` far out for every
   :math:`\alpha`: attained (proved). Otherwise it depends on :math:`\alpha`; each sample
   :math:`\alpha` is decided by a certified global minimum or reported with its witness.
4. **oscillating** :math:`f` (SymPy's limit is ``AccumBounds(m, M)``): if
   :math:`\min_{\mathbb R} f = m` and :math:`f = m` on an unbounded set
   :math:`\{t_k\}`, then :math:`\ell > \alpha m` everywhere while
   :math:`\ell(t_k) = (1-\alpha)\ell_{CE}(t_k) + \alpha m \to \alpha m`: the infimum is
   not attained (false, with the witness :math:`t_k`).
5. :math:`f \to -\infty`: unbounded below (false). Anything else: ``None`` ("unknown"),
   with what was seen.

:func:`global_target` -- is the stationary point a root finder brackets from 0 the global
minimiser? Proved for convex :math:`f`; otherwise certified at sample :math:`\alpha` by
:func:`theory._global_min.global_minimum`, or false with the better point.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp
from sympy.calculus.util import continuous_domain, minimum

from theory._budget import within_budget
from theory._functions import to_elementary
from theory._global_min import binary_loss, first_stationary_point, global_minimum
from theory._properties import Property, check_convex, check_even, curvature_sign
from theory._registry import ALPHA, T, get_regularizer

__all__ = ["finite_minimum", "global_target", "SAMPLE_ALPHAS"]

#: The strengths at which alpha-dependent statements are certified (inside (0, alpha_max)).
SAMPLE_ALPHAS = (sp.Rational(1, 20), sp.Rational(1, 5), sp.Rational(1, 2), sp.Rational(9, 10))


def _limit(expr, end):
    return _limit_at(expr, end, "-" if end == sp.oo else "+")


@dataclass(frozen=True)
class _Form:
    """What the deciders need: the regulariser, f, l (in T, ALPHA) and alpha(0+)."""

    regularizer: object
    f: sp.Expr
    loss: sp.Expr
    alpha_max: sp.Expr


def _form(regularizer) -> _Form:
    r"""``f``, ``l`` and :math:`\alpha_{max} = \alpha(0^+) = \tfrac12/(\tfrac12 + f'(0^+))`
    (1 when :math:`f'(0^+) \le 0`), without the closed-form search of derive_binary."""
    reg = get_regularizer(regularizer)
    f, loss, _ = binary_loss(reg)
    amax = sp.S.One
    # a smooth even f has f'(0) = 0, so alpha(0+) = 1; only a kink needs the limit
    if f.has(sp.Abs, sp.Max, sp.Min, sp.sign):
        slope = _limit_at(sp.diff(to_elementary(f), T), 0, "+")
        if slope is not None and slope.is_number and slope.is_finite and slope > 0:
            amax = sp.Rational(1, 2) / (sp.Rational(1, 2) + slope)
    return _Form(reg, f, loss, amax)


def _limit_at(expr, point, direction):
    try:
        value = within_budget(sp.limit, expr, T, point, direction, fallback=None)
    except (NotImplementedError, ValueError, TypeError):
        return None
    return None if value is None or value.has(sp.Limit) else value


def _sample_alphas(d):
    amax = float(d.alpha_max) if d.alpha_max.is_number else 1.0
    return [a for a in SAMPLE_ALPHAS if float(a) < amax] or [sp.Rational(1, 20) * amax]


def _without_max_min(expr):
    # Max(a, b) = (a + b + |a - b|)/2 keeps continuity visible to continuous_domain.
    def rewrite(e):
        args = list(e.args)
        out = args[0]
        for b in args[1:]:
            sign = 1 if isinstance(e, sp.Max) else -1
            out = (out + b + sign * sp.Abs(out - b)) / 2
        return out
    return expr.replace(lambda e: isinstance(e, (sp.Max, sp.Min)), rewrite)


def _continuous(f):
    el = _without_max_min(to_elementary(f))
    try:
        dom = within_budget(continuous_domain, el, T, sp.S.Reals, fallback=None)
    except (NotImplementedError, ValueError, TypeError):
        dom = None
    return dom


def _gt(a, b, digits=40) -> bool:
    """``a > b`` for exact SymPy numbers, decided at ``digits`` digits with margin."""
    diff = sp.N(a - b, digits)
    return bool(diff.is_real and diff > sp.Float(10) ** (-digits + 10))


def finite_minimum(regularizer) -> Property:
    r"""Does :math:`\ell` attain a finite global minimum for every
    :math:`\alpha \in (0, \alpha_{max})`? (module docstring for the routes)

    >>> from theory import from_expression
    >>> finite_minimum(from_expression("sin(t)**2")).value
    False
    """
    d = _form(regularizer)
    f = d.f
    dom = _continuous(f)
    if dom is None:
        return Property(None, "unknown", "SymPy could not decide where f is continuous")
    if dom != sp.S.Reals:
        return Property(None, "unknown",
                        f"f is not continuous on R (continuous on {dom}); the theory needs "
                        "a continuous f")
    even = check_even(f, T)
    # composition rules first (cheap); the symbolic f'' >= 0 only if the limits fail
    if curvature_sign(f, [T]) in ("convex", "affine", "constant"):
        proved = _convex_route(f, check_convex(f, T))
        if proved is not None:
            return proved
    fel = to_elementary(f)
    lim_p, lim_m = _limit(fel, sp.oo), _limit(fel, -sp.oo)
    if lim_p is None or lim_m is None:
        proved = _convex_route(f, check_convex(f, T))
        if proved is not None:
            return proved
        return _numeric_fallback(d, "SymPy found no limit of f at +-oo")
    if lim_p == sp.oo and lim_m == sp.oo:
        return Property(True, "proved",
                        "f continuous on R and f -> +oo as t -> +-oo (SymPy limits): "
                        "l >= alpha f is coercive, so the minimum is attained for every alpha")
    if lim_p == -sp.oo:
        # l_CE -> 0 at +oo, so l -> -oo with alpha f (for every alpha > 0)
        return Property(False, "counterexample",
                        "f -> -oo as t -> +oo (SymPy limit): l is unbounded below")
    if lim_p.has(sp.AccumBounds) or lim_m.has(sp.AccumBounds):
        return _oscillating(d, lim_p if lim_p.has(sp.AccumBounds) else lim_m)
    if lim_p.is_finite and lim_p.is_real:
        return _bounded_tail(d, lim_p, even)
    return _numeric_fallback(d, f"limits of f: {lim_p} at +oo, {lim_m} at -oo")


def _convex_route(f, convex):
    """Route 1 of the module docstring, or None when it does not apply."""
    f0, f1, fm1 = (f.subs(T, v) for v in (0, 1, -1))
    if convex.value and convex.how == "proved" and _gt(f1, f0) and _gt(fm1, f0):
        return Property(True, "proved",
                        f"f convex ({convex.evidence}) with f(+-1) > f(0): "
                        "f(t) >= f(0) + (f(1)-f(0))|t| for |t| >= 1, so l >= alpha f is "
                        "coercive and continuous: the minimum is attained (unique: l "
                        "strictly convex)")
    return None


def _bounded_tail(d, lim, even) -> Property:
    glob = _global_min_value(d.f)
    if glob is not None and glob.is_number and not _gt(lim, glob):
        return Property(False, "counterexample",
                        f"f >= {glob} = lim f(+oo) = {lim} everywhere (SymPy minimum), so "
                        f"l > alpha*{lim} (l_CE > 0) while l -> alpha*{lim} as t -> oo: "
                        "the infimum is not attained, for every alpha")
    ratio = _limit(to_elementary((d.f - lim) / sp.log(1 + sp.exp(-T))), sp.oo)
    if ratio == -sp.oo:
        return Property(True, "proved",
                        f"f -> {lim} as t -> +oo and (f - {lim})/l_CE -> -oo (SymPy limits): "
                        f"for every alpha, l(t) < alpha*{lim} = lim l(+oo) far out while "
                        "l -> +oo at -oo; l is continuous, so the minimum is attained")
    # alpha-dependent: decide each sample alpha with a certified global minimum.
    for a in _sample_alphas(d):
        g = global_minimum(d.regularizer, a)
        tail = a * lim
        if not g.certified:
            return _not_attained_witness(d, a, tail, f"f -> {lim} at +oo, min f = {glob}")
        if g.value[1] >= tail:
            return _not_attained_witness(d, a, tail, f"f -> {lim} at +oo")
    return Property(True, "numeric",
                    f"f -> {lim} at +oo (limit of (f-L)/l_CE = {ratio}): at alpha in "
                    f"{_fmt_alphas(d)} a certified global minimum lies below the tail "
                    "limit alpha*L (interval branch and bound); other alpha not decided")


def _not_attained_witness(d, a, tail, why) -> Property:
    r"""At ``a`` the loss seems to stay above its limit :math:`\alpha L` at :math:`+\infty`:
    witness the decreasing values far out."""
    fn = sp.lambdify(T, to_elementary(d.loss.subs(ALPHA, a)), "mpmath")
    with mpmath.workdps(30):
        pts = [mpmath.mpf(x) for x in (2, 8, 32, 128)]
        vals = [fn(x) for x in pts]
    seq = " > ".join(f"l({mpmath.nstr(x, 4)})={mpmath.nstr(v, 6)}" for x, v in zip(pts, vals))
    return Property(False, "numeric",
                    f"{why}; at alpha={a} no point below the tail limit alpha*L="
                    f"{sp.N(tail, 8)} was found: {seq} -> {sp.N(tail, 8)}, the infimum is "
                    "approached as t -> oo and not attained")


def _oscillating(d, bounds) -> Property:
    f = d.f
    m = _global_min_value(f)
    zeros = None
    if m is not None and m.is_number and m.is_finite:
        try:
            zeros = within_budget(sp.solveset, to_elementary(f) - m, T, sp.S.Reals,
                                  fallback=None)
        except (NotImplementedError, ValueError, TypeError):
            zeros = None
    if zeros is not None and _unbounded(zeros):
        a = _sample_alphas(d)[1 if len(_sample_alphas(d)) > 1 else 0]
        pts = [p for p in _points_in(zeros)][:3]
        fn = sp.lambdify(T, to_elementary(d.loss.subs(ALPHA, a)), "mpmath")
        with mpmath.workdps(30):
            seq = " > ".join(f"l({sp.sstr(p)})={mpmath.nstr(fn(mpmath.mpf(sp.N(p, 40))), 4)}"
                             for p in pts)
        return Property(False, "counterexample",
                        f"f oscillates (limit {bounds}) and min f = {m} (SymPy) is reached "
                        f"on an unbounded lattice of t (solveset): l > alpha*{m} everywhere (l_CE > 0) while "
                        f"l(t_k) -> alpha*{m}, so the infimum is not attained; e.g. at "
                        f"alpha={a}: {seq} -> {sp.N(a * m, 6)}")
    return Property(None, "unknown",
                    f"f oscillates at infinity (limit {bounds}); whether the infimum of l "
                    "is attained was not decided")


def _global_min_value(f):
    """``min f`` over R by SymPy, or 0 when SymPy proves ``f >= 0`` (then 0 is the minimum
    exactly when f has a real zero, which the caller's solveset checks); else None."""
    try:
        m = within_budget(minimum, to_elementary(f), T, sp.S.Reals, fallback=None)
    except (NotImplementedError, ValueError, TypeError):
        m = None
    if m is None and f.is_nonnegative:
        m = sp.S.Zero
    return m


def _unbounded(zeros) -> bool:
    """``zeros`` contains a lattice ``{a + b n : n integer}`` (an ``ImageSet`` over the
    integers, as solveset returns for periodic equations), hence is unbounded."""
    parts = zeros.args if isinstance(zeros, sp.Union) else (zeros,)
    return any(isinstance(p, sp.ImageSet) and p.base_sets == (sp.S.Integers,) and
               p.lamda.expr.diff(p.lamda.variables[0]) != 0 for p in parts)


def _points_in(zeros):
    for lo in (9, 29, 99):
        part = sp.Intersection(zeros, sp.Interval(lo, 2 * lo + 2))
        if isinstance(part, sp.FiniteSet) and len(part):
            yield min(part)


def _numeric_fallback(d, why) -> Property:
    """No symbolic route: certified global minima at the sample alphas, else unknown."""
    for a in _sample_alphas(d):
        g = global_minimum(d.regularizer, a)
        if not g.certified:
            return Property(None, "unknown", f"{why}; {g.evidence}")
    return Property(True, "numeric",
                    f"{why}; at alpha in {_fmt_alphas(d)} a global minimum is certified "
                    "by interval branch and bound; other alpha not decided")


def _fmt_alphas(d):
    return "{" + ", ".join(str(a) for a in _sample_alphas(d)) + "}"


def global_target(regularizer) -> Property:
    r"""Is the stationary point found by bracketing from 0 (what the root finders return)
    the global minimiser of :math:`\ell`? Proved for convex :math:`f` (strictly convex
    :math:`\ell`); otherwise certified by interval branch and bound at the sample
    :math:`\alpha`, or false with the better point."""
    d = _form(regularizer)
    convex = check_convex(d.f, T)
    if convex.value and convex.how == "proved":
        return Property(True, "proved",
                        "l strictly convex: its stationary point is the unique global minimiser")
    evidence = []
    for a in _sample_alphas(d):
        g = global_minimum(d.regularizer, a)
        root = first_stationary_point(d.regularizer, a)
        if not g.certified:
            return Property(None, "unknown", f"alpha={a}: {g.evidence}")
        if root is not None and not g.contains(root):
            lo, hi = g.clusters[0]
            fn = sp.lambdify(T, to_elementary(d.loss.subs(ALPHA, a)), "mpmath")
            with mpmath.workdps(30):
                better = (lo + hi) / 2
                text = (f"at alpha={a} the stationary point t={mpmath.nstr(root, 10)} "
                        f"(l={mpmath.nstr(fn(root), 10)}) is not the global minimiser "
                        f"t={mpmath.nstr(better, 10)} (l={mpmath.nstr(fn(better), 10)}); "
                        f"{g.evidence}")
            return Property(False, "counterexample", text)
        if not g.unique:
            return Property(None, "unknown", f"alpha={a}: several global minimisers: "
                                             f"{g.evidence}")
        evidence.append(g.evidence.split(":")[0] + " " + g.evidence.split("lies in ")[1]
                        .split(" (")[0])
    return Property(True, "numeric",
                    "the first stationary point is the certified global minimiser at "
                    + "; ".join(evidence) + " (interval branch and bound, 30 digits); "
                    "other alpha not certified")
