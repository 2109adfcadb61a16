r"""Properties of a regulariser, each with how it was established.

Every check returns a :class:`Property` ``(value, how, evidence)``:

* ``how = "proved"``: a symbolic argument (simplification to zero, a sign SymPy can
  decide, or disciplined-convex-programming composition rules);
* ``how = "numeric"``: no counterexample on a stated grid at 30 digits (evidence says which);
* ``how = "counterexample"``: ``value`` is False and ``evidence`` names the point.

Only mpmath (SymPy's own arbitrary-precision backend) is used here; ``theory`` never
imports NumPy.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import mpmath
import sympy as sp

from theory._budget import simplify_or_keep
from theory._functions import LogSumExp, Softplus, to_elementary

__all__ = ["Property", "check_even", "check_symmetric", "check_convex",
           "check_convex_multiclass", "curvature_sign"]

#: Sample points for numeric checks: dense near 0, out to |t| = 60 (beyond that every
#: built-in is asymptotically linear/quadratic and float64 is irrelevant).
_GRID = [mpmath.mpf(x) / 8 for x in range(-480, 481, 3)]
_DPS = 30


@dataclass(frozen=True)
class Property:
    """A property's value and how it was established."""

    value: bool | None
    how: str
    evidence: str = ""

    def as_dict(self) -> dict:
        return {"value": self.value, "how": self.how, "evidence": self.evidence}


def _is_zero(expr) -> bool:
    """True if ``expr`` simplifies to 0 (after rewriting stable primitives)."""
    for candidate in (expr, to_elementary(expr)):
        try:
            if simplify_or_keep(candidate) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError, RecursionError):
            continue
    return False


def _evaluator(expr, sym):
    fn = sp.lambdify(sym, to_elementary(expr), "mpmath")

    def call(x):
        with mpmath.workdps(_DPS):
            try:
                value = fn(mpmath.mpf(x))
            except (ZeroDivisionError, ValueError, OverflowError, MemoryError):
                # e.g. exp(exp(exp(60))): no finite value to compare at this point
                return None
            if isinstance(value, mpmath.mpc):
                return None if abs(value.imag) > mpmath.mpf(10) ** (-_DPS + 5) else value.real
            return value
    return call


def check_even(f, t) -> Property:
    r"""Is :math:`f(t) = f(-t)`? Proof: :math:`g = f(-t) - f(t)` simplifies to 0, or
    :math:`g(0) = 0` and :math:`g'` simplifies to 0."""
    g = f.subs(t, -t) - f
    if _is_zero(g) or (_is_zero(g.subs(t, 0)) and _is_zero(sp.diff(g, t))):
        return Property(True, "proved", "f(-t) - f(t) simplifies to 0")
    ev = _evaluator(g, t)
    worst = None
    for x in _GRID:
        v = ev(x)
        if v is not None and abs(v) > mpmath.mpf(10) ** -20 * (1 + abs(x) ** 4):
            worst = (x, v)
            break
    if worst is not None:
        return Property(False, "counterexample",
                        f"f(-t) - f(t) = {mpmath.nstr(worst[1], 6)} at t = {mpmath.nstr(worst[0], 6)}")
    return Property(True, "numeric", f"|f(-t)-f(t)| < 1e-20 on {len(_GRID)} points in [-60, 60]")


def check_symmetric(expr, z) -> Property:
    """Is the multiclass form invariant under permutations of ``z``?"""
    swaps = [dict(zip(z, perm)) for perm in itertools.permutations(z)][1:]
    for sub in swaps:
        g = expr.xreplace(sub) - expr
        if not _is_zero(g):
            pt = {zk: sp.Rational(k + 1, 3) for k, zk in enumerate(z)}
            val = sp.N(to_elementary(g).subs(pt), 15)
            if val != 0 and abs(val) > 1e-12:
                return Property(False, "counterexample",
                                f"f changes by {val} when permuting z at z={tuple(pt.values())}")
    return Property(True, "proved", "invariant under all permutations (symbolic)")


# --- convexity -------------------------------------------------------------------

