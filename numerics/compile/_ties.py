r"""Differentiate :math:`\max_k z_k` (and :math:`\min_k z_k`) by the tie-set rule.

SymPy differentiates ``Max(z1, z2, z3)`` in ``z1`` as ``Heaviside(z1 - Max(z2, z3))``
with ``Heaviside(0) = 1/2``: at a tie of :math:`m \ge 3` top logits the shares add up to
:math:`m/2`, not 1, and the "gradient" of MaxSup's :math:`f(z) = \max_k z_k - \bar z`
(claim G2, docs/theory.md §6) is not a subgradient (its components do not sum to 0, so
gradient descent drifts :math:`\sum_k w_k`). We use the element of the subdifferential
that is invariant under permutations of the tied logits, the tie-set indicator divided by
its size:

.. math::
    \frac{\partial}{\partial z_j}\max_k z_k :=
    \frac{\mathbb 1[z_j = \max_k z_k]}{\#\{k : z_k = \max_k z_k\}}
    = \frac{H_1(z_j - M)}{\sum_k H_1(z_k - M)},\qquad M = \max_k z_k,

with :math:`H_1` the Heaviside step with :math:`H_1(0) = 1` (since :math:`z_j \le M`,
:math:`H_1(z_j - M) = 1` exactly on the tie set). Away from ties it is SymPy's derivative;
at a two-way tie it is SymPy's 1/2; in floating point ``z_j - M == 0`` exactly for the
tied entries, so the shares sum to 1 exactly.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["tie_share", "tie_aware_diff"]


def tie_share(args, j: int, extreme=sp.Max, m=None) -> sp.Expr:
    r"""Share of ``args[j]`` in the derivative of ``extreme(*args)``: :math:`H_1(\pm(a_j - M))
    / \sum_k H_1(\pm(a_k - M))` (``+`` for Max, ``-`` for Min); ``m`` is the extreme
    itself when already built (SymPy's ``Max`` of K arguments costs O(K^2) comparisons)."""
    m = extreme(*args) if m is None else m
    sgn = 1 if extreme is sp.Max else -1
    ind = [sp.Heaviside(sgn * (a - m), 1) for a in args]
    return ind[j] / sp.Add(*ind)


class _TieMax(sp.Function):
    """``Max`` whose derivative is :func:`tie_share` (exists only inside :func:`tie_aware_diff`)."""

    def fdiff(self, argindex=1):
        return tie_share(self.args, argindex - 1, sp.Max, m=self)


class _TieMin(sp.Function):
    """``Min`` whose derivative is :func:`tie_share` (exists only inside :func:`tie_aware_diff`)."""

    def fdiff(self, argindex=1):
        return tie_share(self.args, argindex - 1, sp.Min, m=self)


def tie_aware_diff(expr: sp.Expr, *variables) -> sp.Expr:
    r""":func:`sympy.diff` of ``expr`` with every ``Max``/``Min`` differentiated by the
    tie-set rule (module docstring). ``tie_aware_diff(Max(z1, z2, z3), z1)`` is
    ``Heaviside(z1 - M, 1)/(Heaviside(z1 - M, 1) + Heaviside(z2 - M, 1) + Heaviside(z3 - M, 1))``
    with ``M = Max(z1, z2, z3)``."""
    if not expr.has(sp.Max, sp.Min):
        return sp.diff(expr, *variables)
    wrapped = expr.replace(sp.Max, _TieMax).replace(sp.Min, _TieMin)
    out = sp.diff(wrapped, *variables)
    # Back to Max/Min without re-evaluation: the arguments are those of an evaluated Max
    # already, and evaluating again costs O(K^2) symbolic comparisons per occurrence.
    return out.replace(_TieMax, lambda *a: sp.Max(*a, evaluate=False)).replace(
        _TieMin, lambda *a: sp.Min(*a, evaluate=False))
