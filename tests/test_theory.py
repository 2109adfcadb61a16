"""Registry, safe parser, derivations and properties (docs/theory.md §1, §4)."""

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import theory
from theory import (ALPHA, T, UnsafeExpressionError, derive_binary, derive_multiclass,
                    from_expression, get_regularizer, properties)
from core.errors import InvalidParameterError, InvalidTypeError

UNSAFE = [
    "__import__('os').system('echo hacked')", "t.__class__", "(lambda: 1)()", "'t'",
    "open('x')", "eval('1')", "t[0]", "[t for t in (1,)]", "f'{t}'", "t if t else 1",
    "exp(t, base=2)", "exp(*t)", "x", "__builtins__", "(999**999)**999", "t**(10**6)",
    "1" * 40, "t @ t", "t < 1", "not t", "import os", "t; t", "t := 1",
]


@pytest.mark.parametrize("text", UNSAFE)
def test_unsafe_expressions_are_refused(text):
    with pytest.raises(InvalidParameterError):
        from_expression(text)


def test_refusal_happens_before_evaluation(tmp_path, monkeypatch):
    # If the text were executed, the file would appear; nothing may be executed.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnsafeExpressionError):
        from_expression("open('pwned', 'w').write('x')")
    assert not (tmp_path / "pwned").exists()


@given(st.text(max_size=40))
def test_parser_never_crashes_on_token_soup(text):
    try:
        reg = from_expression(text, check_even=False)
    except (InvalidParameterError, InvalidTypeError):
        return
    assert reg.binary.free_symbols <= {T}


def test_non_string_expression_is_a_type_error():
    with pytest.raises(InvalidTypeError):
        from_expression(42)


def test_non_even_binary_form_names_counterexample():
    with pytest.raises(InvalidParameterError, match="not even.*t ="):
        from_expression("t**3 + t")


def test_unknown_regularizer():
    with pytest.raises(InvalidParameterError, match="'nope'"):
        get_regularizer("nope")


def test_builtins_are_frozen_values():
    reg = get_regularizer("quadratic")
    with pytest.raises(Exception):
        reg.name = "x"
    assert reg.replace(name="q2").name == "q2" and reg.name == "quadratic"


@pytest.mark.parametrize("name,convex", [("quadratic", True), ("label_smoothing", True),
                                         ("maxsup", True), ("confidence_penalty", False)])
def test_properties_table(name, convex):
    props = properties(name)
    assert props["convex"].value is convex
    assert props["even"].value is True
    assert props["finite_minimum"].value is True
    if not convex:
        assert props["convex"].how == "counterexample" and "<" in props["convex"].evidence


def test_properties_of_bad_user_forms():
    assert properties(from_expression("-t**2"))["finite_minimum"].value is False
    assert properties(from_expression("1 - exp(-t**2)"))["finite_minimum"].value is False
    assert properties(from_expression("t**4"))["convex"].how == "proved"


def test_stationarity_is_linear_in_alpha_and_alpha_of_target_solves_it():
    for name in theory.list_regularizers():
        d = derive_binary(name)
        assert sp.diff(d.dloss, ALPHA, 2) == 0
        # substitute alpha(t) into l'(t): zero at random positive t (50 digits)
        resid = d.dloss.subs(ALPHA, d.alpha_of_target)
        for tv in (0.3, 1.7, 6.0):
            assert abs(sp.N(theory.to_elementary(resid).subs(T, sp.Rational(str(tv))), 50)) < 1e-45


def test_closed_forms_found_where_theory_says():
    assert derive_binary("quadratic").target_closed_form is None  # THEORY: no closed form
    assert sp.simplify(derive_binary("label_smoothing").target_closed_form
                       - sp.log((2 - ALPHA) / ALPHA)) == 0
    ms = derive_binary("maxsup")
    # MaxSup: t* = log((2 - 3 alpha)/alpha) for alpha < 1/2 (solving sigma(-t) = alpha/(2(1-alpha))
    # by hand: (1-alpha) sigma(-t) = alpha/2).
    assert sp.simplify(ms.target_closed_form - sp.log((2 - 3 * ALPHA) / ALPHA)) == 0
    assert ms.alpha_max == sp.Rational(1, 2)


def test_multiclass_label_smoothing_gap_formula():
    for k in (3, 4, 6):
        g = derive_multiclass("label_smoothing", k).gap_closed_form
        assert sp.simplify(g - sp.log(1 + k * (1 - ALPHA) / ALPHA)) == 0


def test_user_multiclass_form_is_symmetric_by_construction():
    # z is a vector with elementwise ops and symmetric reducers only; indexing a single
    # logit (the only way to break permutation symmetry) is refused.
    with pytest.raises(UnsafeExpressionError, match="z\\[0\\]"):
        from_expression("t**2", "sum(z**2) + z[0]")
    reg = from_expression("t**4", "sum(z**4)")
    assert reg.multiclass(3) == sum(z**4 for z in theory.logit_symbols(3))
    assert theory.check_symmetric(reg.multiclass(3), theory.logit_symbols(3)).value
