r"""The squared per-sample loss (claims B4, B5, M3, M4): minimum-norm linear least squares
(LAPACK ``gelsd``), binary :math:`(t - t^*)^2` and multiclass :math:`\|z - q e_y\|^2`."""

from __future__ import annotations

import numpy as np
from scipy import linalg

from core.validation import REAL, Boolean, validate_params

from numerics.solve._inputs import DESIGN, N_CLASSES, augment, class_labels
from numerics.solve.solution import Solution

__all__ = ["minimize_squared", "minimize_squared_multiclass"]


@validate_params({"U": DESIGN, "target": [REAL]})
def minimize_squared(U, target: float = 1.0) -> Solution:
    r"""Minimum-norm minimiser of :math:`\frac1N\sum_i (S\cdot u_i - t^*)^2` (claims B4, B5).

    Closed form :math:`S = t^* U^+ \mathbf 1`. With :math:`N > d` and full rank the normal
    equations read :math:`(\hat\Sigma + \hat\mu\hat\mu^\top) S = t^*\hat\mu`, so by
    Sherman--Morrison :math:`S = \frac{t^*}{1 + \hat\mu^\top\hat\Sigma^{-1}\hat\mu}\,
    \hat\Sigma^{-1}\hat\mu` (empirical mean, centred covariance): the direction is
    independent of :math:`t^*`. A prefactor :math:`a` in :math:`a(t-t^*)^2` does not
    change the minimiser.

    >>> import numpy as np
    >>> U = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> sol = minimize_squared(U, 2.0)
    >>> np.allclose(U.T @ (U @ sol.coef - 2.0), 0)
    True
    """
    n = U.shape[0]
    S, _, rank, _ = linalg.lstsq(U, np.full(n, target), lapack_driver="gelsd",
                                 check_finite=False)
    r = U @ S - target
    return Solution(S, 0.0, float(r @ r / n), float(np.linalg.norm(2 * U.T @ r / n)), 0,
                    "least-squares", int(rank))


@validate_params({"X": DESIGN, "q": [REAL], "n_classes": N_CLASSES, "fit_intercept": [Boolean()]})
def minimize_squared_multiclass(X, y, q: float = 1.0, *, n_classes=None,
                                fit_intercept: bool = True) -> Solution:
    r"""Minimum-norm minimiser of :math:`\frac1N\sum_i \|Wx_i + b - q\,e_{y_i}\|^2`
    (claims M3, M4).

    Linear least squares :math:`[X, \mathbf 1][W, b]^\top = q\,Y` (one-hot ``Y``), so
    :math:`W(q) = q\,W(1)` exactly (M3). With the bias, the rows of the class-centred
    :math:`W` span :math:`\Sigma_T^{-1}\operatorname{span}\{\mu_c - \mu\} =
    S_W^{-1}\operatorname{span}\{\mu_c-\mu\}`, the Fisher discriminant subspace (M4).
    """
    y, k = class_labels(y, X.shape[0], n_classes, "minimize_squared_multiclass")
    Xa = augment(X, fit_intercept)
    target = q * np.eye(k)[y]
    coef, _, rank, _ = linalg.lstsq(Xa, target, lapack_driver="gelsd", check_finite=False)
    R = Xa @ coef - target
    n = X.shape[0]
    W = coef[:X.shape[1]].T.copy()
    b = coef[X.shape[1]].copy() if fit_intercept else np.zeros(k)
    return Solution(W, b, float(np.sum(R * R) / n), float(np.linalg.norm(2 * Xa.T @ R / n)),
                    0, "least-squares", int(rank))
