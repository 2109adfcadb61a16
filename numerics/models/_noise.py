r"""Standardised noise draws shared by the data models, and the small helpers of a draw
(read-only arrays, the number of flipped labels)."""

from __future__ import annotations

import math

import numpy as np

from core.errors import InvalidParameterError
from core.validation import HasMethods, Options

__all__ = ["NOISE_NAMES", "NOISE", "draw_noise", "frozen", "flip_count"]

NOISE_NAMES = ("gaussian", "student_t")
#: A noise law: a name, or a (frozen scipy) distribution with ``.rvs(size=, random_state=)``.
NOISE = [Options(str, NOISE_NAMES), HasMethods("rvs")]


def frozen(arr):
    """``arr`` as a read-only ndarray (the datasets are frozen values)."""
    arr = np.asarray(arr)
    arr.flags.writeable = False
    return arr


def flip_count(label_noise, n):
    r""":math:`\lfloor \eta n + 1/2 \rfloor`: round half up, not Python's banker's rounding,
    so that :math:`\eta n = 2.5` flips 3 labels."""
    return int(math.floor(label_noise * n + 0.5))


def draw_noise(noise, shape, rng, df, name, caller):
    r"""Standardised draws: N(0,1); Student-t rescaled to unit variance; custom as given.

    Student-t: :math:`\xi = T\sqrt{(\nu-2)/\nu}` with :math:`T \sim t_\nu`, so that
    ``sigma`` is the noise standard deviation for every ``noise`` choice (B6 compares
    Student-t and Gaussian noise at equal variance).
    """
    if noise == "gaussian":
        return rng.standard_normal(shape)
    if noise == "student_t":
        return rng.standard_t(float(df), size=shape) * math.sqrt((df - 2.0) / df)
    out = np.asarray(noise.rvs(size=shape, random_state=rng), dtype=np.float64)
    if out.shape != tuple(shape):
        raise InvalidParameterError(
            f"The {name!r} distribution of {caller} returned shape {out.shape} from "
            f".rvs(size={tuple(shape)}); expected {tuple(shape)}.")
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            f"The {name!r} distribution of {caller} returned non-finite samples.")
    return out
