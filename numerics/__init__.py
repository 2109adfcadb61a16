r"""Numerics compiled from :mod:`theory`: loss functions, data, solvers, experiments.

Everything numeric is ``lambdify`` of a SymPy expression derived in ``theory``.
"""

from .compiled import (T_MAX, CompiledBinary, CompiledMulticlass, compile_binary,
                       compile_multiclass, lambdify_mpmath, lambdify_numpy)

__all__ = ["T_MAX", "CompiledBinary", "CompiledMulticlass", "compile_binary",
           "compile_multiclass", "lambdify_mpmath", "lambdify_numpy"]
