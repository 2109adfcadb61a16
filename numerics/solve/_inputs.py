r"""What the exact solvers share at their public boundary: the declared constraints of
their common parameters, the class-label check, and the design-matrix helpers of the
minimum-norm parametrisation (row-space coordinates, the intercept column)."""

from __future__ import annotations

import numpy as np

from core.validation import ALPHA_RANGE, CLASS_COUNT, Array, ClassLabels, check_classes, validate

from numerics.solve._newton import row_space_basis

__all__ = ["DESIGN", "ALPHA", "N_CLASSES", "class_labels",
           "reduce_to_row_space", "lift", "augment"]

#: A design matrix (rows u_i = y_i x_i, or x_i): finite, >= 1 sample and feature, used as
#: given (no copy to C order, so the solvers see the caller's array).
DESIGN = [Array(2, contiguous=False)]
ALPHA = [ALPHA_RANGE]
N_CLASSES = [CLASS_COUNT, None]


def class_labels(y, n_samples, n_classes, caller):
    """``(y as int64, K)``: ``n_samples`` indices in ``[0, K)``; ``K`` is ``n_classes``, or
    ``max(y) + 1`` when that is None (then at least 2 classes)."""
    y = validate("y", y, ClassLabels(n_samples, n_classes), caller)
    k = int(y.max()) + 1 if n_classes is None else n_classes
    return y, check_classes(k, caller=caller)


def reduce_to_row_space(U):
    """``(V, Q, rank)``: the design in row-space coordinates (``Q is None``: full rank)."""
    Q, rank = row_space_basis(U)
    return (U if Q is None else U @ Q), Q, rank


def lift(Q, beta):
    """Row-space coordinates back to the full space (the minimum-norm point)."""
    return beta.copy() if Q is None else Q @ beta


def augment(X, fit_intercept):
    """``[X, 1]`` when fitting an intercept, else ``X``."""
    return np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X
