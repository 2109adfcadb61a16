r"""Symbolic derivations of logit regularisation (SymPy only; no NumPy).

Public API::

    Regularizer, from_expression, get_regularizer, list_regularizers,
    quadratic, label_smoothing, maxsup, confidence_penalty,
    derive_binary, derive_multiclass, properties,
    T, ALPHA, G, logit_symbols, Softplus, Sigmoid, LogSumExp, to_elementary

See THEORY.md §1 (binary) and §4 (multiclass).
"""

from ._cache import disk_cached
from ._derive import BinaryDerivation, cross_entropy, derive_binary, finite_minimum
from ._errors import (CollapsedMinimizerError, ConvergenceError, InvalidParameterError,
                      InvalidTypeError, LogitRegError, UnsafeExpressionError, resource_guard)
from ._functions import LogSumExp, Sigmoid, Softplus, to_elementary
from ._multiclass import G, MulticlassDerivation, derive_multiclass
from ._properties import (Property, check_convex, check_convex_multiclass, check_even,
                          check_symmetric)
from ._registry import (ALPHA, BUILTIN, T, Regularizer, confidence_penalty, from_expression,
                        get_regularizer, label_smoothing, list_regularizers, logit_symbols,
                        maxsup, quadratic)

__all__ = [
    "ALPHA", "BUILTIN", "G", "T", "BinaryDerivation", "MulticlassDerivation", "Property",
    "Regularizer", "LogSumExp", "Sigmoid", "Softplus",
    "LogitRegError", "InvalidParameterError", "InvalidTypeError", "UnsafeExpressionError",
    "ConvergenceError", "CollapsedMinimizerError",
    "check_convex", "check_convex_multiclass", "check_even", "check_symmetric",
    "confidence_penalty", "cross_entropy", "derive_binary", "derive_multiclass",
    "finite_minimum", "from_expression", "get_regularizer", "label_smoothing",
    "list_regularizers", "logit_symbols", "maxsup", "properties", "quadratic",
    "to_elementary",
]


@disk_cached
def properties(regularizer) -> dict:
    r"""Convex, even and finite-minimum properties of a regulariser's binary form, each a
    :class:`Property` with how it was established (THEORY.md §1 table)."""
    reg = get_regularizer(regularizer)
    with resource_guard(f"regulariser {reg.name!r} (f(t) = {reg.binary})"):
        return {
            "convex": check_convex(reg.binary, T),
            "even": check_even(reg.binary, T),
            "finite_minimum": finite_minimum(reg),
        }
