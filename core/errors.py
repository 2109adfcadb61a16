"""Exception types shared by every layer of logitreg.

All user-facing errors subclass :class:`LogitRegError` *and* the matching builtin
(``ValueError`` or ``TypeError``), so callers may catch either. Messages quote the
offending value, following scikit-learn's ``f"The {name!r} parameter ... Got {value!r}"``;
:mod:`core.validation` builds them from declared constraints.
"""

from __future__ import annotations

import contextlib

__all__ = [
    "resource_guard",
    "LogitRegError",
    "InvalidParameterError",
    "InvalidTypeError",
    "UnsafeExpressionError",
    "ConvergenceError",
    "CollapsedMinimizerError",
]


class LogitRegError(Exception):
    """Base class of every error raised deliberately by logitreg."""


class InvalidParameterError(LogitRegError, ValueError):
    """A parameter has the right type but a value outside its domain."""


class InvalidTypeError(LogitRegError, TypeError):
    """A parameter has the wrong type."""


class UnsafeExpressionError(InvalidParameterError):
    """A user expression contains something outside the safe whitelist."""


class CollapsedMinimizerError(InvalidParameterError):
    """The minimiser is exactly zero (a non-smooth regulariser's kink at t=0 outweighs the
    signal), so the direction asked for does not exist. ``certificate`` holds the smallest
    one-sided directional derivative at 0 (>= 0 proves the collapse)."""

    def __init__(self, message: str, *, certificate: float):
        super().__init__(message)
        self.certificate = certificate


@contextlib.contextmanager
def resource_guard(what: str):
    """Turn exhausted resources during symbolic/high-precision analysis of a user expression
    (e.g. ``exp(exp(exp(exp(t))))`` evaluated at 60 digits) into an
    :class:`UnsafeExpressionError` naming ``what``, instead of a MemoryError traceback."""
    try:
        yield
    except (MemoryError, RecursionError, OverflowError) as exc:
        raise UnsafeExpressionError(
            f"{what} is too large to analyse ({type(exc).__name__}); simplify the "
            f"expression") from None


class ConvergenceError(LogitRegError, RuntimeError):
    """An iterative solver stopped before reaching its tolerance.

    Carries ``iterations`` and ``gradient_norm`` so callers can report them.
    """

    def __init__(self, message: str, *, iterations: int | None = None,
                 gradient_norm: float | None = None):
        super().__init__(message)
        self.iterations = iterations
        self.gradient_norm = gradient_norm
