r"""The target of a regulariser whose convexity is not evident: the global minimiser.

For convex :math:`f` the stationary point of :math:`\ell` is its unique minimiser. When
convexity is not proved by composition rules (:func:`theory._properties.curvature_sign`),
:math:`\ell` can have several stationary points and the one a root finder brackets first
may be a local minimum only (docs/theory.md §1). :func:`global_refine` keeps the root when
no point of a dense grid on :math:`[0, 10^4]` has a smaller loss, and otherwise moves to
the grid's best basin, polished to machine precision. (For even :math:`f`,
:math:`\ell(-t) > \ell(t)` for :math:`t > 0`, so negative logits never win.) The
certified counterpart, interval branch and bound at 30 digits, is
:func:`theory._global_min.global_minimum`; ``theory.properties(reg)["global_target"]``
says which of the two the sample strengths needed.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

__all__ = ["global_refine", "SCAN_GRID"]

#: Step 0.005 up to ``|t| = 60`` (periodic terms with periods down to ~0.05 are resolved),
#: then geometric to the compiled range 1e4.
SCAN_GRID = np.concatenate([np.linspace(0.0, 60.0, 12001)[:-1], np.geomspace(60.0, 1.0e4, 600)])


def global_refine(root: float, a: float, loss, dloss, d2loss) -> float:
    r"""``root`` if no grid point has a smaller :math:`\ell(\cdot, a)`, else the minimiser
    of the best grid basin (bounded Brent, then Newton steps on :math:`\ell'`)."""
    with np.errstate(all="ignore"):
        values = loss(SCAN_GRID, a)
        here = float(loss(root, a))
    values = np.where(np.isfinite(values), values, np.inf)
    i = int(np.argmin(values))
    # a grid point must beat the root by more than float64 noise of the loss
    if not values[i] < here - 1e-13 * (1.0 + abs(here)):
        return root
    lo = SCAN_GRID[max(i - 1, 0)]
    hi = SCAN_GRID[min(i + 1, SCAN_GRID.size - 1)]
    res = optimize.minimize_scalar(lambda x: float(loss(x, a)), bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-15})
    t = float(res.x)
    for _ in range(4):
        h = float(d2loss(t, a))
        if not np.isfinite(h) or h <= 0:
            break
        step = t - float(dloss(t, a)) / h
        if not (lo <= step <= hi) or not loss(step, a) <= loss(t, a):
            break
        t = step
    return t if loss(t, a) < here else root
