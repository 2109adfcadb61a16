r"""Lazy public names for a package (PEP 562), shared by :mod:`theory`, :mod:`numerics`
and :mod:`logitreg`: importing the package stays cheap (no SymPy, SciPy or scikit-learn
until a name that needs them is used), so the command line starts fast."""

from __future__ import annotations

import importlib

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, namespace: dict, where: dict) -> tuple:
    """``(__getattr__, __dir__)`` for ``package`` whose globals are ``namespace``.

    ``where`` maps a public name to ``(module, attribute)``; ``module`` may be relative to
    ``package``. The first access imports the module and caches the value in ``namespace``.
    """
    def __getattr__(name):
        try:
            module, attr = where[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module, package), attr)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
