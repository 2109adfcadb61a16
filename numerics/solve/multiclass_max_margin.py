r"""The multiclass hard-margin SVM (Crammer--Singer without bias), the limit direction of
gradient descent on multiclass cross-entropy (docs/theory.md §6 (G1)):

.. math::
    \min_W \|W\|_F^2 \ \text{s.t.}\ (w_{y_i} - w_j)\cdot x_i \ge 1\ \forall j \ne y_i ,

the binary problem on Kesler's vectors :math:`(e_{y_i} - e_j)\otimes x_i`, solved from
the structure (:math:`XX^\top` and the labels; :mod:`numerics.solve.multiclass_active_set`)
and certified by its KKT residual, else by clarabel on the explicit Kesler vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InvalidParameterError
from core.validation import CLASS_COUNT, POSITIVE, Array, ClassLabels, validate, validate_params

from numerics.solve.max_margin import (CERTIFY_TOL, METHOD, MaxMarginResult,
                                       max_margin_direction)
from numerics.solve.multiclass_active_set import structured_max_margin
from numerics.solve.separability import kesler_vectors

__all__ = ["MulticlassMaxMarginResult", "multiclass_max_margin"]

#: Up to this many constraints N(K-1) ``"auto"`` solves the explicit Kesler problem (the
#: binary routes on its dense Gram matrix: milliseconds, no liblinear start-up); beyond,
#: the structured route, whose cost is the Cholesky of the support block.
KESLER_MAX = 2000


@dataclass(frozen=True, eq=False)
class MulticlassMaxMarginResult:
    r"""Multiclass hard-margin SVM :math:`\hat W` (docs/theory.md §6 (G1)).

    ``W`` is (K, d) with :math:`(\hat w_{y_i} - \hat w_j)\cdot x_i \ge 1`; ``direction`` is
    :math:`\hat W/\|\hat W\|_F`; ``margin`` is the smallest normalised relative margin;
    ``dual`` (N, K-1) are the multipliers of the constraints against the classes
    :math:`j \ne y_i` in increasing order; ``binary`` is the underlying Kesler solve
    (``None`` for the structured route); ``kkt`` the measures of
    :class:`numerics.solve.max_margin.MaxMarginResult`; ``method`` ``"structured"`` or
    the Kesler route's.
    """

    W: np.ndarray = field(repr=False)
    direction: np.ndarray = field(repr=False)
    margin: float
    dual: np.ndarray = field(repr=False)
    kkt_residual: float
    binary: MaxMarginResult | None = field(repr=False)
    kkt: dict = field(default_factory=dict)
    method: str = "structured"
    solve_time: float = 0.0


@validate_params({"X": [Array(2)], "k": [CLASS_COUNT], "method": METHOD, "tol": [POSITIVE]})
def multiclass_max_margin(X, y, k, *, method="auto", tol=1e-10, polish=True,
                          certify=CERTIFY_TOL) -> MulticlassMaxMarginResult:
    r"""Multiclass hard-margin SVM, the limit direction of GD on cross-entropy (G1).

    .. math::
        \hat W = \arg\min_W \|W\|_F^2 \ \text{s.t.}\
        (w_{y_i} - w_j)\cdot x_i \ge 1\quad \forall i,\ \forall j \ne y_i .

    It is exactly the binary problem of :func:`max_margin_direction` on the
    :func:`kesler_vectors` (:math:`\|\operatorname{vec} W\| = \|W\|_F`). ``method="auto"``
    or ``"active_set"`` solve it from :math:`XX^\top` and the class structure
    (:func:`numerics.solve.multiclass_active_set.structured_max_margin`: liblinear
    Crammer--Singer warm start, exact active-set rounds; the paper's K=10, N=2000, d=1400
    problem, 18,000 constraints, in seconds; ``"auto"`` above :data:`KESLER_MAX`
    constraints) and keep the answer if its KKT residual is at most ``certify``;
    otherwise, or for small problems and the other methods, :func:`max_margin_direction`
    runs on the explicit Kesler vectors (N(K-1) x Kd: a few thousand constraints at most).
    """
    caller = "multiclass_max_margin"
    y = validate("y", y, ClassLabels(X.shape[0], k), caller)
    structured = method == "active_set" or (method == "auto" and
                                            X.shape[0] * (k - 1) > KESLER_MAX)
    if structured:
        out = structured_max_margin(X, y, k)
        if out is not None and out[3] <= certify:
            W, a_grid, kkt, resid, _, seconds = out
            norm = float(np.linalg.norm(W))
            others = np.ones_like(a_grid, dtype=bool)
            others[np.arange(X.shape[0]), y] = False
            dual = a_grid[others].reshape(X.shape[0], k - 1)
            F = X @ W.T
            margin = float(np.min((F[np.arange(X.shape[0]), y][:, None] - F)[others])) / norm
            return MulticlassMaxMarginResult(
                W=W, direction=W / norm, margin=margin, dual=dual, kkt_residual=resid,
                binary=None, kkt=kkt, method="structured", solve_time=seconds)
    V = kesler_vectors(X, y, k)
    try:
        res = max_margin_direction(V, method="auto" if method == "active_set" else method,
                                   tol=tol, polish=polish, certify=certify)
    except InvalidParameterError:
        raise InvalidParameterError(
            f"The data passed to {caller} (N={X.shape[0]} samples, dimension {X.shape[1]}, "
            f"K={k} classes) are not linearly separable: the multiclass hard-margin SVM has "
            "no solution.") from None
    W = res.weights.reshape(k, X.shape[1])
    return MulticlassMaxMarginResult(
        W=W, direction=W / np.linalg.norm(W), margin=res.margin,
        dual=res.dual.reshape(X.shape[0], k - 1), kkt_residual=res.kkt_residual, binary=res,
        kkt=res.kkt, method=res.method, solve_time=res.solve_time)
