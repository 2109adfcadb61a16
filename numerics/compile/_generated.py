r"""Generated source of compiled functions, storable on disk and loadable without SymPy.

``sympy.lambdify`` prints an expression as Python source and ``exec``\ s it in a namespace
of NumPy / mpmath / SciPy / ``math`` functions and the stable primitives of
:mod:`._primitives`. :func:`generate` keeps that source text and, for each global name
the code uses, where the object came from (``numpy.exp``, primitive ``Sigmoid``, ...);
:func:`load` ``exec``\ s the same text in a namespace rebuilt from those origins, so the
loaded function is the one ``lambdify`` made, bit for bit, without importing SymPy.

:func:`generated_cache` stores such artefacts with the derivation disk cache
(:mod:`theory._cache`) under a key that covers everything that can change the generated
code: the sources of :mod:`theory` and the SymPy version (``theory._cache.CODE_VERSION``),
of this module, :mod:`.compiled`, :mod:`._primitives` and the module that builds the
artefacts. This is what makes a warm ``logitreg theory accuracy`` SymPy-free.

Only :func:`generate` imports SymPy (nothing is retyped: the formulas still come from
:mod:`theory` and are printed by ``lambdify``).
"""

from __future__ import annotations

import builtins
import functools
import importlib
import itertools
import linecache
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["GeneratedFunction", "UncacheableError", "generate", "load", "wrap_numpy",
           "generated_cache", "generator_version"]

#: Modules whose attributes may appear in generated code (searched in this order).
_MODULES = ("numpy", "mpmath", "scipy.special", "math")

_counter = itertools.count()


class UncacheableError(RuntimeError):
    """The generated code uses an object that cannot be named by module and attribute."""


@dataclass(frozen=True)
class GeneratedFunction:
    r"""One ``lambdify`` result as data: ``source`` (defines ``_lambdifygenerated``),
    ``names`` (``(global_name, origin)`` pairs, origin ``("module", mod, attr)``,
    ``("primitive", "numpy"|"mpmath", key)`` or ``("builtins", attr)``), ``argnames``,
    ``kind`` (``"numpy"`` gets the stable wrapper of :func:`wrap_numpy`; others are
    loaded as is), ``text`` (the expression, for error messages) and ``fallback``
    (the mpmath version used by a NumPy function at points where float64 gives NaN)."""

    kind: str
    source: str
    names: tuple
    argnames: tuple
    text: str = ""
    fallback: GeneratedFunction | None = None


def _global_names(code: types.CodeType) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _origin(name, value):
    from numerics.compile._primitives import MPMATH_PRIMITIVES, NUMPY_PRIMITIVES

    for kind, table in (("numpy", NUMPY_PRIMITIVES), ("mpmath", MPMATH_PRIMITIVES)):
        if table.get(name) is value:
            return ("primitive", kind, name)
    if getattr(builtins, name, None) is value:
        return ("builtins", name)
    for modname in _MODULES:
        module = importlib.import_module(modname)
        for attr in (name, getattr(value, "__name__", None)):
            if isinstance(attr, str) and getattr(module, attr, None) is value:
                return ("module", modname, attr)
    raise UncacheableError(f"cannot name the object {value!r} bound to {name!r} in "
                           "generated code")


def generate(args, expr, modules, *, kind: str, cse: bool = False,
             fallback: GeneratedFunction | None = None) -> GeneratedFunction:
    """``lambdify(args, expr, modules, cse=cse)`` as a :class:`GeneratedFunction`.

    Raises :class:`UncacheableError` if a global of the generated code has no origin.
    """
    import inspect

    import sympy as sp

    fn = sp.lambdify(tuple(args), expr, modules=modules, cse=cse)
    namespace = fn.__globals__
    names = tuple(sorted((n, _origin(n, namespace[n])) for n in _global_names(fn.__code__)
                         if n in namespace))
    return GeneratedFunction(kind, inspect.getsource(fn), names,
                             tuple(str(a) for a in args), sp.sstr(expr)[:120], fallback)


def _resolve(origin):
    if origin[0] == "builtins":
        return getattr(builtins, origin[1])
    if origin[0] == "primitive":
        from numerics.compile import _primitives

        table = _primitives.NUMPY_PRIMITIVES if origin[1] == "numpy" else \
            _primitives.MPMATH_PRIMITIVES
        return table[origin[2]]
    return getattr(importlib.import_module(origin[1]), origin[2])


