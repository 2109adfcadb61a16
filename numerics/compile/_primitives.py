r"""Stable numerical implementations of the SymPy primitives of :mod:`theory._functions`.

These are the only hand-written numerics of the loss family: each is the textbook stable
evaluation of one elementary function, never a derived formula.

.. math::
    \operatorname{softplus}(x) = \max(x, 0) + \log(1 + e^{-|x|}),\quad
    \sigma(x) = \operatorname{expit}(x),\quad
    \operatorname{lse}(z) = m + \log\sum_k e^{z_k - m},\ m = \max_k z_k.
"""

from __future__ import annotations

import mpmath
import numpy as np
from scipy import special

__all__ = ["NUMPY_PRIMITIVES", "MPMATH_PRIMITIVES"]


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return special.expit(x)


def _logsumexp(*zs):
    arrays = np.broadcast_arrays(*[np.asarray(z, dtype=float) for z in zs])
    stacked = np.stack(arrays, axis=0)
    return special.logsumexp(stacked, axis=0)


def _heaviside(x, h0=0.5):
    return np.heaviside(x, h0)


def _amax(*zs):
    return np.maximum.reduce(np.broadcast_arrays(*[np.asarray(z, dtype=float) for z in zs]))


def _amin(*zs):
    return np.minimum.reduce(np.broadcast_arrays(*[np.asarray(z, dtype=float) for z in zs]))


NUMPY_PRIMITIVES = {
    "Softplus": _softplus, "Sigmoid": _sigmoid, "LogSumExp": _logsumexp,
    "Heaviside": _heaviside, "Max": _amax, "Min": _amin,
}


def _mp_softplus(x):
    x = mpmath.mpf(x)
    return x + mpmath.log1p(mpmath.exp(-x)) if x > 0 else mpmath.log1p(mpmath.exp(x))


def _mp_sigmoid(x):
    x = mpmath.mpf(x)
    return 1 / (1 + mpmath.exp(-x)) if x >= 0 else mpmath.exp(x) / (1 + mpmath.exp(x))


def _mp_logsumexp(*zs):
    m = max(mpmath.mpf(z) for z in zs)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(z - m) for z in zs))


def _mp_heaviside(x, h0=mpmath.mpf(1) / 2):
    return mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else h0)


MPMATH_PRIMITIVES = {
    "Softplus": _mp_softplus, "Sigmoid": _mp_sigmoid, "LogSumExp": _mp_logsumexp,
    "Heaviside": _mp_heaviside, "Max": lambda *a: max(a), "Min": lambda *a: min(a),
}
