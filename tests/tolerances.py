"""Tolerances, each tied to the method that produces the compared numbers."""

import numpy as np

#: float64 root of l'(t) = 0 polished by Newton vs a 50-digit reference: a few ulps of t*
#: times the conditioning of the root; 1e-12 leaves ~4 digits of headroom.
ROOT_RTOL = 1e-12
#: float64 evaluation of a stable closed expression vs 50-digit mpmath: each primitive is
#: correctly rounded to ~1 ulp; CSE'd expressions with <~30 operations stay below 1e-13.
EVAL_RTOL = 1e-13
#: central finite differences with step h = 1e-5: truncation O(h^2 f''') ~ 1e-10 and
#: round-off O(eps/h) ~ 1e-11 relative to |f|; 1e-6 is a safe bound for |t| <= 20.
FD_RTOL = 1e-6


def assert_close(actual, expected, *, rtol, atol=0.0, what=""):
    """One float comparison helper: relative + absolute, with a message naming ``what``."""
    np.testing.assert_allclose(np.asarray(actual, dtype=float),
                               np.asarray(expected, dtype=float), rtol=rtol, atol=atol,
                               err_msg=what)
