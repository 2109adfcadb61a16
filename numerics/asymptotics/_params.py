r"""Parameters of the proportional-limit theory (docs/theory.md §7): the sample ratio
:math:`\lambda = d/N` and the signal strength :math:`\kappa = \mu_f/\sigma_f`."""

from __future__ import annotations

import math
import numbers

from core.errors import InvalidParameterError, InvalidTypeError

__all__ = ["real", "check_kappa", "check_lam", "as_regularizer", "regularizer_label"]


def real(value, name, caller):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be a real number. Got {value!r} instead.")
    v = float(value)
    if not math.isfinite(v):
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be finite. Got {value!r} instead.")
    return v


def check_kappa(kappa, caller):
    """``kappa = mu_f / sigma_f > 0``."""
    k = real(kappa, "kappa", caller)
    if k <= 0.0:
        raise InvalidParameterError(
            f"The 'kappa' parameter of {caller} must be > 0 (kappa = mu_f/sigma_f). "
            f"Got {kappa!r} instead.")
    return k


def check_lam(lam, caller, *, upper=1.0):
    """``lam = d/N`` in ``(0, upper)``."""
    v = real(lam, "lam", caller)
    if not 0.0 < v < upper:
        raise InvalidParameterError(
            f"The 'lam' parameter of {caller} must be in (0, {upper:g}). Got {lam!r} instead.")
    return v




def as_regularizer(regularizer):
    r"""A regulariser for the theory: a built-in name or ``"square"`` (kept as the string,
    so a warm cache answers without SymPy), a :class:`theory.Regularizer`, or a binary
    expression such as ``"t**4 + t**2"`` (anything that is not a plain name), parsed by
    :func:`theory.from_expression` (docs/theory.md §1: even, checked)."""
    if isinstance(regularizer, str) and not regularizer.isidentifier():
        from theory import from_expression

        return from_expression(regularizer)
    if not isinstance(regularizer, str):
        from theory import Regularizer

        if not isinstance(regularizer, Regularizer):
            raise InvalidTypeError(
                "A regulariser must be a name, an expression string or a "
                f"theory.Regularizer. Got {regularizer!r} instead.")
    return regularizer


def regularizer_label(regularizer, original) -> str:
    """The name a prediction reports: the string the caller gave (a name or an expression),
    else the :class:`theory.Regularizer`'s name."""
    return original if isinstance(original, str) else regularizer.name
