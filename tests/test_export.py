r"""Tests of :mod:`numerics.export` (``logitreg export NAME --to FORMAT``).

Every exported implementation of :math:`\ell, \ell', \ell''`, :math:`\alpha(t^*)` and
:math:`t^*(\alpha)` (claims B1, B7) is checked against an independent 50-digit mpmath
evaluation of the SymPy derivation, for every built-in regulariser and two user-defined
ones (``t**4``, smooth; ``Max(t**2, 2*abs(t))``, non-smooth with Heaviside/Max/sign;
``t**2 + pi*abs(t)``, a folded constant and an implicit target with a degenerate range).
"""

from __future__ import annotations

import ast
import ctypes
import functools
import importlib.util
import itertools
import json
import re
import math
import shutil
import subprocess

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import theory
from numerics.compile._primitives import MPMATH_PRIMITIVES
from numerics.export import EXPORT_FORMATS, EXPORT_SUFFIXES, export
from theory import ALPHA, T

# float64 vs 50-digit mpmath. The forward error of evaluating an expression in floating
# point is bounded by (number of roundings) * eps * MAG, where MAG is the expression
# evaluated with every sum replaced by the sum of absolute values (running error
# analysis, Higham ch. 3): it is |value| except near a zero crossing, e.g. l'(t) near
# t*. The arguments of the primitives here are exact (+-t), and each primitive is
# accurate to a few ulps, so ~20 roundings of eps = 1.1e-16 give ~2e-15 * MAG;
# RTOL = 1e-13 (~450 eps) leaves a factor ~50 of headroom and still catches any wrong
# term, sign, constant or unstable helper (those are off by >= 1e-10).
RTOL = 1e-13
# Values below the smallest normal double (e.g. l'' ~ e^{-1e4} at t = 1e4) underflow.
ATOL = 2.3e-308
# t*(alpha): float64 alpha is exact, but every formula rounds quantities of alpha
# (1 - alpha, 2/alpha, l'(t) near its root) to eps, i.e. perturbs alpha by a few ulps;
# the target then moves by kappa * eps relative, kappa = |alpha / (t* alpha'(t*))| the
# condition number of alpha -> t*. Tolerance RTOL * max(1, kappa).
MP_DPS = 50

CASES = {name: name for name in theory.list_regularizers()}
CASES["user_quartic"] = theory.from_expression("t**4")  # named "custom", as from the CLI
CASES["user_maxquad"] = theory.from_expression("Max(t**2, 2*abs(t))", name="maxquad")
# pi must be folded to a float for torch (torch.mul(math.pi, ...) is fine, torch.log(2) not);
# |t| makes alpha_max = 1/(1 + 2 pi) < 1 with an implicit target.
CASES["user_pi"] = theory.from_expression("t**2 + pi*abs(t)", name="pi_abs")
CASE_IDS = list(CASES)

_rng = np.random.default_rng(20260212)
# |t| <= 50 at random, the kinks and signs (0, +-1e-8, 2 = kink of Max(t^2, 2|t|)), the
# ends +-50, and the overflow probes +-1e4.
T_POINTS = np.concatenate([_rng.uniform(-50.0, 50.0, 40),
                           [0.0, 1e-8, -1e-8, 1.0, -1.0, 2.0, 50.0, -50.0, 1e4, -1e4]])
A_POINTS = np.exp(_rng.uniform(math.log(1e-4), math.log(0.999), T_POINTS.size))
A_POINTS[:6] = [1e-4, 0.2, 0.5, 0.9, 0.999, 0.3]
TPOS_POINTS = np.abs(T_POINTS[T_POINTS != 0.0])
ALPHAS = np.array([1e-4, 1e-3, 0.01, 0.05, 0.15, 0.2, 0.3, 0.45, 0.5, 0.7, 0.9, 0.99, 0.999]
                  + list(np.exp(_rng.uniform(math.log(1e-4), math.log(0.999), 4))))
FUNCTIONS = ("loss", "dloss", "d2loss", "alpha_of_target")


