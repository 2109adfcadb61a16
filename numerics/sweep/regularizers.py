r"""The ``regularizer`` value of a sweep spec: a built-in name or a user expression.

.. code-block:: toml

    [grid]
    regularizer = "quadratic"                                  # a built-in
    regularizer = {f = "t**4 + t**2"}                          # a binary form
    regularizer = {f = "t**4", multiclass = "sum(z**4)"}       # with its K-class form
    regularizer = ["quadratic", {f = "log(cosh(t))"}]          # an axis of both kinds

A table is parsed by :func:`theory.from_expression` when the spec is read (so an uneven or
unsafe form is refused before anything runs) and stored in canonical form: ``f`` is
SymPy's printing of the parsed expression (``"t ** 4"`` and ``"t**4"`` are the same
point), ``multiclass`` the user's text without surrounding blanks. The point key hashes the
whole configuration (:func:`numerics.sweep.spec.make_point`), so it includes the
expression: two expressions never share a stored result, and a built-in name keys exactly
as before. Experiments turn the value into a regulariser with :func:`regularizer_of`.
"""

from __future__ import annotations

import functools
import json

from core.errors import InvalidParameterError

__all__ = ["normalise_regularizer", "regularizer_of", "REGULARIZER_KEYS"]

#: The keys of a regulariser table.
REGULARIZER_KEYS = ("f", "multiclass")


def _builtin_names():
    from theory import list_regularizers

    return list_regularizers()


def normalise_regularizer(value):
    """A built-in name unchanged; a table (or a non-name string, taken as ``f``) parsed and
    returned as ``{"f": canonical[, "multiclass": text]}``; anything else refused."""
    if isinstance(value, str):
        if value.isidentifier():
            if value not in _builtin_names():
                raise InvalidParameterError(
                    f"unknown regulariser {value!r}; choose one of "
                    f"{', '.join(_builtin_names())} or give a table {{f = \"EXPR\"}}")
            return value
        value = {"f": value}
    if not isinstance(value, dict):
        raise InvalidParameterError(
            f"a regulariser is a name or a table {{f = \"EXPR\"[, multiclass = \"EXPR\"]}}. "
            f"Got {value!r} instead.")
    unknown = sorted(set(value) - set(REGULARIZER_KEYS))
    if unknown or "f" not in value:
        raise InvalidParameterError(
            f"a regulariser table needs the key 'f' (and optionally 'multiclass'); got keys "
            f"{sorted(value)!r}")
    if not all(isinstance(v, str) for v in value.values()):
        raise InvalidParameterError(
            f"the expressions of a regulariser table must be strings. Got {value!r} instead.")
    out = {"f": value["f"]}
    if "multiclass" in value:
        out["multiclass"] = value["multiclass"].strip()
    reg = regularizer_of(out)               # parses, checks evenness and symmetry
    import sympy as sp

    out["f"] = sp.sstr(reg.binary)
    return out


def regularizer_of(value):
    """The regulariser an experiment passes to the solvers: the name itself, or the
    :class:`theory.Regularizer` of a (normalised) table."""
    if isinstance(value, str):
        return value
    return _parsed(json.dumps(value, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _parsed(key):
    from theory import from_expression

    table = json.loads(key)
    return from_expression(table["f"], table.get("multiclass"))
