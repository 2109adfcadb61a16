r"""logitreg: symbolic-plus-numeric verification of logit regularisation.

A thin façade: the derivations live in :mod:`theory`, the numerics in :mod:`numerics`,
the machine checks of each proof step in :mod:`proofs_check`.
"""

from theory import (confidence_penalty, derive_binary, derive_multiclass, from_expression,
                    get_regularizer, label_smoothing, list_regularizers, maxsup, properties,
                    quadratic)
from numerics import compile_binary, compile_multiclass

__version__ = "0.1.0"

__all__ = ["compile_binary", "compile_multiclass", "confidence_penalty", "derive_binary",
           "derive_multiclass", "from_expression", "get_regularizer", "label_smoothing",
           "list_regularizers", "maxsup", "properties", "quadratic", "__version__"]
