r"""The weight-decay baseline (claims B7, B13): the logistic loss plus
:math:`\frac\gamma2\|S\|^2`, minimised exactly by Newton's method."""

from __future__ import annotations

import numpy as np

from core.validation import COUNT, POSITIVE, validate_params

from numerics.compile.compiled import cross_entropy_functions
from numerics.solve._inputs import DESIGN, lift
from numerics.solve._newton import row_space_basis
from numerics.solve._objectives import BinaryObjective, newton
from numerics.solve.solution import Solution

__all__ = ["minimize_weight_decay"]


@validate_params({"U": DESIGN, "gamma": [POSITIVE], "tol": [POSITIVE], "max_iter": [COUNT]})
def minimize_weight_decay(U, gamma: float = 0.2, *, tol: float = 1e-10,
                          max_iter: int = 100) -> Solution:
    r"""Weight-decay baseline (claims B7, B13): minimise

    .. math::
        \sum_{i=1}^N \log\bigl(1 + e^{-S\cdot u_i}\bigr) + \frac\gamma2\|S\|^2 .

    Strictly convex for :math:`\gamma > 0`, hence a unique minimiser (it lies in the row
    space of ``U``; for :math:`N < d` Newton runs there). This is scikit-learn's
    ``LogisticRegression(C=1/gamma, fit_intercept=False)`` objective
    :math:`\frac12\|w\|^2 + C\sum_i \log(1+e^{-y_i w\cdot x_i})` divided by ``C``.

    >>> import numpy as np
    >>> U = np.array([[1.0, 0.5], [0.3, -1.0], [-0.2, 0.4]])
    >>> sol = minimize_weight_decay(U, 0.2)
    >>> sol.gradient_norm <= 1e-10
    True
    """
    Q, rank = (None, U.shape[1]) if U.shape[0] >= U.shape[1] else row_space_basis(U)
    V = U if Q is None else U @ Q
    ce, d1, d2 = cross_entropy_functions()
    obj = BinaryObjective(V, lambda t, a: ce(t), lambda t, a: d1(t), lambda t, a: d2(t), 0.0,
                           weight=1.0, gamma=float(gamma))
    res = newton(obj, np.zeros(V.shape[1]), tol, max_iter, "minimize_weight_decay")
    return Solution(lift(Q, res.x), 0.0, res.value, res.gradient_norm, res.iterations,
                    "newton", rank)