# --- the independent 50-digit reference -------------------------------------------------

def _magnitude(expr):
    """``expr`` with every sum replaced by the sum of absolute values (error scale)."""
    if expr.is_Add:
        return sp.Add(*[_magnitude(a) for a in expr.args])
    if expr.is_Mul:
        return sp.Mul(*[_magnitude(a) for a in expr.args])
    if expr.is_Pow and expr.exp.is_number:
        base = sp.Abs(expr.base)
        return base ** expr.exp * (_magnitude(expr.base) / base) ** abs(expr.exp)
    return sp.Abs(expr)


def _mp(args, expr):
    expr = expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    return sp.lambdify(args, expr, modules=[MPMATH_PRIMITIVES, "mpmath"])


@functools.lru_cache(maxsize=None)
def reference(case):
    """mpmath callables ``{name: (value, magnitude, args)}`` from the SymPy derivation."""
    d = theory.derive_binary(CASES[case])
    out = {}
    for name, args in (("loss", (T, ALPHA)), ("dloss", (T, ALPHA)), ("d2loss", (T, ALPHA)),
                       ("alpha_of_target", (T,))):
        expr = getattr(d, name)
        out[name] = (_mp(args, expr), _mp(args, _magnitude(expr)), len(args))
    out["dalpha"] = _mp((T,), sp.diff(d.alpha_of_target, T))
    return out


@functools.lru_cache(maxsize=None)
def reference_values(case):
    """``{name: (ref, mag)}`` float arrays at the fixed points (cached across formats)."""
    ref = reference(case)
    out = {}
    with mpmath.workdps(MP_DPS):
        for name in FUNCTIONS:
            value, mag, nargs = ref[name]
            pts = ([(t, a) for t, a in zip(T_POINTS, A_POINTS)] if nargs == 2
                   else [(t,) for t in TPOS_POINTS])
            vals = [value(*[mpmath.mpf(float(x)) for x in p]) for p in pts]
            mags = [mag(*[mpmath.mpf(float(x)) for x in p]) for p in pts]
            out[name] = (np.array([float(v) for v in vals]), np.array([float(m) for m in mags]))
    return out


def _mp_target(case, alpha: float):
    """t*(alpha) at 50 digits: bisection on the exact sign of l' (0 if l'(0+) >= 0)."""
    dl = reference(case)["dloss"][0]
    with mpmath.workdps(MP_DPS):
        a = mpmath.mpf(alpha)
        if dl(mpmath.mpf(10) ** -40, a) >= 0:
            return mpmath.mpf(0)
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        while dl(hi, a) <= 0:
            lo, hi = hi, 2 * hi
        while hi - lo > mpmath.mpf(10) ** -25 * hi:  # 1e-12 of the tightest tolerance
            mid = (lo + hi) / 2
            if dl(mid, a) > 0:
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2


@functools.lru_cache(maxsize=None)
def reference_targets(case):
    """``(t*, tolerance)`` arrays over :data:`ALPHAS`; tolerance from the condition number."""
    dalpha = reference(case)["dalpha"]
    ts, tols = [], []
    for a in ALPHAS:
        ts_mp = _mp_target(case, float(a))
        with mpmath.workdps(MP_DPS):
            kappa = 1.0 if ts_mp == 0 else float(abs(mpmath.mpf(float(a)) / (ts_mp * dalpha(ts_mp))))
        ts.append(float(ts_mp))
        tols.append(RTOL * max(1.0, kappa) * float(ts_mp))
    return np.array(ts), np.array(tols)


def assert_matches(got, case, name, label):
    ref, mag = reference_values(case)[name]
    got = np.asarray(got, dtype=float)
    assert got.shape == ref.shape, (label, name, got.shape)
    assert np.all(np.isfinite(got)), (label, name, got[~np.isfinite(got)])
    err = np.abs(got - ref)
    bad = err > RTOL * mag + ATOL
    pts = T_POINTS if name != "alpha_of_target" else TPOS_POINTS
    assert not bad.any(), (f"{label} {case} {name}: worst at t={pts[bad][:3]}, "
                           f"got {got[bad][:3]}, ref {ref[bad][:3]}, mag {mag[bad][:3]}")


