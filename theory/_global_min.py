r"""Certified global minimum of the binary loss (docs/theory.md §1, claim D1).

For a fixed :math:`\alpha` the per-sample loss :math:`\ell(t) = (1-\alpha)\ell_{CE}(t) +
\alpha f(t)` is minimised over :math:`\mathbb R` by interval branch and bound
(:mod:`theory._interval`, 30 digits):

1. **Tail.** :math:`\ell_{CE} > 0`, so :math:`\ell(t) \ge \alpha f(t)`. Interval bounds of
   :math:`f` on geometric pieces :math:`[r, 2^{1/8} r]` (:math:`[r, 2r]` beyond :math:`10^4`) of both half-lines up to
   :math:`|t| = 10^{30}` give the smallest radius :math:`R` with
   :math:`\alpha\inf_{|t|\ge R} f > U`, :math:`U` an upper bound of :math:`\min\ell`
   (a sampled value). Beyond :math:`10^{30}` the bound is SymPy's limit of :math:`f` (the
   only step that is not interval arithmetic; it is stated in the evidence).
2. **Boxes** of :math:`[-R, R]` are discarded when the lower end of :math:`\ell(X)`
   (the better of the natural extension and the mean-value form
   :math:`\ell(c) + \ell'(X)(X - c)`) exceeds :math:`U`, or when :math:`\ell'(X)` has one
   sign (the minimum over the closed box is then at an end, which belongs to a
   neighbour or to the tail); the others are halved down to width
   :math:`10^{-12}(1 + |c|)`.

What survives encloses every global minimiser. One cluster is a certified, unique (to the
width) global minimiser; several clusters are reported as such (ties or near-ties).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import mpmath
import sympy as sp

from theory._budget import within_budget
from theory._interval import DPS, UnsupportedInterval, interval_function, ival
from theory._functions import Softplus
from theory._registry import ALPHA, T, get_regularizer

__all__ = ["GlobalMinimum", "global_minimum", "first_stationary_point", "binary_loss"]

#: Tail pieces reach |t| = 1e30; SymPy's limit covers the rest.
_FAR = mpmath.mpf(10) ** 30
_STEP = mpmath.mpf(2) ** (mpmath.mpf(1) / 8)
_MAX_BOXES = 60000


@dataclass(frozen=True)
class GlobalMinimum:
    r"""Result of :func:`global_minimum`.

    ``clusters``: list of ``(lo, hi)`` intervals (mpmath) whose union contains every
    global minimiser of :math:`\ell`; ``value``: ``(lo, hi)`` enclosing :math:`\min\ell`;
    ``certified``: the tail bound and the search finished; ``evidence``: one sentence.
    """

    alpha: sp.Rational
    clusters: tuple
    value: tuple
    certified: bool
    evidence: str

    @property
    def unique(self) -> bool:
        return self.certified and len(self.clusters) == 1

    def contains(self, t, slack=mpmath.mpf(10) ** -9) -> bool:
        """Whether ``t`` lies in a cluster (widened by ``slack`` relative)."""
        t = mpmath.mpf(t)
        return any(lo - slack * (1 + abs(lo)) <= t <= hi + slack * (1 + abs(hi))
                   for lo, hi in self.clusters)


def binary_loss(regularizer):
    r"""``(f, l, l')`` in ``(T, ALPHA)`` straight from the registry form (the same
    :math:`\ell` as :func:`theory.derive_binary`, without its closed-form search)."""
    f = get_regularizer(regularizer).binary
    loss = (1 - ALPHA) * Softplus(-T) + ALPHA * f
    return f, loss, sp.diff(loss, T)


def _pieces():
    # fine steps 2^(1/8) where minimisers live (|t| <= 1e4), doubling beyond
    edges, r = [mpmath.mpf(0)], mpmath.mpf(1) / 1024
    while r < _FAR:
        edges.append(r)
        r *= _STEP if r < 1e4 else 2
    edges.append(_FAR)
    return edges


def _tail_radius(f_iv, alpha, upper, edges):
    r"""Smallest edge ``R`` with :math:`\alpha \min_{R\le|t|\le 10^{30}} f > U`, else None."""
    lows = []
    for a, b in zip(edges[1:-1], edges[2:]):
        lo = min(f_iv(ival(a, b)).a, f_iv(ival(-b, -a)).a)
        lows.append(lo)
    suffix, best = [None] * len(lows), mpmath.inf
    for i in range(len(lows) - 1, -1, -1):
        best = min(best, lows[i])
        suffix[i] = best
    for i, lo in enumerate(suffix):
        if alpha * lo > upper:
            return edges[i + 1]
    return None


def _sample_upper(l_iv, edges):
    pts = [mpmath.mpf(0)] + [s * e for e in edges[1::4] if e <= 1e4 for s in (-1, 1)]
    best = min(pts, key=lambda p: l_iv(ival(p)).b)
    return l_iv(ival(best)).b


def global_minimum(regularizer, alpha) -> GlobalMinimum:
    r"""Enclose every global minimiser of :math:`\ell` at ``alpha`` (module docstring).

    >>> from theory import from_expression
    >>> g = global_minimum(from_expression("t**4 - 3*t**2"), "1/5")
    >>> g.unique, float(g.clusters[0][0])
    (True, 1.2911358214...)
    """
    f, loss, dloss = binary_loss(regularizer)
    a = sp.Rational(str(alpha))
    try:
        l_iv = interval_function(loss.subs(ALPHA, a), T)
        d_iv = interval_function(dloss.subs(ALPHA, a), T)
        f_iv = interval_function(f, T)
    except UnsupportedInterval as err:
        return GlobalMinimum(a, (), (None, None), False, f"no interval bound: {err}")
    with mpmath.workdps(DPS):
        edges = _pieces()
        upper = _sample_upper(l_iv, edges)
        try:
            radius = _tail_radius(f_iv, mpmath.mpf(a.p) / a.q, upper, edges)
        except (ArithmeticError, ValueError) as err:
            return GlobalMinimum(a, (), (None, upper), False, f"tail bound failed: {err}")
        if radius is None:
            return GlobalMinimum(a, (), (None, upper), False,
                                 f"no radius R <= 1e30 with alpha*inf_{{|t|>=R}} f > "
                                 f"min sampled loss {mpmath.nstr(upper, 8)}")
        limit = within_budget(sp.limit, f, T, sp.oo, fallback=None)
        return _branch_and_bound(a, l_iv, d_iv, radius, upper, limit)


def _lower(l_iv, d_iv, box):
    a, b = box
    c = (a + b) / 2
    x = ival(a, b)
    natural = l_iv(x).a
    slope = d_iv(x)
    centre = l_iv(ival(c))
    mean_value = (centre + slope * (x - c)).a
    return max(natural, mean_value), slope, centre.b


def _branch_and_bound(a, l_iv, d_iv, radius, upper, limit) -> GlobalMinimum:
    start = [(-radius, mpmath.mpf(0)), (mpmath.mpf(0), radius)]
    heap, final, count = [], [], 0
    for box in start:
        lo, _, _ = _lower(l_iv, d_iv, box)
        heapq.heappush(heap, (lo, box))
    while heap:
        lo, box = heapq.heappop(heap)
        if lo > upper:
            continue
        count += 1
        if count > _MAX_BOXES:
            return GlobalMinimum(a, (), (None, upper), False,
                                 f"branch and bound stopped after {_MAX_BOXES} boxes")
        left, right = box
        mid = (left + right) / 2
        for child in ((left, mid), (mid, right)):
            clo, slope, cval = _lower(l_iv, d_iv, child)
            upper = min(upper, cval)
            if clo > upper:
                continue
            if slope.a > 0 or slope.b < 0:
                continue   # monotone on the closed box: its minimum is at an end (docstring)
            if child[1] - child[0] <= mpmath.mpf(10) ** -12 * (1 + abs(mid)):
                final.append((clo, child))
            else:
                heapq.heappush(heap, (clo, child))
    kept = sorted(box for lo, box in final if lo <= upper)
    clusters = []
    for left, right in kept:
        if clusters and left <= clusters[-1][1]:
            clusters[-1] = (clusters[-1][0], max(clusters[-1][1], right))
        else:
            clusters.append((left, right))
    value_lo = min((lo for lo, box in final if lo <= upper), default=None)
    tail = (f"tail |t| >= {mpmath.nstr(radius, 4)} bounded by alpha*f (interval arithmetic "
            f"to 1e30, SymPy limit f -> {limit} beyond)")
    where = ", ".join(f"[{mpmath.nstr(lo, 12)}, {mpmath.nstr(hi, 12)}]" for lo, hi in clusters)
    ev = (f"alpha={a}: every global minimiser lies in {where} (interval branch and bound, "
          f"{DPS} digits, {count} boxes; {tail})")
    return GlobalMinimum(a, tuple(clusters), (value_lo, upper), bool(clusters), ev)


def first_stationary_point(regularizer, alpha):
    r"""The stationary point a bracketing root finder started at 0 finds: the first
    :math:`h \in \{1, 2, 4, \dots\}` with :math:`\ell'(h) > 0` brackets it in
    :math:`[h/2, h]` (``[0, 1]`` for the first), then bisection at 30 digits; 0 when
    :math:`\ell'(0^+) \ge 0` (the degenerate range of a kinked f)."""
    _, _, dloss = binary_loss(regularizer)
    a = sp.Rational(str(alpha))
    dl = sp.lambdify(T, dloss.subs(ALPHA, a), modules=[_MP_PRIMITIVES, "mpmath"])
    with mpmath.workdps(DPS):
        if dl(mpmath.mpf(10) ** -25) >= 0:
            return mpmath.mpf(0)
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        while dl(hi) <= 0:
            lo, hi = hi, 2 * hi
            if hi > _FAR:
                return None
        while hi - lo > mpmath.mpf(10) ** -20 * hi:
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if dl(mid) <= 0 else (lo, mid)
        return (lo + hi) / 2


def _mp_softplus(x):
    return mpmath.log1p(mpmath.exp(-abs(x))) + max(x, 0)


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


_MP_PRIMITIVES = {"Softplus": _mp_softplus, "Sigmoid": _mp_sigmoid}
