r"""The objectives the exact solvers hand to :func:`numerics.solve._newton.damped_newton`:
value, gradient (with its rounding floor) and Hessian of the mean binary loss
:math:`\frac1N\sum_i\ell(v_i\cdot x)` (plus weight decay), and of the mean multiclass loss
in the class-and-row-space coordinates :math:`W = B\Theta Q^\top`."""

from __future__ import annotations

import numpy as np

from numerics.compile.compiled import T_MAX
from numerics.solve._newton import EPS, damped_newton

__all__ = ["BinaryObjective", "MulticlassObjective", "newton"]


class BinaryObjective:
    r""":math:`w\sum_i \ell(v_i\cdot x) + \frac\gamma2\|x\|^2` on a design ``V``; ``weight``
    a scalar (default :math:`1/N`) or per-row weights :math:`w_i` (``sample_weight``)."""

    def __init__(self, V, loss, dloss, d2loss, alpha, *, weight=None, gamma=0.0):
        self.V, self.alpha, self.gamma = V, alpha, gamma
        self.loss, self.dloss, self.d2loss = loss, dloss, d2loss
        self.w = 1.0 / V.shape[0] if weight is None else weight
        self.row_norms = np.linalg.norm(V, axis=1)

    def logits(self, x):
        return self.V @ x

    def value(self, x):
        t = self.V @ x
        if not np.all(np.abs(t) <= T_MAX):  # outside the compiled functions' safe range
            return np.inf
        if np.ndim(self.w):
            return float(np.sum(self.w * self.loss(t, self.alpha)) + 0.5 * self.gamma * (x @ x))
        return float(self.w * np.sum(self.loss(t, self.alpha)) + 0.5 * self.gamma * (x @ x))

    def grad(self, x):
        d = self.dloss(self.V @ x, self.alpha)
        if np.ndim(self.w):   # per-row weights: fold them into l' (same floor formula)
            d = self.w * d
            g = self.V.T @ d + self.gamma * x
            floor = 64 * EPS * (np.sum(np.abs(d) * self.row_norms)
                                + self.gamma * np.linalg.norm(x))
            return g, floor
        g = self.w * (self.V.T @ d) + self.gamma * x
        floor = 64 * EPS * (self.w * np.sum(np.abs(d) * self.row_norms)
                            + self.gamma * np.linalg.norm(x))
        return g, floor

    def hess(self, x):
        h = self.d2loss(self.V @ x, self.alpha)
        if np.all(h >= 0):
            W = self.V * np.sqrt(self.w * h)[:, None]
            H = W.T @ W  # symmetric rank-k update (syrk): half the flops
        else:
            H = (self.V.T * (self.w * h)) @ self.V
        if self.gamma:
            H[np.diag_indices_from(H)] += self.gamma
        return H


def newton(obj, x0, tol, max_iter, what):
    return damped_newton(obj.value, obj.grad, x0, hess=obj.hess, tol=tol,
                         max_iter=max_iter, what=what)


class MulticlassObjective:
    r"""Mean multiclass loss in coordinates :math:`W = B\Theta Q^\top` (the notes of
    :mod:`numerics.solve.multiclass`)."""

    def __init__(self, V, y, comp, alpha, B):
        self.V, self.comp, self.alpha, self.B = V, comp, alpha, B
        n, k = V.shape[0], comp.k
        perm = np.tile(np.arange(k), (n, 1))
        rows = np.arange(n)
        perm[rows, 0] = y
        perm[rows, y] = 0
        self.perm = perm  # an involution: swaps columns 0 and y_i
        self.shape = (B.shape[1], V.shape[1])
        self.row_norms = np.linalg.norm(V, axis=1)
        self._cache_key = None

    def logits(self, x):
        return self.V @ (self.B @ x.reshape(self.shape)).T

    def _permuted(self, x):
        Z = self.logits(x)
        return np.take_along_axis(Z, self.perm, axis=1)

    def value(self, x):
        Zp = self._permuted(x)
        if not np.all(np.abs(Zp) <= T_MAX):
            return np.inf
        return float(np.mean(self.comp.loss(*Zp.T, self.alpha)))

    def _grad_logits(self, x):
        Zp = self._permuted(x)
        Gp = np.column_stack([gk(*Zp.T, self.alpha) for gk in self.comp.grad])
        return np.take_along_axis(Gp, self.perm, axis=1)

    def grad(self, x):
        G = self._grad_logits(x)
        n = self.V.shape[0]
        g = (self.B.T @ G.T @ self.V) / n
        floor = 64 * EPS * np.sum(np.linalg.norm(G, axis=1) * self.row_norms) / n
        return g.ravel(), floor

    def _blocks(self, x):
        """Per-sample Hessians in class coordinates, :math:`B^\top H_i B` (N, K', K')."""
        key = x.tobytes()
        if self._cache_key != key:
            Zp = self._permuted(x)
            k = self.comp.k
            cols = Zp.T
            Hp = np.empty((Zp.shape[0], k, k))
            for a in range(k):
                for b in range(a, k):
                    Hp[:, a, b] = Hp[:, b, a] = self.comp.hess[a][b](*cols, self.alpha)
            rows = np.arange(Zp.shape[0])[:, None, None]
            H = Hp[rows, self.perm[:, :, None], self.perm[:, None, :]]
            self._cache = np.einsum("ka,nkl,lb->nab", self.B, H, self.B, optimize=True)
            self._cache_key = key
        return self._cache

    def hess(self, x):
        Hb = self._blocks(x)
        kp, r = self.shape
        n = self.V.shape[0]
        H = np.empty((kp, r, kp, r))
        for a in range(kp):
            for b in range(a, kp):
                blk = (self.V.T * (Hb[:, a, b] / n)) @ self.V
                H[a, :, b, :] = blk
                H[b, :, a, :] = blk.T
        return H.reshape(kp * r, kp * r)

    def hessp(self, x, v):
        Hb = self._blocks(x)
        dZ = self.V @ v.reshape(self.shape).T  # (N, K')
        out = np.einsum("nab,nb->na", Hb, dZ)
        return (out.T @ self.V).ravel() / self.V.shape[0]
