r"""The smoothing continuation shared by the non-smooth solvers (binary kink at
:math:`t = 0`, multiclass ties of the top logits): the schedule of smoothing widths,
the tolerances that turn its last stage into an active set, and the steepest-descent
release step of the active-set polish."""

from __future__ import annotations

import sympy as sp

__all__ = ["EPS_SCHEDULE", "SMOOTH_TOL", "KINK_ACTIVE", "KINK_ROUNDS", "EPS_SYM",
           "descent_along"]

#: Smoothing schedule for a kink at t = 0 (non-smooth f such as MaxSup). The smoothed
#: problems only locate the active set, so they are solved loosely (SMOOTH_TOL): at
#: epsilon = 1e-7 the curvature alpha/(2 epsilon) of a kink sample turns a rounding error
#: of 1e-17 in t_i into ~1e-11 in the gradient.
EPS_SCHEDULE = tuple(10.0 ** -k for k in range(1, 8))
SMOOTH_TOL = 1e-8
#: ``|t_i|`` below which a sample of the last smoothed problem is taken to sit on the kink;
#: the smoothed logits of kink samples are O(epsilon) = O(1e-7).
KINK_ACTIVE = 1e-4
#: Rounds of (polish, certify, steepest-descent release) before giving up.
KINK_ROUNDS = 200
#: The smoothing width as a SymPy symbol (substituted into the registry expression).
EPS_SYM = sp.Symbol("epsilon", positive=True)


def descent_along(value, x, r):
    """Armijo backtracking along ``-r`` (``r`` a subgradient of the convex ``value``)."""
    f0, slope, step = value(x), -float(r @ r), 1.0
    while step > 1e-20:
        if value(x - step * r) <= f0 + 1e-4 * step * slope:
            return x - step * r
        step *= 0.5
    return x
