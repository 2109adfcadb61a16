r"""Symbolic derivations of logit regularisation (SymPy only; no NumPy).

Public API::

    Regularizer, from_expression, get_regularizer, list_regularizers,
    quadratic, label_smoothing, maxsup, confidence_penalty,
    derive_binary, derive_multiclass, properties, global_target, global_minimum,
    T, ALPHA, G, logit_symbols, Softplus, Sigmoid, LogSumExp, to_elementary

See docs/theory.md §1 (binary) and §4 (multiclass).
"""

from core.lazy import lazy_attributes

# Public names resolve lazily (PEP 562), as in `numerics`: `import theory` (and so
# `from core.errors import ...`) does not import SymPy; the first name that needs it does.
_LAZY = {
    "._cache": ("disk_cached",),
    "._derive": ("BinaryDerivation", "cross_entropy", "derive_binary", "finite_minimum"),
    "core.errors": ("CollapsedMinimizerError", "ConvergenceError", "InvalidParameterError",
                 "InvalidTypeError", "LogitRegError", "UnsafeExpressionError",
                 "resource_guard"),
    "._functions": ("LogSumExp", "Sigmoid", "Softplus", "to_elementary"),
    "._multiclass": ("G", "MulticlassDerivation", "derive_multiclass"),
    "._properties": ("Property", "check_convex", "check_convex_multiclass", "check_even",
                     "check_symmetric"),
    "._registry": ("ALPHA", "BUILTIN", "T", "Regularizer", "confidence_penalty",
                   "from_expression", "get_regularizer", "label_smoothing",
                   "list_regularizers", "logit_symbols", "maxsup", "quadratic"),
    "._summary": ("properties",),
    "._hypotheses": ("global_target",),
    "._global_min": ("GlobalMinimum", "global_minimum"),
}
_WHERE = {name: (module, name) for module, names in _LAZY.items() for name in names}
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _WHERE)


__all__ = [
    "ALPHA", "BUILTIN", "G", "T", "BinaryDerivation", "MulticlassDerivation", "Property",
    "Regularizer", "LogSumExp", "Sigmoid", "Softplus",
    "LogitRegError", "InvalidParameterError", "InvalidTypeError", "UnsafeExpressionError",
    "ConvergenceError", "CollapsedMinimizerError",
    "check_convex", "check_convex_multiclass", "check_even", "check_symmetric",
    "confidence_penalty", "cross_entropy", "derive_binary", "derive_multiclass",
    "finite_minimum", "from_expression", "get_regularizer", "global_minimum",
    "global_target", "GlobalMinimum", "label_smoothing",
    "list_regularizers", "logit_symbols", "maxsup", "properties", "quadratic",
    "to_elementary",
]