def assert_targets(got, case, label):
    ref, tol = reference_targets(case)
    got = np.asarray(got, dtype=float)
    zero = ref == 0.0
    # Degenerate range t* = 0 (l'(0+) >= 0). At its boundary (alpha = 0.2 is alpha(0+) =
    # 1/5 of Max(t^2, 2|t|) up to rounding) the sign of l' near 0 is decided by rounding
    # noise of size eps * |l'| terms, so t* = O(eps) is as right as 0 on the O(1) logit
    # scale: absolute tolerance RTOL.
    assert np.all(np.abs(got[zero]) <= RTOL), (label, case, ALPHAS[zero], got[zero])
    err = np.abs(got - ref)
    bad = ~zero & ~(err <= tol)
    assert not bad.any(), (f"{label} {case} target: alpha={ALPHAS[bad]}, got {got[bad]}, "
                           f"ref {ref[bad]}, rel err {(err / ref)[bad]}, tol {(tol / ref)[bad]}")


def _args(name):
    return (T_POINTS, A_POINTS) if name != "alpha_of_target" else (TPOS_POINTS,)


# --- loading exported code ----------------------------------------------------------------

_counter = itertools.count()


def load_module(source: str, directory, stem: str):
    path = directory / f"{stem}_{next(_counter)}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("export")


# --- API ------------------------------------------------------------------------------------

def test_formats_and_suffixes():
    assert EXPORT_FORMATS == ("numpy", "c", "latex", "json", "torch", "jax")
    assert set(EXPORT_SUFFIXES) == set(EXPORT_FORMATS)
    for fmt in EXPORT_FORMATS:
        text = export("label_smoothing", to=fmt)
        assert isinstance(text, str) and text.endswith("\n") and len(text) > 200, fmt


@pytest.mark.parametrize("bad", ["fortran", "NumPy", "", "c "])
def test_bad_format_names_the_value(bad):
    with pytest.raises(theory.InvalidParameterError, match=re.escape(repr(bad))):
        export("quadratic", to=bad)


def test_bad_format_type_and_unknown_regulariser():
    with pytest.raises(theory.InvalidTypeError, match="3"):
        export("quadratic", to=3)
    with pytest.raises(theory.InvalidParameterError, match="'nope'"):
        export("nope", to="c")


def test_export_is_deterministic():
    reg = theory.from_expression("t**4")
    assert export(reg, "c") == export(theory.from_expression("t**4"), "c")
    assert export("maxsup", "numpy") == export("maxsup", "numpy")


@pytest.mark.parametrize("fmt", ["numpy", "c", "torch", "jax"])
def test_implicit_target_is_commented(fmt):
    implicit = " ".join(export("quadratic", fmt).split())  # comments wrap anywhere
    closed = " ".join(export("label_smoothing", fmt).split())
    assert "IMPLICIT" in implicit and "alpha(t*) = alpha" in implicit
    assert "IMPLICIT" not in closed and "closed form" in closed
    assert "log((2 - alpha)/alpha)" in closed  # the closed form, quoted in the comment


# --- NumPy ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_IDS)
def test_numpy_export_matches_mpmath(case, export_dir):
    source = export(CASES[case], "numpy")
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in getattr(node, "names", [])}
    assert imported <= {"numpy", "math"}, imported  # self-contained: numpy only
    mod = load_module(source, export_dir, f"np_{case}")
    for name in FUNCTIONS:
        assert_matches(getattr(mod, name)(*_args(name)), case, name, "numpy")
    assert_targets(mod.target(ALPHAS), case, "numpy")
    # Scalars in, floats out (a Piecewise or Heaviside fed a scalar must not break).
    assert isinstance(mod.loss(0.0, 0.3), float) and isinstance(mod.target(0.3), float)
    assert mod.dloss(np.zeros((2, 3)), 0.3).shape == (2, 3)


