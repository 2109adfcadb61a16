"""Declared constraints (core/validation.py): every constraint accepts its domain and refuses
the rest with this project's errors, quoting the value; hypothesis strategies for valid and
invalid values are generated from the declarations themselves, including those of the
public solvers and data models."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from numbers import Integral, Real

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidParameterError, InvalidTypeError, LogitRegError
from core.validation import (ALPHA_RANGE, CLASS_COUNT, COUNT, NON_NEGATIVE, POSITIVE,
                             POSITIVE_ALPHA_RANGE, REAL, Array, Boolean, ClassLabels,
                             HasMethods, InstanceOf, Interval, IsCallable, Options, Seed,
                             check_alpha, check_array, check_classes, check_int, check_real,
                             parameter_error, validate, validate_params)

OUR_ERRORS = (InvalidParameterError, InvalidTypeError)
#: Bound for generated numbers: far outside every declared domain, still a float.
BIG = 1e12


# ------------------------------------------------------------------ strategies from declarations
def valid_values(c):
    """Values inside the declared domain of ``c``."""
    if isinstance(c, Interval):
        lo = -BIG if c.left is None else c.left
        hi = BIG if c.right is None else c.right
        lo_open = c.left is not None and c.closed in ("right", "neither")
        hi_open = c.right is not None and c.closed in ("left", "neither")
        if c.type is Integral:
            return st.integers(math.floor(lo) + lo_open, math.ceil(hi) - hi_open)
        return st.floats(lo, hi, exclude_min=lo_open, exclude_max=hi_open, allow_nan=False)
    if isinstance(c, Options):
        return st.sampled_from(c.options)
    raise NotImplementedError(type(c))


def invalid_values(c):
    """``(value, error class)``: values of the right type outside the domain, and values of
    the wrong type."""
    wrong_type = st.one_of(st.text(max_size=5), st.none(), st.booleans(),
                           st.lists(st.integers(), max_size=2))
    if isinstance(c, Interval):
        outside = []
        step = 1 if c.type is Integral else 1e-3
        if c.left is not None:
            edge = c.left if c.closed in ("right", "neither") else c.left - step
            outside.append(st.integers(-10**6, 0).map(lambda k: edge + k * step)
                           if c.type is Integral else st.floats(-BIG, edge))
        if c.right is not None:
            edge = c.right if c.closed in ("left", "neither") else c.right + step
            outside.append(st.integers(0, 10**6).map(lambda k: edge + k * step)
                           if c.type is Integral else st.floats(edge, BIG))
        if c.type is Real:
            outside.append(st.sampled_from([math.nan, math.inf, -math.inf]))
        else:
            wrong_type = st.one_of(wrong_type, st.sampled_from([0.5, 2.0, math.nan]))
        bad = st.one_of(*outside).filter(lambda v: not c.is_satisfied_by(v)) if outside else None
    elif isinstance(c, Options):
        same_type = st.text(max_size=8) if c.type is str else st.integers()
        bad = same_type.filter(lambda v: v not in c.options)
        wrong_type = st.one_of(st.none(), st.floats(0.1, 0.9),
                               st.integers() if c.type is str else st.text(max_size=5))
    else:
        raise NotImplementedError(type(c))
    pairs = [wrong_type.map(lambda v: (v, InvalidTypeError))]
    if bad is not None:
        pairs.append(bad.map(lambda v: (v, InvalidParameterError)))
    return st.one_of(*pairs)


DECLARED = [REAL, NON_NEGATIVE, POSITIVE, COUNT, ALPHA_RANGE, POSITIVE_ALPHA_RANGE, CLASS_COUNT,
            Interval(Real, -2.5, 3, closed="both"), Interval(Real, None, 0, closed="neither"),
            Interval(Integral, -3, 7, closed="neither"), Interval(Integral, None, 4, closed="right"),
            Options(str, ("gd", "adam")), Options(Integral, (1, 2, 4))]


def _message_quotes(err, name, value):
    text = str(err.value)
    assert text.startswith(f"The {name!r} parameter of caller must be ")
    assert text.endswith(f"Got {value!r} instead.")


@pytest.mark.parametrize("constraint", DECLARED, ids=str)
@given(data=st.data())
def test_declared_domain_is_accepted_and_normalised(constraint, data):
    value = data.draw(valid_values(constraint))
    out = validate("x", value, constraint, "caller")
    assert out == value
    if isinstance(constraint, Interval):
        assert type(out) is (int if constraint.type is Integral else float)


@pytest.mark.parametrize("constraint", DECLARED, ids=str)
@given(data=st.data())
def test_outside_the_domain_raises_our_error_quoting_the_value(constraint, data):
    value, err = data.draw(invalid_values(constraint))
    assert not constraint.is_satisfied_by(value)
    with pytest.raises(err) as info:
        validate("x", value, constraint, "caller")
    _message_quotes(info, "x", value)
    assert str(constraint) in str(info.value)
    assert isinstance(info.value, LogitRegError)
    assert isinstance(info.value, ValueError if err is InvalidParameterError else TypeError)


# ------------------------------------------------------------------ exact messages
def test_the_documented_message():
    from numerics.solve.binary import minimize_binary

    with pytest.raises(InvalidParameterError) as info:
        minimize_binary(np.ones((2, 2)), alpha=1.5)
    assert str(info.value) == ("The 'alpha' parameter of minimize_binary must be a float in "
                               "the range [0, 1). Got 1.5 instead.")


@pytest.mark.parametrize("constraint, text", [
    (ALPHA_RANGE, "a float in the range [0, 1)"),
    (POSITIVE_ALPHA_RANGE, "a float in the range (0, 1)"),
    (COUNT, "an int >= 1"),
    (POSITIVE, "a finite float > 0"),
    (REAL, "a finite float"),
    (Interval(Integral, None, 3, closed="neither"), "an int < 3"),
    (Options(str, ("a", "b")), "a str among {'a', 'b'}"),
    (InstanceOf(int, np.random.Generator), "an instance of 'int' or an instance of "
                                           "'numpy.random.Generator'"),
    (HasMethods("rvs"), "an object implementing 'rvs'"),
    (IsCallable(), "a callable"),
    (Boolean(), "a bool"),
    (Array(2, (3, None)), "a 2-dimensional finite float array of shape (3, *)"),
    (ClassLabels(4, 3), "4 integer class indices in [0, 3)"),
])
def test_constraint_descriptions(constraint, text):
    assert str(constraint) == text


def test_interval_declaration_errors():
    with pytest.raises(ValueError, match="right=0 < left=1"):
        Interval(Real, 1, 0, closed="both")
    with pytest.raises(ValueError, match="closed='open'"):
        Interval(Real, 0, 1, closed="open")
    with pytest.raises(ValueError, match="float"):
        Interval(float, 0, 1, closed="both")
    assert str(Interval.bounds(Real, 0, 1, upper_open=True)) == str(ALPHA_RANGE)


def test_interval_edges_and_odd_numbers():
    import sympy as sp

    assert validate("a", 0, ALPHA_RANGE, "f") == 0.0
    assert validate("a", sp.Rational(1, 5), ALPHA_RANGE, "f") == 0.2
    assert validate("k", np.int64(3), CLASS_COUNT, "f") == 3
    for bad, err in [(1, InvalidParameterError), (True, InvalidTypeError),
                     (10**400, InvalidParameterError), (sp.oo, InvalidParameterError),
                     (1j, InvalidTypeError), (np.array(0.5), InvalidTypeError)]:
        with pytest.raises(err, match=re.escape(repr(bad))):
            validate("a", bad, ALPHA_RANGE, "f")


# ------------------------------------------------------------------ lists, None, predicates
def test_a_list_accepts_any_member_and_names_all():
    cons = [POSITIVE, None]
    assert validate("tol", None, cons, "f") is None
    assert validate("tol", 2, cons, "f") == 2.0
    with pytest.raises(InvalidParameterError) as info:
        validate("tol", -1.0, cons, "f")
    assert str(info.value) == ("The 'tol' parameter of f must be a finite float > 0 or None. "
                               "Got -1.0 instead.")
    with pytest.raises(InvalidTypeError, match="Got 'x' instead"):
        validate("tol", "x", cons, "f")


def test_duck_typed_and_type_constraints():
    noise = [Options(str, ("gaussian",)), HasMethods("rvs")]

    class Law:
        def rvs(self, size, random_state):
            return np.zeros(size)

    law = Law()
    assert validate("noise", law, noise, "f") is law
    assert validate("noise", "gaussian", noise, "f") == "gaussian"
    with pytest.raises(InvalidParameterError, match="Got 'cauchy' instead"):
        validate("noise", "cauchy", noise, "f")  # a string: right type, unknown name
    with pytest.raises(InvalidTypeError, match="implementing 'rvs'"):
        validate("noise", object(), noise, "f")
    assert validate("fn", len, IsCallable(), "f") is len
    with pytest.raises(InvalidTypeError, match="Got 3 instead"):
        validate("fn", 3, IsCallable(), "f")
    assert validate("b", np.True_, Boolean(), "f") is True
    for bad in (1, 0, "True", None):
        with pytest.raises(InvalidTypeError, match=re.escape(repr(bad))):
            validate("b", bad, Boolean(), "f")
    with pytest.raises(InvalidTypeError, match="'numpy.random.Generator'"):
        validate("rng", 3, InstanceOf(np.random.Generator), "f")


# ------------------------------------------------------------------ arrays, labels, seeds
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), data=st.data())
def test_array_accepts_finite_arrays(rows, cols, data):
    X = np.asarray(data.draw(st.lists(st.lists(st.floats(-1e6, 1e6), min_size=cols,
                                               max_size=cols), min_size=rows, max_size=rows)))
    out = validate("X", X.T, Array(2, (cols, None)), "f")
    assert out.flags.c_contiguous and out.dtype == np.float64 and np.array_equal(out, X.T)
    assert validate("X", X.T, Array(2, contiguous=False), "f").base is not None  # no copy


@pytest.mark.parametrize("value, constraint, err, match", [
    ([1.0, 2.0], Array(2), InvalidParameterError, r"2-dimensional.*shape \(2,\).*reshape"),
    (np.ones((2, 3)), Array(2, (3, None)), InvalidParameterError, r"shape \(3, \*\).*axis 0"),
    (np.ones((0, 3)), Array(2), InvalidParameterError, r"non-empty.*\(0, 3\)"),
    ([[1.0, np.nan]], Array(2), InvalidParameterError, r"finite\. Got nan at \[0, 1\]"),
    ([[1.0, -np.inf]], Array(2), InvalidParameterError, r"Got -inf at \[0, 1\]"),
    ("abc", Array(1), InvalidTypeError, r"Got 'abc' instead"),
    (None, Array(1), InvalidTypeError, r"Got None instead"),
    ([[1.0], [1.0, 2.0]], Array(2), InvalidTypeError, r"Got \[\[1\.0\], \[1\.0, 2\.0\]\]"),
    ([0.5, 1.0], Array(1, kind="int"), InvalidParameterError, r"dtype float64"),
])
def test_array_refusals_name_the_problem(value, constraint, err, match):
    with pytest.raises(err, match=r"^The 'X' parameter of f .*" + match):
        validate("X", value, constraint, "f")


def test_class_labels():
    assert validate("y", [0, 2, 1], ClassLabels(3, 3), "f").dtype == np.int64
    np.testing.assert_array_equal(validate("y", np.array([1.0, 0.0]), ClassLabels(2), "f"),
                                  [1, 0])
    for y, match in [([0, 3], r"\[0, 3\)\. Got \[0, 3\]"), ([0, -1], r"\[0, 3\)\. Got \[-1, 0\]"),
                     ([0.5, 1.0], "integer class indices.*float64"), ([0, 1, 2], r"shape \(3,\)")]:
        with pytest.raises(InvalidParameterError, match=match):
            validate("y", y, ClassLabels(2, 3), "f")


def test_seed_is_explicit_and_reproducible():
    a = validate("seed", 7, Seed(), "f").random(3)
    np.testing.assert_array_equal(a, np.random.default_rng(7).random(3))
    g = np.random.default_rng(1)
    assert validate("seed", g, Seed(), "f") is g
    assert isinstance(validate("seed", np.random.SeedSequence(3), Seed(), "f"),
                      np.random.Generator)
    with pytest.raises(InvalidParameterError, match="Got -1 instead"):
        validate("seed", -1, Seed(), "f")
    for bad in (None, 1.5, True, "0"):
        with pytest.raises(InvalidTypeError, match=re.escape(f"Got {bad!r} instead")):
            validate("seed", bad, Seed(), "f")


# ------------------------------------------------------------------ the decorator
@validate_params({"n": [COUNT], "scale": [POSITIVE, None], "flag": [Boolean()]})
def _decorated(n, *, scale=None, flag=False, free=object):
    """Docstring kept."""
    return n, scale, flag, free


def test_validate_params_normalises_checks_defaults_and_keeps_the_signature():
    import inspect

    assert _decorated(np.int64(2), scale=1, flag=np.False_)[:3] == (2, 1.0, False)
    assert type(_decorated(np.int64(2))[0]) is int
    assert _decorated.__doc__ == "Docstring kept." and _decorated.__name__ == "_decorated"
    assert list(inspect.signature(_decorated).parameters) == ["n", "scale", "flag", "free"]
    assert _decorated.parameter_constraints["n"] == [COUNT]
    with pytest.raises(InvalidParameterError, match="'n' parameter of _decorated .* Got 0"):
        _decorated(0)
    with pytest.raises(InvalidTypeError, match="'flag' parameter of _decorated .* Got 1"):
        _decorated(1, flag=1)
    with pytest.raises(TypeError, match="missing"):
        _decorated()
    with pytest.raises(TypeError, match="no parameters"):
        validate_params({"m": [COUNT]})(lambda n: n)
    bad_default = validate_params({"n": [COUNT]}, caller="g")(lambda n=0: n)
    with pytest.raises(InvalidParameterError, match="'n' parameter of g"):
        bad_default()


PUBLIC = {
    "minimize_binary": ("numerics.solve.binary", (np.eye(2),), {}),
    "gradient_descent": ("numerics.solve.binary", (np.eye(2),), {"epochs": 1}),
    "minimize_weight_decay": ("numerics.solve.weight_decay", (np.eye(2),), {}),
    "minimize_squared": ("numerics.solve.squared", (np.eye(2),), {}),
    "binary_signal_noise": ("numerics.models.signal_noise", (4, 3), {"seed": 0}),
    "simplex_means": ("numerics.models.multiclass", (3, 4), {}),
    "cover_probability": ("numerics.solve.separability", (4, 3), {}),
    "max_margin_direction": ("numerics.solve.max_margin", ([[1.0, 0.0]],), {}),
    "log_epoch_grid": ("numerics.solve._training", (100,), {}),
}


@pytest.mark.parametrize("fn_name", sorted(PUBLIC))
@given(data=st.data())
def test_public_declarations_refuse_what_they_declare(fn_name, data):
    """For each public function, a generated invalid value of any declared scalar parameter
    raises our error naming the parameter and the function, quoting the value."""
    import importlib

    module, args, kwargs = PUBLIC[fn_name]
    fn = getattr(importlib.import_module(module), fn_name)
    scalar = {name: cons for name, cons in fn.parameter_constraints.items()
              if len(cons) == 1 and isinstance(cons[0], (Interval, Options))}
    assert scalar, fn_name
    name = data.draw(st.sampled_from(sorted(scalar)))
    value, err = data.draw(invalid_values(scalar[name][0]))
    call = dict(kwargs)
    positional = list(args)
    params = list(__import__("inspect").signature(fn).parameters)
    if name in params[:len(positional)]:
        positional[params.index(name)] = value
    else:
        call[name] = value
    with pytest.raises(err) as info:
        fn(*positional, **call)
    assert str(info.value).startswith(f"The {name!r} parameter of {fn_name} must be ")
    assert str(info.value).endswith(f"Got {value!r} instead.")


# ------------------------------------------------------------------ shorthands, core stays light
def test_shorthands_match_the_declarations():
    assert check_alpha(0.2, caller="f") == 0.2
    import sympy as sp

    half = sp.Rational(1, 2)
    assert check_alpha(half, caller="f") is half  # returned unchanged
    with pytest.raises(InvalidParameterError, match=r"\(0, 1\)\. Got 0 instead"):
        check_alpha(0, caller="f", allow_zero=False)
    assert check_classes(np.int32(3), caller="f") == 3
    with pytest.raises(InvalidParameterError, match="'classes' parameter of f .* Got 1"):
        check_classes(1, caller="f")
    assert check_int(5, "n", "f", minimum=2) == 5
    assert check_real(1, "x", "f", lower=0.0, lower_open=True) == 1.0
    with pytest.raises(InvalidParameterError, match=r"range \(0\.0, 1\.0\]\. Got 0\.0"):
        check_real(0.0, "x", "f", lower=0.0, upper=1.0, lower_open=True)
    assert check_array([[1, 2]], "X", "f", ndim=2).dtype == np.float64
    err = parameter_error("k", 5, "<= d + 1", "f")
    assert isinstance(err, InvalidParameterError)
    assert str(err) == "The 'k' parameter of f must be <= d + 1. Got 5 instead."
    assert isinstance(parameter_error("k", 5, "an int", "f", type_error=True), InvalidTypeError)


def test_importing_core_validation_does_not_import_numpy():
    code = "import sys, core.validation; assert 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
