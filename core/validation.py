r"""Parameter validation from declared constraints (scikit-learn's ``_param_validation``).

A public function declares what each parameter may be; the declaration is checked once,
at the boundary, and the body trusts its inputs::

    @validate_params({"n": [COUNT], "alpha": [Interval(Real, 0, 1, closed="left")]})
    def minimize(n, alpha=0.2): ...

A value must satisfy one constraint of its list, else :class:`~core.errors.InvalidTypeError`
(no constraint accepts its type) or :class:`~core.errors.InvalidParameterError` (the value
is out of the domain) quotes it: "The 'alpha' parameter of minimize must be a float in
the range [0, 1). Got 1.5 instead." A constraint also normalises what it accepts (an int,
a float, a float64 ndarray, a ``numpy.random.Generator``) and the normalised value is
passed on. NumPy is imported inside the array and seed checks only: ``core`` stays cheap.
"""

from __future__ import annotations

import functools
import inspect
import math
from numbers import Integral, Real

from core.errors import InvalidParameterError, InvalidTypeError

__all__ = [
    "Constraint", "Interval", "Options", "InstanceOf", "HasMethods", "IsCallable", "Boolean",
    "Array", "ClassLabels", "Seed", "REAL", "NON_NEGATIVE", "POSITIVE", "COUNT", "ALPHA_RANGE",
    "POSITIVE_ALPHA_RANGE", "CLASS_COUNT",
    "validate", "validate_params", "parameter_error", "check_alpha", "check_classes",
    "check_int", "check_real", "check_array",
]


class _Reject(Exception):
    """From :meth:`Constraint.check`: ``type_error`` if the type is wrong; ``detail``
    replaces the generic "must be <constraint>" tail of the message."""

    def __init__(self, type_error: bool, detail: str | None = None):
        super().__init__(detail)
        self.type_error, self.detail = type_error, detail


class Constraint:
    """One admissible kind of value. Subclasses implement :meth:`check` and ``__str__``
    (the phrase after "must be")."""

    def check(self, value):
        """The normalised ``value``, or raise ``_Reject``."""
        raise NotImplementedError

    def is_satisfied_by(self, value) -> bool:
        try:
            self.check(value)
        except _Reject:
            return False
        return True


def _is_real(value) -> bool:
    # SymPy numbers too (is_Number also covers oo and nan: the range test refuses them).
    return (isinstance(value, Real) and not isinstance(value, bool)) or bool(
        getattr(value, "is_Number", False))


_ARTICLE_TYPE = {Integral: "an int", Real: "a float", str: "a str", bool: "a bool"}
_CLOSED = {(False, False): "both", (False, True): "left", (True, False): "right",
           (True, True): "neither"}


