r"""The unregularised logistic MLE: the :math:`\alpha = 0` limit on non-separable data
(claims B7, B10), the finite minimiser gradient descent on cross-entropy converges to."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import ConvergenceError, InvalidParameterError
from core.validation import COUNT, POSITIVE, Array, validate_params

from numerics.solve._logistic_newton import logistic_newton
from numerics.solve.separability import is_linearly_separable

__all__ = ["MLEResult", "unregularized_mle"]


@dataclass(frozen=True, eq=False)
class MLEResult:
    r"""Logistic MLE without bias: ``weights``, mean ``loss``, ``gradient_norm``,
    Newton ``iterations``."""

    weights: np.ndarray = field(repr=False)
    loss: float
    gradient_norm: float
    iterations: int


@validate_params({"U": [Array(2)], "tol": [POSITIVE], "max_iter": [COUNT]})
def unregularized_mle(U, *, tol=1e-10, max_iter=100, check_separable=True) -> MLEResult:
    r"""Minimiser of :math:`L(S) = \frac1N\sum_i \log(1 + e^{-S\cdot u_i})` (the
    :math:`\alpha = 0` limit on non-separable data; B7, B10).

    Newton's method with Armijo backtracking from :math:`S = 0`:

    .. math::
        \nabla L = -\tfrac1N U^\top\sigma(-t),\qquad
        \nabla^2 L = \tfrac1N U^\top \operatorname{diag}(\sigma(t)\sigma(-t))\,U,

    with :math:`\ell_{CE}` and its derivatives compiled from ``theory`` (stable). Stops at
    :math:`\|\nabla L\| \le` ``tol``.

    Raises
    ------
    InvalidParameterError
        If the data are linearly separable (then :math:`L` has no minimiser: its infimum
        0 is approached as :math:`\|S\|\to\infty` along a separating direction).
    ConvergenceError
        After ``max_iter`` Newton steps (carries ``iterations`` and ``gradient_norm``).
    """
    caller = "unregularized_mle"
    n, d = U.shape
    if check_separable and is_linearly_separable(U):
        raise InvalidParameterError(
            f"The logistic MLE of {caller} does not exist: the data (N={n} samples, "
            f"dimension {d}) are linearly separable, so the loss tends to 0 only as "
            "|S| -> infinity. Use max_margin_direction for its limit direction.")
    state = logistic_newton(U, max_iter, grad_tol=tol)
    if state.converged:
        return MLEResult(weights=state.S, loss=state.loss, gradient_norm=state.gradient_norm,
                         iterations=state.iterations)
    why = "the line search failed" if state.failed else f"{max_iter} Newton steps were spent"
    raise ConvergenceError(
        f"{caller} did not reach |grad| <= {tol}: {why} "
        f"(|grad| = {state.gradient_norm!r}).", iterations=state.iterations,
        gradient_norm=state.gradient_norm)
