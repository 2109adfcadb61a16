r"""The regulariser registry: small frozen values holding SymPy forms.

A :class:`Regularizer` holds the binary form :math:`f(t)` of the signed logit and a
builder for the multiclass form :math:`f(z_1,\dots,z_K)`. Everything derived from it
(loss, stationarity, targets) is a pure function in :mod:`theory._derive` and
:mod:`theory._multiclass` (docs/theory.md §1, §4).

Built-ins (docs/theory.md §1 table)::

    quadratic            t**2                         sum_k z_k**2
    label_smoothing      softplus(t) - t/2            lse(z) - mean(z)
                         (= log(2 + 2 cosh t)/2, claim B2)
    maxsup               |t|/2                        max_k z_k - mean(z)
    confidence_penalty   sum_k p_k log p_k,  p = softmax((t/2, -t/2)) resp. softmax(z)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import sympy as sp

from core.errors import InvalidParameterError, InvalidTypeError, resource_guard
from core.validation import check_classes
from theory._functions import LogSumExp, Sigmoid, Softplus
from theory._parse import parse_binary, parse_multiclass

__all__ = [
    "Regularizer", "T", "ALPHA", "logit_symbols", "from_expression", "get_regularizer",
    "list_regularizers", "quadratic", "label_smoothing", "maxsup", "confidence_penalty",
    "BUILTIN",
]

#: The signed logit t = y S.x (real) and the regularisation strength alpha.
T = sp.Symbol("t", real=True)
ALPHA = sp.Symbol("alpha", nonnegative=True)


def logit_symbols(k: int) -> tuple:
    """The multiclass logit symbols ``(z1, ..., zK)`` (real)."""
    return sp.symbols(f"z1:{k + 1}", real=True)


@dataclass(frozen=True)
class Regularizer:
    r"""A logit regulariser :math:`f`, binary and multiclass.

    Attributes
    ----------
    name : str
        Registry name (``[a-z0-9_]``).
    binary : sympy.Expr
        :math:`f(t)` in the symbol :data:`T`.
    multiclass_builder : callable or None
        ``builder(z) -> sympy.Expr`` for a tuple of logit symbols ``z``; ``None`` when only
        a binary form was given (then the multiclass features are unavailable).
    description : str
        One line for ``logitreg list``.
    source : tuple
        The user strings it was parsed from (``()`` for built-ins), for export and JSON.
    """

    name: str
    binary: sp.Expr
    multiclass_builder: Callable | None = field(default=None, compare=False)
    description: str = ""
    source: tuple = ()

    def multiclass(self, k: int) -> sp.Expr:
        r"""The multiclass form :math:`f(z_1..z_K)` in :func:`logit_symbols` ``(k)``."""
        k = check_classes(k, caller=f"Regularizer({self.name!r}).multiclass")
        if self.multiclass_builder is None:
            raise InvalidParameterError(
                f"regulariser {self.name!r} has no multiclass form; give one with "
                f"from_expression(binary, multiclass='...') (e.g. 'sum(z**2)')")
        return sp.sympify(self.multiclass_builder(logit_symbols(k)))

    @property
    def has_multiclass(self) -> bool:
        return self.multiclass_builder is not None

    def replace(self, **changes) -> "Regularizer":
        """A copy with fields changed (the value itself is immutable)."""
        return replace(self, **changes)


def _softmax_entropy_neg(z):
    lse = LogSumExp(*z)
    # sum_k p_k log p_k with log p_k = z_k - lse(z): stable, never log(0).
    return sp.Add(*[sp.exp(zk - lse) * (zk - lse) for zk in z])


def _squared_norm(z):
    return sp.Add(*[zk**2 for zk in z])


def _lse_minus_mean(z):
    return LogSumExp(*z) - sp.Add(*z) / len(z)


def _max_minus_mean(z):
    return sp.Max(*z) - sp.Add(*z) / len(z)


# Named functions, not lambdas: regularisers (and derivations holding them) must pickle,
# for the derivation cache and for process pools.
quadratic = Regularizer(
    "quadratic", T**2, _squared_norm,
    "logit norm f(t)=t^2, f(z)=||z||^2 (the paper's numerics)")
label_smoothing = Regularizer(
    "label_smoothing", Softplus(T) - T / 2,
    _lse_minus_mean,
    "label smoothing f(t)=log(2+2cosh t)/2, f(z)=logsumexp(z)-mean(z)")
maxsup = Regularizer(
    "maxsup", sp.Abs(T) / 2, _max_minus_mean,
    "max suppression f(t)=|t|/2, f(z)=max(z)-mean(z) (non-smooth)")
confidence_penalty = Regularizer(
    "confidence_penalty",
    # p log p + q log q with p = sigma(t), log sigma(t) = -softplus(-t): stable form.
    -Sigmoid(T) * Softplus(-T) - Sigmoid(-T) * Softplus(T),
    _softmax_entropy_neg,
    "confidence penalty f = -H(softmax) (bounded, NOT convex)")

BUILTIN = {r.name: r for r in (quadratic, label_smoothing, maxsup, confidence_penalty)}


def list_regularizers() -> list:
    """Names of the built-in regularisers, in registry order."""
    return list(BUILTIN)


def get_regularizer(name) -> Regularizer:
    """Look up a built-in regulariser by name (a :class:`Regularizer` passes through)."""
    if isinstance(name, Regularizer):
        return name
    if not isinstance(name, str):
        raise InvalidTypeError(f"A regulariser name must be a string. Got {name!r} instead.")
    try:
        return BUILTIN[name]
    except KeyError:
        raise InvalidParameterError(
            f"Unknown regulariser {name!r}; choose one of {', '.join(BUILTIN)} "
            f"or use from_expression()") from None


def from_expression(binary: str, multiclass: str | None = None, *,
                    name: str = "custom", check_even: bool = True) -> Regularizer:
    r"""A user-defined regulariser from safe strings.

    Parameters
    ----------
    binary : str
        :math:`f(t)`, e.g. ``"t**4"``; only ``t``, numbers, ``pi``, ``E`` and whitelisted
        functions are accepted (see :mod:`theory._parse`); nothing is evaluated as Python.
    multiclass : str, optional
        :math:`f(z)` over the logit vector ``z``, e.g. ``"sum(z**4)"``; must be
        permutation-symmetric (checked at K=3).
    check_even : bool
        Refuse a binary form that is not even, :math:`f(t) \ne f(-t)` (docs/theory.md §1
        requires ``f`` even); the error names a counterexample point.

    >>> from_expression("t**4").binary
    t**4
    """
    from theory._properties import check_even as _check_even, check_symmetric

    f = parse_binary(binary, T)
    if check_even:
        with resource_guard(f"binary form {binary!r}"):
            even = _check_even(f, T)
        if even.value is False:
            raise InvalidParameterError(
                f"binary form {binary!r} is not even: {even.evidence}; logit regularisers "
                f"must satisfy f(t) = f(-t)")
    builder = None
    source = (binary,)
    if multiclass is not None:
        z3 = logit_symbols(3)
        expr3 = parse_multiclass(multiclass, z3)
        with resource_guard(f"multiclass form {multiclass!r}"):
            sym = check_symmetric(expr3, z3)
        if sym.value is False:
            raise InvalidParameterError(
                f"multiclass form {multiclass!r} is not permutation-symmetric: {sym.evidence}")
        builder = _MulticlassBuilder(multiclass)
        source = (binary, multiclass)
    return Regularizer(name, f, builder, f"user-defined f(t)={binary}", source)


@dataclass(frozen=True)
class _MulticlassBuilder:
    text: str

    def __call__(self, z):
        return parse_multiclass(self.text, z)
