"""Fuzzing the user-expression parser (user expressions).

Every input either becomes a whitelisted SymPy expression in the form's own symbols or
raises one of our errors, within a time bound, and nothing in the text is ever executed.
Run longer with ``HYPOTHESIS_PROFILE=nightly``.
"""

import time

import pytest
import sympy as sp
from hypothesis import example, given, strategies as st

from theory import (InvalidParameterError, InvalidTypeError, LogSumExp, Sigmoid, Softplus, T,
                    UnsafeExpressionError, from_expression)
from theory._parse import parse_multiclass
from theory._registry import logit_symbols

#: Function heads a parsed expression may contain: exactly the whitelist's images.
ALLOWED_HEADS = {sp.exp, sp.log, sp.Abs, sp.cosh, sp.sinh, sp.tanh, sp.cos, sp.sin, sp.atan,
                 sp.asinh, sp.sign, sp.Max, sp.Min, Softplus, Sigmoid, LogSumExp}
#: Parsing plus the evenness check on a short expression takes < 0.5 s unloaded; 20 s is
#: the bound for "no exponential blow-up" on a 2-core CI runner shared with other jobs.
PARSE_SECONDS = 20.0

TOKENS = ["t", "z", "(", ")", "+", "-", "*", "/", "**", ",", "1", "2", "0", "0.5", "1e308",
          "1e-320", "9" * 35, "exp", "log", "cosh", "abs", "Max", "sum", "mean", "logsumexp",
          "softplus", "sqrt", "pi", "E", ".", "__class__", "__import__", "__builtins__",
          "lambda", "x", ":", "import", "os", "open", "eval", "exec", "f'", "{", "}", "[", "]",
          "'", '"', "if", "else", "for", "in", "@", "%", "//", "<", "==", "not", ";", ":=",
          "\\", "\n", "π", "ｔ", "é", "\x00", "0x1f", "1_0", "...", "yield", "await", "*z"]


def _assert_outcome(text, multiclass=False):
    start = time.perf_counter()
    try:
        if multiclass:
            expr = parse_multiclass(text, logit_symbols(3))
            allowed_symbols = set(logit_symbols(3))
        else:
            expr = from_expression(text).binary
            allowed_symbols = {T}
    except (InvalidParameterError, InvalidTypeError) as exc:
        assert str(exc), "our errors always carry a message"
        expr = None
    elapsed = time.perf_counter() - start
    assert elapsed < PARSE_SECONDS, f"{text!r} took {elapsed:.1f} s"
    if expr is not None:
        assert isinstance(expr, sp.Basic)
        assert expr.free_symbols <= allowed_symbols, (text, expr.free_symbols)
        heads = {type(f) for f in expr.atoms(sp.Function)}
        assert all(any(issubclass(h, a) for a in ALLOWED_HEADS) for h in heads), (text, heads)


@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
@example("__import__('os').system('touch PWNED')")
@example("(lambda: 1)()")
@example("t.__class__.__mro__")
@example("f'{t}'")
@example("exp(" * 40 + "t" + ")" * 40)
@example("t**t**t**t")
@example("9" * 400)
@example("1e999")
def test_token_soup_parses_or_is_refused(text):
    _assert_outcome(text)


@given(st.text(max_size=60))
def test_unicode_text_parses_or_is_refused(text):
    _assert_outcome(text)


@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
def test_multiclass_token_soup(text):
    _assert_outcome(text, multiclass=True)


@given(st.integers(1, 3000), st.sampled_from(["(", "-(", "abs(", "exp(", "log(1+", "Max(t,"]))
def test_deep_nesting_is_bounded(depth, opener):
    text = opener * depth + "t" + ")" * (depth * (opener != "-(") + depth * (opener == "-("))
    _assert_outcome(text)


@given(st.one_of(st.integers(-10**60, 10**60).map(str),
                 st.floats(allow_nan=False).map(repr),
                 st.integers(0, 10**6).map(lambda k: f"t**{k}"),
                 st.integers(0, 400).map(lambda k: f"{k}**{k}**{k}")))
def test_huge_numbers_are_bounded(text):
    _assert_outcome(text)


def test_nothing_is_executed(tmp_path, monkeypatch):
    # Any execution path would create the file or call the patched builtins.
    import builtins

    monkeypatch.chdir(tmp_path)
    calls = []
    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, lambda *a, _n=name, **k: calls.append(_n))
    attacks = ["open('PWNED', 'w').write('x')", "__import__('os').system('touch PWNED')",
               "eval('1')", "exec('x=1')", "t.__class__", "[open('PWNED','w')]",
               "(lambda: open('PWNED','w'))()", "globals()", "getattr(t, 'x')"]
    for text in attacks:
        with pytest.raises(UnsafeExpressionError):
            from_expression(text)
    assert calls == [] and not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("text, reason", [
    ("exp(exp(exp(t)))", "nested more than 2 deep"),
    ("t**t", "base and exponent both depend"),
    ("sin(t)", r"not even: .* at t = "),
    ("t**3", "not even"),
])
def test_refusals_name_the_reason(text, reason):
    with pytest.raises(InvalidParameterError, match=reason):
        from_expression(text)
