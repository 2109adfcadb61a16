r"""Batched (row-wise) form of the multiclass loss and its gradient, derived with SymPy.

:func:`theory.derive_multiclass` gives the per-sample loss of class 1 in K scalar symbols
(docs/theory.md §4, claim M1)

.. math::
    \ell(z, y) = (1-\alpha)\,(\operatorname{lse}(z) - z_y) + \alpha f(z).

Code for a ``(B, K)`` batch needs it in terms of row reductions instead. Because ``f`` is
permutation-symmetric, every sub-expression of the K-symbol form is either elementwise in
one ``z_k`` or a reduction over all of them; :func:`vectorize` rewrites it bottom-up with
the symbol :data:`Z` (the logit row, elementwise), :data:`ZY` (the label's logit) and the
row reductions :class:`RowSum`, :class:`RowLSE`, :class:`RowMax`, :class:`RowMin`
(``keepdims``: a ``(B, 1)`` column). A term that fits neither pattern raises, so nothing
is guessed.

The gradient with respect to the row is derived by the chain rule through the
reductions, every local partial derivative taken by :func:`sympy.diff`:

.. math::
    \nabla_j\,R[h] = c_j\,\partial_Z h(z_j) + \sum_{r \in h} \Big(\sum_k c_k\,
    \partial_r h(z_k)\Big)\,\nabla_j r,

with :math:`c_k = 1` for a sum, :math:`c_k = e^{h_k - R}` for lse and the tie-set share
:math:`c_k = \mathbb 1[h_k = R]/\#\{\text{ties}\}` for max/min (a subgradient at every tie,
see :mod:`numerics.compile._ties`), and :math:`\partial\ell/\partial z_y` multiplying the
one-hot row :data:`ONEHOT`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from theory import ALPHA, LogSumExp, derive_multiclass, get_regularizer, logit_symbols
from core.errors import InvalidParameterError

__all__ = ["Z", "ZY", "ONEHOT", "RowSum", "RowLSE", "RowMax", "RowMin", "ROW_NODES",
           "row_nodes_postorder", "vectorize", "row_gradient", "BatchedDerivation", "derive_batched", "derive_row_loss"]

#: The logit row (elementwise), the label's logit (one per row), the one-hot label row.
Z = sp.Symbol("z", real=True)
ZY = sp.Symbol("z_y", real=True)
ONEHOT = sp.Symbol("onehot", real=True)


class _Row(sp.Function):
    r"""A reduction over the class axis: ``Row(h, K)`` with ``h`` elementwise in :data:`Z`."""

    nargs = 2

    def _eval_is_extended_real(self):
        return True

    def _latex(self, printer, exp=None):
        body = printer._print(self.args[0].xreplace({Z: sp.Symbol("z_k")}))
        tex = self._TEX % body
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class RowSum(_Row):
    r""":math:`\sum_k h(z_k)`."""

    _TEX = r"\sum_{k=1}^{K} \left(%s\right)"


class RowLSE(_Row):
    r""":math:`\log\sum_k e^{h(z_k)}` (max-shifted in code)."""

    _TEX = r"\operatorname{lse}_{k}\left(%s\right)"


class RowMax(_Row):
    r""":math:`\max_k h(z_k)`."""

    _TEX = r"\max_{k}\left(%s\right)"


class RowMin(_Row):
    r""":math:`\min_k h(z_k)`."""

    _TEX = r"\min_{k}\left(%s\right)"


ROW_NODES = (RowSum, RowLSE, RowMax, RowMin)


def row_nodes_postorder(expr) -> list:
    """The distinct row reductions of ``expr``, innermost first, so that a printer can
    name each one before the expressions that use it."""
    out = []

    def walk(e):
        for a in e.args:
            walk(a)
        if isinstance(e, ROW_NODES) and e not in out:
            out.append(e)

    walk(expr)
    return out


def row(cls, h, k):
    r"""``cls(h, k)``, folded when ``h`` does not depend on :data:`Z` (a sum of a constant
    is ``k h``; its lse ``h + log k``; its max/min ``h``). Not an automatic ``eval``: the
    nodes must survive :func:`sympy.cse`, which substitutes symbols for their bodies."""
    if Z in h.free_symbols:
        return cls(h, k)
    if cls is RowSum:
        return k * h
    return h + sp.log(k) if cls is RowLSE else h
_REDUCERS = {LogSumExp: RowLSE, sp.Max: RowMax, sp.Min: RowMin}


def _template(term, zs):
    """``(index, h)`` when ``term`` depends on exactly one ``z_k`` (``h`` in :data:`Z`)."""
    used = [i for i, s in enumerate(zs) if s in term.free_symbols]
    if len(used) != 1:
        return None
    return used[0], term.xreplace({zs[used[0]]: Z})


def _group(args, zs, what, label_index=None):
    """Templates of ``args``, grouped; each group must hold every class exactly once (a
    lone term in the label's symbol stays as it is: the cross-entropy's ``-z_y``)."""
    k = len(zs)
    groups, rest = {}, []
    for a in args:
        tpl = _template(a, zs)
        if tpl is None:
            rest.append(a)
        else:
            groups.setdefault(tpl[1], []).append((tpl[0], a))
    full = {}
    for h, members in groups.items():
        idx = sorted(i for i, _ in members)
        if idx == list(range(k)):
            full[h] = idx
        elif label_index is not None and idx == [label_index]:
            rest.append(members[0][1])
        else:
            raise InvalidParameterError(
                f"cannot vectorise {what}: the terms {h} cover classes {idx} of {k}; "
                f"the multiclass form must be permutation-symmetric")
    return full, rest


def vectorize(expr: sp.Expr, zs, label=None) -> sp.Expr:
    r"""Rewrite ``expr`` in the K symbols ``zs`` with :data:`Z`, row reductions and (if
    ``label`` is one of ``zs``) :data:`ZY` for that symbol outside reductions.

    >>> z = logit_symbols(3)
    >>> vectorize(LogSumExp(*z) - sp.Add(*z) / 3, z)
    -RowSum(z/3, 3) + RowLSE(z, 3)
    """
    k = len(zs)
    zset = set(zs)
    label_index = None if label is None else list(zs).index(label)

    memo = {}  # shared subexpressions (the K copies of lse(z) in sum_k p_k log p_k)

    def walk(e):
        if e not in memo:
            memo[e] = visit(e)
        return memo[e]

    def visit(e):
        if not (e.free_symbols & zset):
            return e
        if e in zset:
            return e
        args = [walk(a) for a in e.args]
        reducer = _REDUCERS.get(e.func)
        if reducer is not None and len(args) == k:
            groups, rest = _group(args, zs, f"{e.func.__name__}{tuple(e.args)}")
            if not rest and len(groups) == 1:
                return row(reducer, next(iter(groups)), k)
        used = set().union(*[a.free_symbols for a in args]) & zset
        if e.is_Add and len(used) > 1:  # one symbol: elementwise in it, a reduction's body
            groups, rest = _group(args, zs, "a sum", label_index)
            return sp.Add(*rest, *[row(RowSum, h, k) for h in groups])
        return e.func(*args)

    out = walk(sp.sympify(expr))
    if label is not None:
        out = out.xreplace({label: ZY})
    left = out.free_symbols & zset
    if left:
        raise InvalidParameterError(
            f"cannot vectorise {sp.sstr(expr)[:120]}: {sorted(map(str, left))} remain outside "
            f"row reductions (the multiclass form must be permutation-symmetric)")
    return out


def _top_nodes(expr):
    """Row nodes of ``expr`` not nested in another row node."""
    found = set()

    def walk(e):
        if isinstance(e, ROW_NODES):
            found.add(e)
            return
        for a in e.args:
            walk(a)

    walk(expr)
    return sorted(found, key=sp.default_sort_key)


def _with_dummies(expr):
    nodes = _top_nodes(expr)
    dummies = [sp.Dummy(f"r{i}", real=True) for i in range(len(nodes))]
    return expr.xreplace(dict(zip(nodes, dummies))), list(zip(nodes, dummies))


def _no_dirac(expr):
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)


@functools.lru_cache(maxsize=256)
def _node_gradient(node) -> sp.Expr:
    h, k = node.args
    hd, pairs = _with_dummies(h)
    back = {d: n for n, d in pairs}
    if isinstance(node, RowSum):
        c = sp.S.One
    elif isinstance(node, RowLSE):
        c = sp.exp(h - node)
    else:  # max/min: the tie-set share, H_1(+-(h - R)) / #ties
        ind = sp.Heaviside((h - node) if isinstance(node, RowMax) else (node - h), 1)
        c = ind / row(RowSum, ind, k)
    out = c * _no_dirac(sp.diff(hd, Z)).xreplace(back)
    for n, d in pairs:
        weight = row(RowSum, c * _no_dirac(sp.diff(hd, d)).xreplace(back), k)
        out += weight * _node_gradient(n)
    return out


def row_gradient(expr: sp.Expr) -> sp.Expr:
    r"""Gradient of a per-row scalar ``expr`` (in :data:`ZY` and row nodes) with respect to
    the logit row: an elementwise expression in :data:`Z`, :data:`ONEHOT` and row nodes."""
    ed, pairs = _with_dummies(expr)
    back = {d: n for n, d in pairs}
    out = _no_dirac(sp.diff(ed, ZY)).xreplace(back) * ONEHOT
    for n, d in pairs:
        out += _no_dirac(sp.diff(ed, d)).xreplace(back) * _node_gradient(n)
    return out


@dataclass(frozen=True)
class BatchedDerivation:
    r"""Row-wise multiclass loss for one regulariser and K classes (docs/theory.md §4, M1).

    Attributes
    ----------
    f : sympy.Expr
        :math:`f` per row, in :data:`Z` and row nodes.
    loss : sympy.Expr
        :math:`(1-\alpha)(\operatorname{lse}(z) - z_y) + \alpha f(z)`, vectorised from
        :attr:`theory.MulticlassDerivation.loss` (class 1 as the label).
    grad : sympy.Expr
        :math:`\partial\ell/\partial z_j`, elementwise (:func:`row_gradient`).
    grad_f : sympy.Expr
        :math:`\partial f/\partial z_j`, elementwise.
    multiclass : theory.MulticlassDerivation
        Gap, targets, :math:`\alpha(g)`, :math:`\alpha_{max}`.
    """

    name: str
    k: int
    f: sp.Expr
    loss: sp.Expr
    grad: sp.Expr
    grad_f: sp.Expr
    multiclass: object


@functools.lru_cache(maxsize=64)
def derive_batched(regularizer, k: int) -> BatchedDerivation:
    r"""Vectorise :func:`theory.derive_multiclass` ``(regularizer, k)`` and derive its row
    gradient (module docstring)."""
    reg = get_regularizer(regularizer)
    d = derive_multiclass(reg, k)
    zs = logit_symbols(k)
    # f from the derived loss, linear in alpha: dl/dalpha + l|_(alpha=0) = (f - CE) + CE.
    # (Rebuilding f with reg.multiclass(k) would re-evaluate SymPy's Max of K arguments,
    # O(K^2) symbolic comparisons: minutes at K = 100.)
    f = vectorize(sp.diff(d.loss, ALPHA) + d.loss.subs(ALPHA, 0), zs)
    loss = vectorize(d.loss, zs, label=zs[0])
    return BatchedDerivation(reg.name, k, f, loss, row_gradient(loss), row_gradient(f), d)


@functools.lru_cache(maxsize=64)
def derive_row_loss(regularizer, k: int) -> tuple:
    r"""``(loss, grad)`` row expressions without :func:`theory.derive_multiclass`: for large
    K (the conformance reference, K up to 1000). The regulariser's K-symbol form is built
    unevaluated (SymPy's evaluated ``Max`` of K arguments costs O(K^2) symbolic
    comparisons), vectorised, and combined as in the derivation (docs/theory.md §4):
    :math:`(1-\alpha)(\operatorname{lse}(z) - z_1) + \alpha f(z)` with class 1 the label.
    Tested equal to :attr:`BatchedDerivation.loss` and to the K-symbol loss."""
    reg = get_regularizer(regularizer)
    zs = logit_symbols(k)
    with sp.evaluate(False):
        f_raw = reg.multiclass(k)
    f = vectorize(f_raw, zs)
    ce = vectorize(LogSumExp(*zs) - zs[0], zs, label=zs[0])
    loss = (1 - ALPHA) * ce + ALPHA * f
    return loss, row_gradient(loss)
