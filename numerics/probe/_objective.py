r"""The probe's multiclass objective: :class:`numerics.solve._objectives.MulticlassObjective`
with per-sample Hessians compiled from four expressions instead of :math:`K^2`.

The per-sample loss for class 0 (docs/theory.md §4),
:math:`\ell(z) = (1-\alpha)(\operatorname{lse}(z) - z_0) + \alpha f(z)` with f
permutation-symmetric, is symmetric in :math:`z_1, \dots, z_{K-1}`. Every entry of its
Hessian is therefore one of four derived forms evaluated at permuted arguments:
:math:`\partial_{00}\ell`, :math:`\partial_{0j}\ell(z) = \partial_{01}\ell(z\circ\pi)`,
:math:`\partial_{jj}\ell(z) = \partial_{11}\ell(z\circ\pi)` and, for :math:`1 \le i < j`,
:math:`\partial_{ij}\ell(z) = \partial_{12}\ell(z\circ\pi)`, with :math:`\pi` the
permutation that puts :math:`z_i, z_j` in places 1, 2 and fixes :math:`z_0`. The forms are
differentiated and compiled from the derivation (:func:`theory.derive_multiclass`, the
same expression and differentiation rule as ``CompiledMulticlass.hess``): compiling four
expressions instead of :math:`K^2` takes 0.2 s instead of 4.4 s at K = 10, most of a
digits-size probe's budget. The gradient likewise needs two forms,
:math:`\partial_0\ell` and :math:`\partial_1\ell`. Each form is evaluated once on the
concatenated permuted arguments of all the entries it serves.
"""

from __future__ import annotations

import numpy as np

from numerics.solve._objectives import MulticlassObjective

__all__ = ["hessian_forms", "SymmetricObjective"]

_FORMS: dict = {}


def hessian_forms(comp) -> dict:
    r"""Compiled forms ``{(0,0), (0,1), (1,1)[, (1,2)]}`` of the class-0 Hessian of
    ``comp`` (a :class:`numerics.compile.compiled.CompiledMulticlass`); cached per
    compiled object."""
    key = id(comp)
    if key not in _FORMS:
        from theory import ALPHA, logit_symbols
        from theory._solve import drop_dirac

        from numerics.compile.compiled import lambdify_numpy
        from numerics.compile._ties import tie_aware_diff

        z = logit_symbols(comp.k)
        loss = comp.derivation.loss
        pairs = [(0, 0), (0, 1), (1, 1)] + ([(1, 2)] if comp.k > 2 else [])
        _FORMS[key] = (comp, {p: lambdify_numpy((*z, ALPHA),
                                                drop_dirac(tie_aware_diff(loss, z[p[0]], z[p[1]])))
                              for p in pairs})
    return _FORMS[key][1]


def gradient_forms(comp) -> dict:
    r"""Compiled forms ``{0, 1}`` of the class-0 gradient: :math:`\partial_0\ell` and
    :math:`\partial_1\ell`, from which :math:`\partial_j\ell(z) = \partial_1\ell(z\circ\pi)`."""
    key = ("grad", id(comp))
    if key not in _FORMS:
        from theory import ALPHA, logit_symbols

        from numerics.compile.compiled import lambdify_numpy
        from numerics.compile._ties import tie_aware_diff

        z = logit_symbols(comp.k)
        _FORMS[key] = (comp, {j: lambdify_numpy((*z, ALPHA), tie_aware_diff(comp.derivation.loss, z[j]))
                              for j in (0, 1)})
    return _FORMS[key][1]


def class0_gradients(comp, Zp, alpha) -> np.ndarray:
    r"""Per-sample gradients (N, K) of the class-0 loss at rows ``Zp``: two compiled
    forms, the second evaluated once on the K−1 concatenated argument orders."""
    forms = gradient_forms(comp)
    k = comp.k
    cols = Zp.T
    G = np.empty((Zp.shape[0], k))
    G[:, 0] = forms[0](*cols, alpha)
    G[:, 1:] = _batched(forms[1], cols, [_placed(k, j) for j in range(1, k)], alpha).T
    return G


def _placed(k, first, second=None):
    """Argument order putting ``first`` (and ``second``) in places 1 (and 2), 0 fixed."""
    lead = [0, first] + ([] if second is None else [second])
    return lead + [c for c in range(1, k) if c not in lead]


def _batched(form, cols, perms, alpha):
    """``form`` at the argument orders ``perms`` in one call: (len(perms), N)."""
    n = cols.shape[1]
    args = np.concatenate([cols[p] for p in perms], axis=1)  # (K, N * len(perms))
    return np.asarray(form(*args, alpha)).reshape(len(perms), n)


def class0_hessians(comp, Zp, alpha) -> np.ndarray:
    r"""Per-sample Hessians (N, K, K) of the class-0 loss at rows ``Zp`` (module notes);
    each form is evaluated once on the concatenated permuted arguments (the per-call
    overhead of the compiled functions dominates at digits size)."""
    forms = hessian_forms(comp)
    k = comp.k
    cols = Zp.T
    H = np.empty((Zp.shape[0], k, k))
    H[:, 0, 0] = forms[(0, 0)](*cols, alpha)
    single = [_placed(k, j) for j in range(1, k)]
    off, diag = _batched(forms[(0, 1)], cols, single, alpha), _batched(forms[(1, 1)], cols,
                                                                       single, alpha)
    for j in range(1, k):
        H[:, 0, j] = H[:, j, 0] = off[j - 1]
        H[:, j, j] = diag[j - 1]
    pairs = [(i, j) for j in range(1, k) for i in range(1, j)]
    if pairs:
        vals = _batched(forms[(1, 2)], cols, [_placed(k, i, j) for i, j in pairs], alpha)
        for (i, j), v in zip(pairs, vals):
            H[:, i, j] = H[:, j, i] = v
    return H


class SymmetricObjective(MulticlassObjective):
    r"""``MulticlassObjective`` whose gradients and Hessian blocks come from
    :func:`class0_gradients` and :func:`class0_hessians`."""

    def _grad_logits(self, x):
        Gp = class0_gradients(self.comp, self._permuted(x), self.alpha)
        return np.take_along_axis(Gp, self.perm, axis=1)

    def _blocks(self, x):
        key = x.tobytes()
        if self._cache_key != key:
            Zp = self._permuted(x)
            Hp = class0_hessians(self.comp, Zp, self.alpha)
            rows = np.arange(Zp.shape[0])[:, None, None]
            H = Hp[rows, self.perm[:, :, None], self.perm[:, None, :]]
            self._cache = np.einsum("ka,nkl,lb->nab", self.B, H, self.B, optimize=True)
            self._cache_key = key
        return self._cache

    def hess(self, x):
        r"""Dense Hessian :math:`\frac1N\sum_n H_n\otimes v_nv_n^\top` as one matrix product
        (the blocks' outer products :math:`v_nv_n^\top` are formed once per objective)."""
        Hb = self._blocks(x)
        kp, r = self.shape
        n = self.V.shape[0]
        if getattr(self, "_outer", None) is None:
            self._outer = (self.V[:, :, None] * self.V[:, None, :]).reshape(n, r * r)
        ia, ib = np.triu_indices(kp)  # the blocks are symmetric in (a, b): half the work
        blocks = (Hb[:, ia, ib].T @ self._outer / n).reshape(ia.size, r, r)
        H = np.empty((kp, r, kp, r))
        for m, (a, b) in enumerate(zip(ia, ib)):
            H[a, :, b, :] = blocks[m]
            H[b, :, a, :] = blocks[m].T
        return H.reshape(kp * r, kp * r)
