r"""What the gradient-descent dynamics of :mod:`numerics.solve.gradient_descent` and
:mod:`numerics.solve.multiclass_gradient_descent` share: the recorded epochs, the
optimiser declarations, in-place Adam, the BLAS thread cap and the divergence guard.
"""

from __future__ import annotations

import contextlib
import math
from numbers import Integral, Real

import numpy as np

from core.errors import ConvergenceError, InvalidParameterError
from core.validation import (COUNT, Array, Interval, Options, parameter_error, validate,
                             validate_params)

__all__ = ["GRAM_MAX_N", "OPTIMIZER", "METHOD", "THREADS",
           "log_epoch_grid", "record_grid", "refuse_adam_gram", "call_checked",
           "adam_betas", "AdamState", "blas_limit", "finite", "diverged", "cosine"]

#: Above this many samples the N x N Gram matrix (8 N^2 bytes) is not formed.
GRAM_MAX_N = 12000
OPTIMIZER = [Options(str, ("gd", "adam"))]
METHOD = [Options(str, ("auto", "gram", "primal"))]
THREADS = [COUNT, None]
_BETA = Interval(Real, 0, 1, closed="left")


@validate_params({"epochs": [COUNT], "num": [Interval(Integral, 2, None, closed="left")]})
def log_epoch_grid(epochs, num=60, *, include_zero=True) -> np.ndarray:
    r"""Unique integer epochs, log-spaced from 1 to ``epochs`` (plus 0 if asked).

    >>> log_epoch_grid(1000, 4).tolist()
    [0, 1, 10, 100, 1000]
    """
    grid = np.unique(np.rint(np.logspace(0.0, math.log10(epochs), num)).astype(np.int64))
    grid[-1] = epochs
    return np.concatenate([[0], grid]) if include_zero else grid


def record_grid(record_at, epochs, caller):
    """The recorded epochs: strictly increasing integers in ``[0, epochs]``; default
    :func:`log_epoch_grid`."""
    if record_at is None:
        return log_epoch_grid(epochs)
    arr = validate("record_at", record_at, Array(1, kind="int", contiguous=False), caller)
    if arr.min() < 0 or arr.max() > epochs or np.any(np.diff(arr) <= 0):
        raise parameter_error("record_at", record_at,
                              f"strictly increasing epochs in [0, epochs={epochs}]", caller)
    return arr.astype(np.int64)


def refuse_adam_gram(optimizer, method, caller):
    """The logit-space iteration needs an update linear in the gradient: not Adam."""
    if optimizer == "adam" and method == "gram":
        raise InvalidParameterError(
            f"The 'method' parameter of {caller} cannot be 'gram' with optimizer='adam' "
            "(Adam is not linear in the gradient). Got 'gram'.")


def call_checked(fn, name, caller, shape, *args):
    out = np.asarray(fn(*args), dtype=np.float64)
    if out.shape != shape:
        raise InvalidParameterError(
            f"The {name!r} callable of {caller} must return per-sample values of shape "
            f"{shape}. Got shape {out.shape} instead.")
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            f"The {name!r} callable of {caller} returned non-finite values at the initial "
            "point.")
    return out


def adam_betas(betas, caller):
    """Adam's ``(beta1, beta2)``, each in [0, 1)."""
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise parameter_error("betas", betas, "a pair", caller) from None
    return validate("betas[0]", b1, _BETA, caller), validate("betas[1]", b2, _BETA, caller)


class AdamState:
    """In-place Adam (Kingma & Ba) on a weight array: no allocation per step."""

    def __init__(self, shape, b1, b2, eps, lr):
        self.m = np.zeros(shape)
        self.v = np.zeros(shape)
        self.tmp = np.zeros(shape)
        self.b1, self.b2, self.eps, self.lr = b1, b2, eps, lr
        self.p1 = self.p2 = 1.0

    def step(self, w, g):
        b1, b2, tmp = self.b1, self.b2, self.tmp
        self.p1 *= b1
        self.p2 *= b2
        self.m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        self.m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        self.v *= b2
        self.v += tmp
        np.sqrt(self.v, out=tmp)
        tmp *= 1.0 / math.sqrt(1.0 - self.p2)
        tmp += self.eps
        np.divide(self.m, tmp, out=tmp)
        tmp *= self.lr / (1.0 - self.p1)
        w -= tmp


def blas_limit(threads):
    """A context capping the BLAS threads at ``threads`` (``None``: unchanged)."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


#: Logits beyond this count as divergence: their squares (in any loss or in np.std) would
#: overflow float64, and no meaningful run gets there.
LOGIT_MAX = 1e150


def finite(z):
    # max(|z|) propagates NaN, so one reduction catches NaN, inf and runaway logits.
    return bool(np.max(np.abs(z)) < LOGIT_MAX)


def diverged(caller, epoch, lr):
    # Checked every epoch (~2 us against a ~0.5 ms mat-vec) so that a too-large step
    # stops with this error before inf - inf arithmetic can produce NaN warnings.
    raise ConvergenceError(
        f"{caller} diverged: logits non-finite or above {LOGIT_MAX:g} after epoch "
        f"{epoch}; lower lr={lr!r}.",
        iterations=int(epoch))


def cosine(a, b_unit):
    na = float(np.linalg.norm(a))
    return float(np.vdot(a, b_unit)) / na if na > 0.0 else math.nan
