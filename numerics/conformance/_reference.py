r"""50-digit reference values of the derived multiclass loss and its gradient.

The row form of :func:`numerics.export._vectorize.derive_row_loss` (docs/theory.md §4,
claim M1; equal to the exports' :func:`~numerics.export._vectorize.derive_batched`) is
evaluated in mpmath at ``dps`` digits: every row reduction is an exact
mpmath loop over the K classes (lse as :math:`m + \log\sum_k e^{h_k - m}`), every body is
:func:`sympy.lambdify`-ed onto mpmath with the stable primitives. Inputs are converted
exactly (``mpf(float)``), so the reference is the derived loss at the very float64 input
the implementation under test saw, correct to ~``dps`` digits.
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

from theory import ALPHA

from numerics.compile._primitives import MPMATH_PRIMITIVES
from numerics.export._vectorize import (ONEHOT, ZY, RowLSE, RowMax, RowMin, RowSum, Z,
                                       derive_row_loss, row_nodes_postorder)

__all__ = ["MpRowExpression", "reference_loss", "reference_grad"]

_MODULES = [MPMATH_PRIMITIVES, "mpmath"]


class MpRowExpression:
    r"""A row expression (in :data:`Z`, :data:`ZY`, :data:`ONEHOT`, ``alpha`` and row nodes)
    compiled for mpmath: ``value(z, label, alpha)`` is a scalar or a K-list."""

    def __init__(self, expr: sp.Expr):
        nodes = row_nodes_postorder(expr)
        self.symbols = [sp.Dummy(f"r{i}") for i in range(len(nodes))]
        names = {}
        self.steps = []
        for node, sym in zip(nodes, self.symbols):
            body = node.args[0].xreplace(names)
            fn = sp.lambdify((Z, ZY, ONEHOT, ALPHA, *self.symbols), body, modules=_MODULES)
            self.steps.append((type(node), fn))
            names[node] = sym
        final = expr.xreplace(names)
        self.elementwise = bool(final.free_symbols & {Z, ONEHOT})
        self.final = sp.lambdify((Z, ZY, ONEHOT, ALPHA, *self.symbols), final, modules=_MODULES)

    def value(self, z, label: int, alpha):
        zy = z[label]
        rs = [mpmath.mpf(0)] * len(self.symbols)
        for i, (kind, fn) in enumerate(self.steps):
            vals = [fn(zk, zy, int(k == label), alpha, *rs) for k, zk in enumerate(z)]
            if kind is RowSum:
                r = mpmath.fsum(vals)
            elif kind is RowMax:
                r = max(vals)
            elif kind is RowMin:
                r = min(vals)
            else:
                assert kind is RowLSE
                m = max(vals)
                r = m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in vals))
            rs[i] = r
        if self.elementwise:
            return [self.final(zk, zy, int(k == label), alpha, *rs) for k, zk in enumerate(z)]
        return self.final(z[0], zy, 0, alpha, *rs)


@functools.lru_cache(maxsize=64)
def _compiled(regularizer, k: int):
    loss, grad = derive_row_loss(regularizer, k)
    return MpRowExpression(loss), MpRowExpression(grad)


def _rows(logits, labels, alpha, which, dps):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(labels).astype(int)
    mp_loss, mp_grad = _compiled(which[0], z.shape[1])
    expr = mp_loss if which[1] == "loss" else mp_grad
    with mpmath.workdps(dps):
        a = mpmath.mpf(float(alpha))
        return [expr.value([mpmath.mpf(float(v)) for v in row], int(lab), a)
                for row, lab in zip(z, y)]


def reference_loss(regularizer, logits, labels, alpha, dps: int = 50) -> list:
    r"""Per-row :math:`\ell(z, y)` at ``dps`` digits (a list of ``mpf``)."""
    return _rows(logits, labels, alpha, (regularizer, "loss"), dps)


def reference_grad(regularizer, logits, labels, alpha, dps: int = 50) -> list:
    r"""Per-row :math:`\partial\ell/\partial z_j` at ``dps`` digits (lists of ``mpf``); at
    ties of the top logits, the tie-set share."""
    return _rows(logits, labels, alpha, (regularizer, "grad"), dps)
