r"""logitreg: symbolic-plus-numeric verification of logit regularisation.

A thin façade: the derivations live in :mod:`theory`, the numerics in :mod:`numerics`,
the machine checks of each proof step in :mod:`proofs_check`.
"""

from core.lazy import lazy_attributes

from core.version import __version__

# Public names resolve lazily (PEP 562), as in `numerics`: the command line imports
# `logitreg.cli` and so this package, which must not pull in SymPy or SciPy by itself.
_WHERE = {name: ("theory", name) for name in (
    "confidence_penalty", "derive_binary", "derive_multiclass", "from_expression",
    "get_regularizer", "label_smoothing", "list_regularizers", "maxsup", "properties",
    "quadratic")}
_WHERE.update({name: ("numerics", name) for name in ("compile_binary", "compile_multiclass")})
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _WHERE)


__all__ = ["compile_binary", "compile_multiclass", "confidence_penalty", "derive_binary",
           "derive_multiclass", "from_expression", "get_regularizer", "label_smoothing",
           "list_regularizers", "maxsup", "properties", "quadratic", "__version__"]
