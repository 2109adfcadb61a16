r"""The multiclass hard-margin SVM (Crammer--Singer without bias), the limit direction of
gradient descent on multiclass cross-entropy (docs/theory.md §6 (G1)):

.. math::
    \min_W \|W\|_F^2 \ \text{s.t.}\ (w_{y_i} - w_j)\cdot x_i \ge 1\ \forall j \ne y_i ,

solved as the binary problem on Kesler's vectors :math:`(e_{y_i} - e_j)\otimes x_i`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InvalidParameterError
from core.validation import CLASS_COUNT, POSITIVE, Array, ClassLabels, validate, validate_params

from numerics.solve.max_margin import METHOD, MaxMarginResult, max_margin_direction
from numerics.solve.separability import kesler_vectors

__all__ = ["MulticlassMaxMarginResult", "multiclass_max_margin"]


@dataclass(frozen=True, eq=False)
class MulticlassMaxMarginResult:
    r"""Multiclass hard-margin SVM :math:`\hat W` (docs/theory.md §6 (G1)).

    ``W`` is (K, d) with :math:`(\hat w_{y_i} - \hat w_j)\cdot x_i \ge 1`; ``direction`` is
    :math:`\hat W/\|\hat W\|_F`; ``margin`` is the smallest normalised relative margin;
    ``dual`` (N, K-1) are the multipliers of the constraints against the classes
    :math:`j \ne y_i` in increasing order; ``binary`` is the underlying Kesler solve.
    """

    W: np.ndarray = field(repr=False)
    direction: np.ndarray = field(repr=False)
    margin: float
    dual: np.ndarray = field(repr=False)
    kkt_residual: float
    binary: MaxMarginResult = field(repr=False)


@validate_params({"X": [Array(2)], "k": [CLASS_COUNT], "method": METHOD, "tol": [POSITIVE]})
def multiclass_max_margin(X, y, k, *, method="auto", tol=1e-10,
                          polish=True) -> MulticlassMaxMarginResult:
    r"""Multiclass hard-margin SVM, the limit direction of GD on cross-entropy (G1).

    .. math::
        \hat W = \arg\min_W \|W\|_F^2 \ \text{s.t.}\
        (w_{y_i} - w_j)\cdot x_i \ge 1\quad \forall i,\ \forall j \ne y_i .

    It is exactly the binary problem of :func:`max_margin_direction` on the
    :func:`kesler_vectors` (:math:`\|\operatorname{vec} W\| = \|W\|_F`), so it shares its
    solver, polishing and KKT report. The dual has N(K-1) variables: fine up to a few
    thousand constraints; the paper-scale K=10, N=2000, d=1400 problem (18,000 dense
    constraints in 14,000 variables) is beyond a direct factorisation.
    """
    caller = "multiclass_max_margin"
    y = validate("y", y, ClassLabels(X.shape[0], k), caller)
    V = kesler_vectors(X, y, k)
    try:
        res = max_margin_direction(V, method=method, tol=tol, polish=polish)
    except InvalidParameterError:
        raise InvalidParameterError(
            f"The data passed to {caller} (N={X.shape[0]} samples, dimension {X.shape[1]}, "
            f"K={k} classes) are not linearly separable: the multiclass hard-margin SVM has "
            "no solution.") from None
    W = res.weights.reshape(k, X.shape[1])
    return MulticlassMaxMarginResult(
        W=W, direction=W / np.linalg.norm(W), margin=res.margin,
        dual=res.dual.reshape(X.shape[0], k - 1), kkt_residual=res.kkt_residual, binary=res)
