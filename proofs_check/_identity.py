r"""Symbolic identity proving with an explicit route, plus a 50-digit spot check."""

from __future__ import annotations

import random

import mpmath
import sympy as sp

from theory import to_elementary

__all__ = ["prove_identity", "Proof", "Ell", "EllP", "EllPP"]


class Proof(tuple):
    """``(proved: bool, route: str, max_spot_error: float)``."""

    @property
    def proved(self):
        return self[0]


def _zero(expr) -> bool:
    try:
        return sp.simplify(expr) == 0 or sp.simplify(sp.expand_log(expr, force=True)) == 0
    except (TypeError, ValueError, NotImplementedError):
        return False


def _vanishes(g, variables, depth) -> bool:
    """g == 0 on R^n: simplify, or g(0) = 0 and each partial derivative vanishes."""
    if _zero(g):
        return True
    if depth == 0 or not _zero(g.subs({v: 0 for v in variables})):
        return False
    return all(_vanishes(sp.diff(g, v), variables, depth - 1) for v in variables)


def prove_identity(lhs, rhs, variables, *, seed: int = 0, points: int = 20) -> Proof:
    r"""Prove ``lhs == rhs`` for real ``variables``.

    Routes, in order: (1) ``simplify(lhs - rhs) == 0`` after rewriting the stable
    primitives to ``exp``/``log``; (2) for one variable, :math:`g(0) = 0` and
    :math:`g' \equiv 0` (so :math:`g \equiv 0` on :math:`\mathbb{R}`); (3) for several,
    all partial derivatives vanish identically and :math:`g(0) = 0`. Independently the
    identity is evaluated at ``points`` seeded random points at 50 digits; the largest
    absolute difference is returned so callers can assert it too.
    """
    g = to_elementary(sp.sympify(lhs) - sp.sympify(rhs))
    route = None
    if _zero(g):
        route = "simplify(lhs - rhs) = 0"
    elif _vanishes(g, list(variables), depth=2):
        route = "g(0) = 0 and every partial derivative vanishes identically (recursively)"
    rng = random.Random(seed)
    fn = sp.lambdify(tuple(variables), g, "mpmath")
    worst = mpmath.mpf(0)
    with mpmath.workdps(50):
        for _ in range(points):
            vals = [mpmath.mpf(rng.uniform(-20, 20)) for _ in variables]
            worst = max(worst, abs(fn(*vals)))
    return Proof((route is not None, route or "not proved symbolically", float(worst)))


# Generic loss l with l' and l'' as undefined SymPy functions: identities proved with
# them hold for every twice-differentiable loss (B3's derivative identity, Lemma C.1).
class EllPP(sp.Function):
    r"""Generic :math:`\ell''`."""
    nargs = 1


class EllP(sp.Function):
    r"""Generic :math:`\ell'`; its derivative is :class:`EllPP`."""
    nargs = 1

    def fdiff(self, argindex=1):
        return EllPP(self.args[0])


class Ell(sp.Function):
    r"""Generic loss :math:`\ell`; its derivative is :class:`EllP`."""
    nargs = 1

    def fdiff(self, argindex=1):
        return EllP(self.args[0])