@pytest.mark.parametrize("case", CASE_IDS)
@settings(max_examples=15, deadline=None, derandomize=True)
@given(t=st.floats(-50.0, 50.0, allow_nan=False),
       a=st.floats(1e-4, 0.999, allow_nan=False))
def test_numpy_export_random_points(case, t, a):
    mod = _numpy_module(case)
    ref = reference(case)
    with mpmath.workdps(MP_DPS):
        for name in FUNCTIONS:
            value, mag, nargs = ref[name]
            args = (t, a) if nargs == 2 else (abs(t) or 1.0,)
            mp_args = [mpmath.mpf(x) for x in args]
            exact, scale = value(*mp_args), mag(*mp_args)
            got = getattr(mod, name)(*args)
            assert abs(got - float(exact)) <= RTOL * float(scale) + ATOL, (name, args, got, exact)


@functools.lru_cache(maxsize=None)
def _numpy_module(case):
    import tempfile
    from pathlib import Path
    return load_module(export(CASES[case], "numpy"), Path(tempfile.mkdtemp()), f"nph_{case}")


def test_numpy_quadratic_target_value():
    mod = _numpy_module("quadratic")
    assert abs(mod.target(0.2) - 0.674832) < 5e-7  # docs/theory.md §1 table, 6 digits given
    with pytest.raises(ValueError, match="alpha"):
        mod.target(1.0)


# --- C ----------------------------------------------------------------------------------------