def _exec(gen: GeneratedFunction) -> Callable:
    namespace = {name: _resolve(origin) for name, origin in gen.names}
    namespace["builtins"] = builtins
    filename = f"<lambdifygenerated-cached-{next(_counter)}>"
    linecache.cache[filename] = (len(gen.source), None, gen.source.splitlines(True), filename)
    exec(compile(gen.source, filename, "exec"), namespace)
    return namespace["_lambdifygenerated"]


def load(gen: GeneratedFunction) -> Callable:
    """The callable of ``gen`` (NumPy kind: wrapped by :func:`wrap_numpy`); no SymPy."""
    fn = _exec(gen)
    if gen.kind != "numpy":
        return fn
    fallback = gen.fallback
    return wrap_numpy(fn, gen.argnames, (lambda: load(fallback)) if fallback else None,
                      lambda: gen.text)


def wrap_numpy(fn, argnames, mp_factory, describe) -> Callable:
    """Scalars and arrays in; float or array out; no floating-point warnings.

    Overflow to +-inf is the correctly rounded float64 value of a huge result; a NaN
    (0/0, inf - inf inside the expression) is not, and is redone at 50 digits by the
    mpmath function ``mp_factory()`` (built on first need); ``describe()`` gives the
    expression for the error raised where even that is undefined.
    """
    mp_fn = []

    @functools.wraps(fn)
    def call(*values):
        with np.errstate(all="ignore"):
            out = fn(*values)
        scalar = np.ndim(out) == 0 and not any(np.ndim(v) for v in values)
        shape = np.broadcast_shapes(*[np.shape(v) for v in values])
        out = np.broadcast_to(np.asarray(out, dtype=float), shape).copy()
        bad = np.isnan(out)
        if bad.any():
            if not mp_fn:
                mp_fn.append(mp_factory() if mp_factory is not None else None)
            cols = [np.broadcast_to(np.asarray(v, dtype=float), shape) for v in values]
            for idx in zip(*np.nonzero(bad)) if out.ndim else [()]:
                out[idx] = _mp_point(mp_fn[0], describe, argnames, [c[idx] for c in cols])
        return float(out) if scalar else out
    return call


def _mp_point(mp_fn, describe, argnames, point) -> float:
    """The expression at one point in 50-digit arithmetic, rounded to float64; our error if
    it is undefined there (so no NaN ever leaves a compiled function silently)."""
    import mpmath

    from core.errors import InvalidParameterError

    where = ", ".join(f"{a} = {float(v)!r}" for a, v in zip(argnames, point))
    if not all(np.isfinite(point)):
        raise InvalidParameterError(f"compiled function called with a non-finite value: {where}")
    try:
        if mp_fn is None:
            raise ValueError("no mpmath version")
        with mpmath.workdps(50):
            value = mp_fn(*[mpmath.mpf(float(v)) for v in point])
            if isinstance(value, mpmath.mpc) and abs(value.imag) < mpmath.mpf(10) ** -40:
                value = value.real
            value = float(value)
    except (ZeroDivisionError, ValueError, TypeError, OverflowError):
        value = float("nan")
    if np.isnan(value):
        raise InvalidParameterError(
            f"{describe()} is undefined at {where} (not differentiable there?)")
    return value


@functools.lru_cache(maxsize=None)
def generator_version(module_name: str) -> str:
    """Key of the generated-source cache for artefacts built in ``module_name``: theory's
    :data:`~theory._cache.CODE_VERSION` (its sources and the SymPy version) and the
    sources of the code generator (this module, :mod:`.compiled`, :mod:`._primitives`)
    and of ``module_name``."""
    from theory._cache import CODE_VERSION, source_hash

    here = Path(__file__).parent
    paths = [Path(__file__), here / "compiled.py", here / "_primitives.py",
             Path(sys.modules[module_name].__file__)]
    return "gen-" + source_hash(paths, CODE_VERSION, np.__version__)


def generated_cache(fn):
    """Disk-cache ``fn(*args)``, a builder of :class:`GeneratedFunction` artefacts (and
    plain data), under :func:`generator_version` of ``fn``'s module (module docstring).
    ``fn`` must return only such artefacts, numbers, strings, ``None`` and tuples."""
    from theory._cache import disk_cached

    return disk_cached(fn, version=lambda: generator_version(fn.__module__))