class Interval(Constraint):
    r"""Numbers of ``type`` (``numbers.Integral`` or ``numbers.Real``) between ``left``
    and ``right`` (``None``: unbounded); ``closed`` is ``"left"``, ``"right"``,
    ``"both"`` or ``"neither"``. Real intervals hold finite numbers only."""

    @classmethod
    def bounds(cls, type, lower=None, upper=None, *, lower_open=False, upper_open=False):
        """The interval from ``lower``/``upper``, closed unless ``*_open``."""
        return cls(type, lower, upper, closed=_CLOSED[(bool(lower_open), bool(upper_open))])

    def __init__(self, type, left, right, *, closed):
        if type not in (Integral, Real) or closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"Interval({type!r}, closed={closed!r}): type must be Integral "
                             "or Real, closed 'left', 'right', 'both' or 'neither'")
        if left is not None and right is not None and right < left:
            raise ValueError(f"Cannot have Interval right={right!r} < left={left!r}")
        self.type, self.left, self.right, self.closed = type, left, right, closed

    def _inside(self, v) -> bool:
        if self.left is not None:
            if v < self.left or (v == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if v > self.right or (v == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def check(self, value):
        if self.type is Integral:
            if not isinstance(value, Integral) or isinstance(value, bool):
                raise _Reject(True)
            v = int(value)
        else:
            if not _is_real(value):
                raise _Reject(True)
            try:
                v = float(value)
            except OverflowError:  # an int beyond float range
                raise _Reject(False) from None
            if not math.isfinite(v):
                raise _Reject(False)
        if not self._inside(v):
            raise _Reject(False)
        return v

    def __str__(self):
        kind = _ARTICLE_TYPE[self.type]
        lo, hi = self.left, self.right
        if lo is not None and hi is not None:
            brackets = {"left": "[)", "right": "(]", "both": "[]", "neither": "()"}[self.closed]
            return f"{kind} in the range {brackets[0]}{lo!r}, {hi!r}{brackets[1]}"
        if self.type is Real:
            kind = "a finite float"
        if lo is not None:
            return f"{kind} {'>=' if self.closed in ('left', 'both') else '>'} {lo!r}"
        if hi is not None:
            return f"{kind} {'<=' if self.closed in ('right', 'both') else '<'} {hi!r}"
        return kind


class Options(Constraint):
    """One of the values ``options`` (in declaration order) of type ``type`` (``str``,
    ``bool``, or ``numbers.Integral``/``Real``)."""

    def __init__(self, type, options):
        self.type, self.options = type, tuple(options)

    def check(self, value):
        if not isinstance(value, self.type) or isinstance(value, bool) and self.type is not bool:
            raise _Reject(True)
        if value not in self.options:
            raise _Reject(False)
        return value

    def __str__(self):
        kind = _ARTICLE_TYPE.get(self.type) or f"a {self.type.__name__}"
        return f"{kind} among {{{', '.join(map(repr, self.options))}}}"


class _Predicate(Constraint):
    """A type-like test: values failing ``test`` are of the wrong type."""

    def __init__(self, text: str, test, convert=None):
        self.text, self.test, self.convert = text, test, convert

    def check(self, value):
        if not self.test(value):
            raise _Reject(True)
        return value if self.convert is None else self.convert(value)

    def __str__(self):
        return self.text


def _type_name(t) -> str:
    # The public path: numpy.random._generator.Generator is numpy.random.Generator.
    module = ".".join(p for p in t.__module__.split(".") if not p.startswith("_"))
    return t.__qualname__ if module == "builtins" else f"{module}.{t.__qualname__}"


def InstanceOf(*types) -> Constraint:
    """An instance of one of ``types``."""
    return _Predicate(" or ".join(f"an instance of {_type_name(t)!r}" for t in types),
                      lambda v: isinstance(v, types))


def HasMethods(*methods) -> Constraint:
    """An object with the callable attributes ``methods`` (duck typing)."""
    return _Predicate(f"an object implementing {', '.join(map(repr, methods))}",
                      lambda v: all(callable(getattr(v, m, None)) for m in methods))


def IsCallable() -> Constraint:
    """Any callable (a function, a lambda, an object with ``__call__``)."""
    return _Predicate("a callable", callable)


def _is_bool(value) -> bool:
    t = type(value)
    return isinstance(value, bool) or (t.__module__ == "numpy" and t.__name__ in ("bool_", "bool"))


def Boolean() -> Constraint:
    """``True`` or ``False`` (``numpy.bool_`` too), not 0 or 1; returns a bool."""
    return _Predicate("a bool", _is_bool, bool)


_NONE = _Predicate("None", lambda v: v is None)


class Array(Constraint):
    r"""A finite float64 array with ``ndim`` axes, non-empty, of ``shape`` (entries
    ``None`` are free). ``kind="int"`` asks for an integer array instead (not converted).
    ``contiguous`` returns a C-contiguous array (a copy only when needed); otherwise the
    array is ``numpy.asarray(value, float64)``."""

    def __init__(self, ndim: int, shape: tuple | None = None, *, kind: str = "float",
                 contiguous: bool = True):
        if shape is not None and len(shape) != ndim:
            raise ValueError(f"shape {shape!r} does not have ndim={ndim} entries")
        self.ndim, self.shape, self.kind, self.contiguous = ndim, shape, kind, contiguous

    def _shape_text(self):
        return str(tuple("*" if s is None else s for s in self.shape)).replace("'", "")

    def check(self, value):
        import numpy as np

        if isinstance(value, (str, bytes)) or value is None:
            raise _Reject(True)
        try:
            arr = np.asarray(value, dtype=np.float64 if self.kind == "float" else None)
        except (TypeError, ValueError) as exc:
            raise _Reject(True, f"must be {self}. Got {value!r} instead ({exc}).") from None
        if self.kind == "int" and not np.issubdtype(arr.dtype, np.integer):
            raise _Reject(False, f"must be {self}. Got dtype {arr.dtype} instead.")
        if arr.ndim != self.ndim:
            hint = " Reshape your data, e.g. with array.reshape(-1, 1)." if self.ndim == 2 else ""
            raise _Reject(False, f"must be {self.ndim}-dimensional. Got an array of shape "
                                 f"{arr.shape} instead.{hint}")
        if self.shape is not None:
            for axis, (got, want) in enumerate(zip(arr.shape, self.shape)):
                if want is not None and got != want:
                    raise _Reject(False, f"must have shape {self._shape_text()}. Got shape "
                                         f"{arr.shape} instead (axis {axis}).")
        if 0 in arr.shape:
            raise _Reject(False, f"must be non-empty. Got shape {arr.shape} instead.")
        if self.kind == "float" and not np.all(np.isfinite(arr)):
            bad = ~np.isfinite(arr)
            raise _Reject(False, f"must be finite. Got {float(arr[bad].ravel()[0])!r} at "
                                 f"{np.argwhere(bad)[0].tolist()} instead.")
        return np.ascontiguousarray(arr) if self.contiguous else arr

    def __str__(self):
        what = "integer" if self.kind == "int" else "finite float"
        shape = f" of shape {self._shape_text()}" if self.shape is not None else ""
        return f"a {self.ndim}-dimensional {what} array{shape}"


class ClassLabels(Constraint):
    r"""``n_samples`` class indices in :math:`[0, K)`, ``K`` = ``n_classes`` (``None``:
    any index >= 0); integer arrays, or floats with integral values. Returns int64."""

    def __init__(self, n_samples: int, n_classes: int | None = None):
        self.n_samples, self.n_classes = n_samples, n_classes

    def check(self, value):
        import numpy as np

        if isinstance(value, (str, bytes)) or value is None:
            raise _Reject(True)
        y = np.asarray(value)
        integral = np.issubdtype(y.dtype, np.integer) or (
            np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))
        if y.shape != (self.n_samples,) or not integral:
            raise _Reject(False, f"must be {self.n_samples} integer class indices. Got dtype "
                                 f"{y.dtype} and shape {y.shape} instead.")
        y = y.astype(np.int64)
        hi = math.inf if self.n_classes is None else self.n_classes
        if y.size and (y.min() < 0 or y.max() >= hi):
            raise _Reject(False, f"must hold class indices in {self._range()}. Got "
                                 f"{sorted(set(y.tolist()))[:10]!r} instead.")
        return y

    def _range(self):
        return f"[0, {'inf' if self.n_classes is None else self.n_classes})"

    def __str__(self):
        return f"{self.n_samples} integer class indices in {self._range()}"


class Seed(Constraint):
    """An explicit seed: an int >= 0, a ``numpy.random.SeedSequence`` or ``Generator``
    (``None`` would silently make a run irreproducible). Returns a ``Generator``."""

    def check(self, value):
        import numpy as np

        if isinstance(value, np.random.Generator):
            return value
        if isinstance(value, np.random.SeedSequence):
            return np.random.default_rng(value)
        if isinstance(value, Integral) and not isinstance(value, bool):
            if value < 0:
                raise _Reject(False)
            return np.random.default_rng(int(value))
        raise _Reject(True)

    def __str__(self):
        return "a non-negative int or a numpy.random.Generator (explicit seeds: reproducible runs)"


#: Common domains: any finite float, >= 0, > 0, an int >= 1; alpha in [0, 1) and (0, 1);
#: a number of classes K >= 2.
REAL = Interval(Real, None, None, closed="both")
NON_NEGATIVE = Interval(Real, 0, None, closed="left")
POSITIVE = Interval(Real, 0, None, closed="neither")
COUNT = Interval(Integral, 1, None, closed="left")
ALPHA_RANGE = Interval(Real, 0, 1, closed="left")
POSITIVE_ALPHA_RANGE = Interval(Real, 0, 1, closed="neither")
CLASS_COUNT = Interval(Integral, 2, None, closed="left")


def _as_list(constraints) -> list:
    constraints = constraints if isinstance(constraints, (list, tuple)) else [constraints]
    return [_NONE if c is None else c for c in constraints]


def parameter_error(name, value, must, caller, *, type_error: bool = False):
    """The exception for a value that fails a check not expressible as a constraint (e.g.
    across parameters): "The 'name' parameter of caller must be <must>. Got <value> instead."."""
    cls = InvalidTypeError if type_error else InvalidParameterError
    return cls(f"The {name!r} parameter of {caller} must be {must}. Got {value!r} instead.")


def validate(name: str, value, constraints, caller: str):
    """``value`` normalised by the first of ``constraints`` (one or a list; ``None``
    stands for the value None) that accepts it; otherwise raise our error quoting it."""
    constraints = _as_list(constraints)
    rejects = []
    for c in constraints:
        try:
            return c.check(value)
        except _Reject as reject:
            rejects.append(reject)
    type_error = all(r.type_error for r in rejects)
    cls = InvalidTypeError if type_error else InvalidParameterError
    detail = rejects[0].detail if len(rejects) == 1 else None
    if detail is None:
        must = " or ".join(str(c) for c in constraints)
        detail = f"must be {must}. Got {value!r} instead."
    raise cls(f"The {name!r} parameter of {caller} {detail}")


def validate_params(constraints: dict, *, caller: str | None = None):
    """Decorator: validate the arguments named in ``constraints`` (name -> constraint or
    list) on every call, defaults included, and pass the normalised values to the
    function. ``caller`` defaults to the function's qualified name. The declarations
    stay readable as ``function.parameter_constraints``."""
    declared = {k: _as_list(v) for k, v in constraints.items()}

    def decorate(fn):
        sig = inspect.signature(fn)
        unknown = set(declared) - set(sig.parameters)
        if unknown:
            raise TypeError(f"{fn.__qualname__} has no parameters {sorted(unknown)!r}")
        where = caller or fn.__qualname__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = bound.arguments
            for name, cons in declared.items():
                arguments[name] = validate(name, arguments[name], cons, where)
            return fn(*bound.args, **bound.kwargs)

        wrapper.parameter_constraints = declared
        return wrapper

    return decorate


# ---- shorthands for the common declarations --------------------------------------------
def check_alpha(alpha, *, caller: str, allow_zero: bool = True):
    r"""Validate :math:`\alpha \in [0, 1)` (or ``(0, 1)``); returns ``alpha`` unchanged
    (SymPy numbers are accepted too)."""
    validate("alpha", alpha, ALPHA_RANGE if allow_zero else POSITIVE_ALPHA_RANGE, caller)
    return alpha


def check_classes(classes, *, caller: str) -> int:
    """Validate a number of classes ``K >= 2``; returns it as an int."""
    return validate("classes", classes, CLASS_COUNT, caller)


def check_int(value, name: str, caller: str, *, minimum=None) -> int:
    """An int, ``>= minimum`` if given."""
    return validate(name, value, Interval.bounds(Integral, minimum), caller)


def check_real(value, name: str, caller: str, *, lower=None, upper=None,
               lower_open: bool = False, upper_open: bool = False) -> float:
    """A finite float in the interval given by ``lower``/``upper`` (closed unless open)."""
    interval = Interval.bounds(Real, lower, upper, lower_open=lower_open, upper_open=upper_open)
    return validate(name, value, interval, caller)


def check_array(value, name: str, caller: str, *, ndim: int, shape=None):
    """A finite, non-empty, C-contiguous float64 array: ``Array(ndim, shape)``."""
    return validate(name, value, Array(ndim, shape), caller)
