r"""logitreg: symbolic-plus-numeric verification of logit regularisation.

A thin façade: the derivations live in :mod:`theory`, the numerics in :mod:`numerics`,
the machine checks of each proof step in :mod:`proofs_check`.
"""

import importlib

__version__ = "0.1.0"

# Public names resolve lazily (PEP 562), as in `numerics`: the command line imports
# `logitreg.cli` and so this package, which must not pull in SymPy or SciPy by itself.
_WHERE = {name: "theory" for name in (
    "confidence_penalty", "derive_binary", "derive_multiclass", "from_expression",
    "get_regularizer", "label_smoothing", "list_regularizers", "maxsup", "properties",
    "quadratic")}
_WHERE.update({"compile_binary": "numerics", "compile_multiclass": "numerics"})


def __getattr__(name):
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'logitreg' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))


__all__ = ["compile_binary", "compile_multiclass", "confidence_penalty", "derive_binary",
           "derive_multiclass", "from_expression", "get_regularizer", "label_smoothing",
           "list_regularizers", "maxsup", "properties", "quadratic", "__version__"]