def _compile(source, directory, stem):
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler `cc` on PATH")
    c_path, so_path = directory / f"{stem}.c", directory / f"{stem}.so"
    c_path.write_text(source)
    proc = subprocess.run([cc, "-std=c99", "-O2", "-shared", "-fPIC", "-Wall", "-Wextra",
                           "-pedantic", "-Werror", str(c_path), "-o", str(so_path), "-lm"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return ctypes.CDLL(str(so_path))


def _c_function(lib, cname, name, nargs):
    fn = getattr(lib, f"{cname}_{name}")
    fn.restype = ctypes.c_double
    fn.argtypes = [ctypes.c_double] * nargs
    return fn


@pytest.mark.parametrize("case", CASE_IDS)
def test_c_export_compiles_and_matches_mpmath(case, export_dir):
    reg = theory.get_regularizer(CASES[case])
    source = export(reg, "c")
    lib = _compile(source, export_dir, f"c_{case}")
    cname = reg.name
    for name in FUNCTIONS:
        args = _args(name)
        fn = _c_function(lib, cname, name, len(args))
        assert_matches([fn(*map(float, p)) for p in zip(*args)], case, name, "C")
    target = _c_function(lib, cname, "target", 1)
    assert_targets([target(float(a)) for a in ALPHAS], case, "C")
    for bad in (0.0, 1.0, -0.5, float("nan")):
        assert math.isnan(target(bad)), bad
    amax = _c_function(lib, cname, "alpha_max", 0)
    assert amax() == float(theory.derive_binary(reg).alpha_max)


def test_c_label_smoothing_acceptance(export_dir):
    """Acceptance: the exported C for label_smoothing compiles and matches mpmath to 1e-13."""
    lib = _compile(export("label_smoothing", "c"), export_dir, "c_ls_acceptance")
    target = _c_function(lib, "label_smoothing", "target", 1)
    with mpmath.workdps(MP_DPS):
        for a in (1e-4, 0.01, 0.2, 0.5, 0.9, 0.999):
            exact = mpmath.log((2 - mpmath.mpf(a)) / mpmath.mpf(a))  # docs/theory.md §1
            kappa = float(2 / ((2 - mpmath.mpf(a)) * exact))  # |a dt*/da| / t*
            assert abs(target(a) - float(exact)) <= RTOL * max(1.0, kappa) * float(exact), a


def test_c_nonsmooth_printing():
    maxsup = export("maxsup", "c")
    assert "fabs(t)" in maxsup and "(((t) > 0) - ((t) < 0))" in maxsup
    user = export(CASES["user_maxquad"], "c")
    assert "fmax(" in user and "lr_heaviside(" in user


# --- PyTorch --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_IDS)
def test_torch_export_matches_mpmath(case, export_dir):
    torch = pytest.importorskip("torch")
    mod = load_module(export(CASES[case], "torch"), export_dir, f"torch_{case}")
    for name in FUNCTIONS:
        args = [torch.tensor(a, dtype=torch.float64) for a in _args(name)]
        out = getattr(mod, name)(*args)
        assert out.dtype == torch.float64
        assert_matches(out.numpy(), case, name, "torch")
    assert_targets(mod.target(torch.tensor(ALPHAS, dtype=torch.float64)).numpy(), case, "torch")
    # Autograd of the exported loss agrees with the exported l' (third independent route);
    # both are float64 evaluations of equal expressions: same RTOL-times-magnitude scale.
    t = torch.tensor(T_POINTS[:40], dtype=torch.float64, requires_grad=True)
    a = torch.tensor(A_POINTS[:40], dtype=torch.float64)
    (grad,) = torch.autograd.grad(mod.loss(t, a).sum(), t)
    ref, mag = reference_values(case)["dloss"]
    assert np.all(np.abs(grad.numpy() - ref[:40]) <= 10 * RTOL * mag[:40] + ATOL)


# --- JAX ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jax_x64():
    jax = pytest.importorskip("jax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize("case", CASE_IDS)
def test_jax_export_matches_mpmath(case, export_dir, jax_x64):
    jax = jax_x64
    jnp = jax.numpy
    mod = load_module(export(CASES[case], "jax"), export_dir, f"jax_{case}")
    for name in FUNCTIONS:
        out = getattr(mod, name)(*[jnp.asarray(a) for a in _args(name)])
        assert out.dtype == jnp.float64
        assert_matches(np.asarray(out), case, name, "jax")
    assert_targets(np.asarray(mod.target(jnp.asarray(ALPHAS))), case, "jax")
    grad = jax.vmap(jax.grad(mod.loss))(jnp.asarray(T_POINTS[:40]), jnp.asarray(A_POINTS[:40]))
    ref, mag = reference_values(case)["dloss"]
    assert np.all(np.abs(np.asarray(grad) - ref[:40]) <= 10 * RTOL * mag[:40] + ATOL)


# --- JSON and LaTeX ------------------------------------------------------------------------

_PRIMITIVES_NS = {"Softplus": theory.Softplus, "Sigmoid": theory.Sigmoid,
                  "LogSumExp": theory.LogSumExp}


@functools.lru_cache(maxsize=None)
def _json(case):
    return json.loads(export(CASES[case], "json"))


@pytest.mark.parametrize("case", CASE_IDS)
def test_json_parses_and_round_trips(case):
    reg = theory.get_regularizer(CASES[case])
    d = theory.derive_binary(reg)
    obj = json.loads(export(reg, "json"))
    for key in ("name", "f", "loss", "dloss", "d2loss", "stationarity", "alpha_of_target",
                "target_closed_form", "alpha_max", "target", "smooth"):
        assert key in obj, key
    assert obj["name"] == reg.name
    assert obj["f"]["str"] == sp.sstr(reg.binary)
    for key in ("f", "loss", "dloss", "d2loss", "alpha_of_target"):
        expr = d.f if key == "f" else getattr(d, key)
        assert sp.sympify(obj[key]["srepr"], locals=_PRIMITIVES_NS) == expr, key
        assert obj[key]["latex"] and obj[key]["latex_elementary"], key
    if d.target_closed_form is None:
        assert obj["target_closed_form"] is None and obj["target"] == "implicit"
    else:
        back = sp.sympify(obj["target_closed_form"]["srepr"], locals=_PRIMITIVES_NS)
        assert back == d.target_closed_form and obj["target"] == "closed_form"
    assert obj["alpha_max"]["value"] == float(d.alpha_max)
    assert obj["smooth"] is bool(d.smooth)


@pytest.mark.parametrize("case", CASE_IDS)
def test_latex_fragment(case):
    reg = theory.get_regularizer(CASES[case])
    d = theory.derive_binary(reg)
    text = export(reg, "latex")
    obj = _json(case)
    assert text.count(r"\begin{align}") == 1 and text.rstrip().endswith(r"\end{align}")
    for label, key in ((r"\ell(t) &= ", "loss"), (r"\ell'(t) &= ", "dloss"),
                       (r"\ell''(t) &= ", "d2loss"), ("f(t) &= ", "f")):
        assert label + obj[key]["latex"] in text, key
    assert r"\text{(stationarity)}" in text and r"\alpha(t^{*}) &= " in text
    if d.target_closed_form is None:
        assert "implicit" in text
    else:
        assert obj["target_closed_form"]["latex"] in text
    if float(d.alpha_max) < 1:
        assert r"\alpha \ge \alpha_{\max}" in text  # degenerate range t* = 0 stated


def _latex_roundtrip_params():
    # Built-ins and the smooth user form; the Earley parser costs ~0.5 s per expression and
    # cannot read the Heaviside/Max/|t| forms of the other user cases anyway.
    for case in [*theory.list_regularizers(), "user_quartic"]:
        for key in ("loss", "dloss", "d2loss", "alpha_of_target", "target_closed_form"):
            yield pytest.param(case, key, id=f"{case}-{key}")


@functools.lru_cache(maxsize=1)
def _latex_parser():
    """One lark LaTeX parser for all round trips (building it costs ~0.2 s each time)."""
    pytest.importorskip("lark")
    try:
        from sympy.parsing.latex.lark import LarkLaTeXParser
    except ImportError:  # older SymPy: fall back to the public entry point
        from sympy.parsing.latex import parse_latex
        return lambda text: parse_latex(text, backend="lark")
    return LarkLaTeXParser().doparse


@pytest.mark.parametrize("case,key", list(_latex_roundtrip_params()))
def test_latex_elementary_round_trip(case, key):
    parse = _latex_parser()
    reg = theory.get_regularizer(CASES[case])
    expr = getattr(theory.derive_binary(reg), key)
    if expr is None:
        pytest.skip(f"{case} has no closed-form target")
    text = _json(case)[key]["latex_elementary"]
    try:
        parsed = parse(text)
    except Exception as exc:  # the lark grammar is partial: e.g. \log{\left(...\right)}
        pytest.skip(f"parse_latex cannot read {text[:60]!r}...: {type(exc).__name__}")
    if not isinstance(parsed, sp.Expr):
        pytest.skip(f"parse_latex returned an ambiguous parse tree ({type(parsed).__name__})")
    names = {"t": T, "alpha": ALPHA, "e": sp.E}  # the parser reads e as a symbol
    unknown = {s.name for s in parsed.free_symbols} - set(names)
    if unknown:
        pytest.skip(f"parse_latex misread {sorted(unknown)} as symbols")
    parsed = parsed.xreplace({s: names[s.name] for s in parsed.free_symbols})
    want_fn = sp.lambdify((T, ALPHA), theory.to_elementary(expr), "mpmath")
    got_fn = sp.lambdify((T, ALPHA), parsed, "mpmath")
    rng = np.random.default_rng(7)
    with mpmath.workdps(30):
        for t, a in zip(rng.uniform(0.1, 5.0, 5), rng.uniform(0.05, 0.45, 5)):
            want = want_fn(mpmath.mpf(t), mpmath.mpf(a))
            got = got_fn(mpmath.mpf(t), mpmath.mpf(a))
            # One real number evaluated by two formulas at 30 digits: equal to ~1e-28.
            assert abs(got - want) <= 1e-20 * (1 + abs(want)), (text, t, a, got, want)
