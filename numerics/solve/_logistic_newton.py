r"""Damped Newton on the mean logistic loss :math:`\frac1N\sum_i\log(1+e^{-S\cdot u_i})`
from :math:`S = 0`: the engine of the separability certificate
(:func:`numerics.solve.separability.is_linearly_separable`) and of the unregularised MLE
(:func:`numerics.solve.logistic_mle.unregularized_mle`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from numerics.compile.compiled import cross_entropy_functions

__all__ = ["NewtonState", "logistic_newton"]


def _logistic(U, S):
    t = U @ S
    return float(np.mean(cross_entropy_functions()[0](t))), t


@dataclass
class NewtonState:
    S: np.ndarray
    loss: float
    gradient_norm: float
    iterations: int
    converged: bool = False
    verdict: bool | None = None  # separability certificate found (True/False) or None
    failed: bool = False


def logistic_newton(U, max_iter, *, grad_tol=0.0, certify_tol=None):
    r"""Damped Newton on the mean logistic loss from S = 0.

    Stops at :math:`\|\nabla L\| \le` ``grad_tol``; with ``certify_tol`` it also stops
    at a separability certificate (all :math:`t_i > 0`: verdict True; a positive Gordan
    vector with :math:`\|U^\top a\| \le` ``certify_tol``: verdict False).
    """
    n, d = U.shape
    S = np.zeros(d)
    loss, t = _logistic(U, S)
    for it in range(max_iter + 1):
        _, d1, d2 = cross_entropy_functions()
        q = -d1(t)  # sigma(-t), from the derived l_CE'
        uq = U.T @ q
        gnorm = float(np.linalg.norm(uq)) / n
        state = NewtonState(S=S, loss=loss, gradient_norm=gnorm, iterations=it)
        if certify_tol is not None:
            if it > 0 and np.min(t) > 0.0:
                state.verdict = True
                return state
            qsum = float(np.sum(q))
            if qsum > 0.0 and float(np.linalg.norm(uq)) <= certify_tol * qsum:
                state.verdict = False
                return state
        if gnorm <= grad_tol:
            state.converged = True
            return state
        if it == max_iter:
            return state
        w = d2(t)  # l_CE'' = sigma(t) sigma(-t), derived in theory
        H = (U.T * w) @ U / n
        grad = -uq / n
        # Cholesky, not linalg.solve: on separable data H -> 0 and solve() would warn
        # about conditioning, while a long Newton step is exactly what is wanted there.
        try:
            step = -linalg.cho_solve(linalg.cho_factor(H), grad)
        except linalg.LinAlgError:
            step = -np.linalg.lstsq(H, grad, rcond=None)[0]
        slope = float(grad @ step)
        size = 1.0
        while True:
            new_loss, new_t = _logistic(U, S + size * step)
            # Near the optimum the Newton decrement -slope ~ |grad|^2 falls below the
            # rounding of the loss itself; then the full step is taken on trust.
            if new_loss <= loss + 1e-4 * size * slope or -slope <= 1e-15 * max(loss, 1.0):
                break
            size *= 0.5
            if size < 1e-12:
                state.failed = True
                return state
        S = S + size * step
        loss, t = new_loss, new_t
    return state  # pragma: no cover - the loop always returns