def curvature_sign(expr, syms) -> str:
    r"""Curvature by disciplined-convex-programming rules: ``"constant"``, ``"affine"``,
    ``"convex"``, ``"concave"`` or ``"unknown"``.

    Rules: sums keep curvature; a positive constant times convex is convex (negative
    flips); ``|affine|``, ``softplus(affine)``, ``lse(affines)``, ``exp(convex)``,
    ``max(convex..)``, ``cosh(affine)``, ``(affine)^{2n}`` and ``|x|^p`` (p >= 1) are convex;
    ``log(concave)``, ``min(concave..)`` and ``sqrt(concave)`` are concave.
    """
    syms = set(syms)
    if not (expr.free_symbols & syms):
        return "constant"
    if expr.is_polynomial(*syms) and sp.Poly(expr, *syms).total_degree() <= 1:
        return "affine"
    if expr.is_Add:
        kinds = {curvature_sign(a, syms) for a in expr.args} - {"constant", "affine"}
        if not kinds:
            return "affine"
        return kinds.pop() if len(kinds) == 1 else "unknown"
    if expr.is_Mul:
        const, rest = expr.as_independent(*syms)
        if const != 1 and const.is_number:
            kind = curvature_sign(rest, syms)
            if const.is_positive:
                return kind
            if const.is_negative:
                return {"convex": "concave", "concave": "convex"}.get(kind, kind)
        return "unknown"
    args = expr.args
    affine = all(curvature_sign(a, syms) in ("affine", "constant") for a in args)
    if isinstance(expr, (sp.Abs, Softplus, LogSumExp, sp.cosh)) and affine:
        return "convex"
    if isinstance(expr, sp.exp) and curvature_sign(args[0], syms) in ("convex", "affine"):
        return "convex"
    if isinstance(expr, sp.Max) and all(
            curvature_sign(a, syms) in ("convex", "affine", "constant") for a in args):
        return "convex"
    if isinstance(expr, sp.Min) and all(
            curvature_sign(a, syms) in ("concave", "affine", "constant") for a in args):
        return "concave"
    if isinstance(expr, sp.log) and curvature_sign(args[0], syms) in ("concave", "affine"):
        return "concave"
    if expr.is_Pow:
        base, expo = expr.args
        if expo.is_number and expo.is_real:
            kb = curvature_sign(base, syms)
            if expo.is_integer and expo.is_even and expo > 0 and kb == "affine":
                return "convex"
            if isinstance(base, sp.Abs) and kb == "convex" and expo >= 1 and \
                    curvature_sign(base.args[0], syms) == "affine":
                return "convex"
            if expo == sp.Rational(1, 2) and kb in ("concave", "affine"):
                return "concave"
    return "unknown"


@functools.lru_cache(maxsize=256)
def check_convex(f, t) -> Property:
    r"""Is :math:`f` convex on :math:`\mathbb{R}`? DCP rules, then :math:`f'' \ge 0`
    symbolically, then second differences at 30 digits (counterexample if negative)."""
    kind = curvature_sign(f, [t])
    if kind in ("convex", "affine", "constant"):
        return Property(True, "proved", f"{kind} by composition (DCP) rules")
    f2 = sp.diff(f, t, 2)
    if not f2.has(sp.DiracDelta):
        for candidate in (f2, simplify_or_keep(to_elementary(f2))):
            if candidate.is_nonnegative:
                return Property(True, "proved", f"f''(t) = {sp.sstr(candidate)} >= 0")
    ev = _evaluator(f, t)
    h = mpmath.mpf(1) / 64
    worst = (None, mpmath.mpf(0))
    for x in _GRID:
        a, b, c = ev(x - h), ev(x), ev(x + h)
        if None in (a, b, c):
            continue
        second = (a - 2 * b + c) / h**2
        if second < worst[1]:
            worst = (x, second)
    if worst[0] is not None and worst[1] < -mpmath.mpf(10) ** -12:
        return Property(False, "counterexample",
                        f"second difference f''({mpmath.nstr(worst[0], 6)}) ~ "
                        f"{mpmath.nstr(worst[1], 6)} < 0")
    return Property(True, "numeric",
                    f"second differences >= 0 at {len(_GRID)} points in [-60, 60] (30 digits)")


def check_convex_multiclass(expr, z, *, seed: int = 0, lines: int = 40) -> Property:
    """Convexity of a multiclass form: DCP rules, else second differences along
    ``lines`` seeded random lines (counterexample if negative)."""
    kind = curvature_sign(expr, z)
    if kind in ("convex", "affine", "constant"):
        return Property(True, "proved", f"{kind} by composition (DCP) rules")
    fn = sp.lambdify(z, to_elementary(expr), "mpmath")
    # A tiny seeded LCG keeps this module NumPy-free and deterministic.
    state = (seed * 2654435761) % 2**31 or 1

    def uniform():
        nonlocal state
        state = (1103515245 * state + 12345) % 2**31
        return mpmath.mpf(state) / 2**31 * 8 - 4

    h = mpmath.mpf(1) / 64
    with mpmath.workdps(_DPS):
        for _ in range(lines):
            x0 = [uniform() for _ in z]
            d = [uniform() / 4 for _ in z]
            for s in (mpmath.mpf(k) / 4 for k in range(-8, 9)):
                pts = [[x + (s + e * h) * dd for x, dd in zip(x0, d)] for e in (-1, 0, 1)]
                a, b, c = (fn(*p) for p in pts)
                second = (a - 2 * b + c) / h**2
                if second < -mpmath.mpf(10) ** -12:
                    where = tuple(mpmath.nstr(v, 4) for v in pts[1])
                    return Property(False, "counterexample",
                                    f"second difference {mpmath.nstr(second, 4)} < 0 at z={where}")
    return Property(True, "numeric", f"second differences >= 0 on {lines} random lines")
