"""Fuzzing the numbers: compiled functions, solvers and estimators.

Each input either gives a correct finite result or raises one of our errors naming the
bad value; never a NumPy warning (pytest turns RuntimeWarning into an error), never a
silent NaN, never a "converged" result that did not converge.
"""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from numerics import compile_binary, compile_multiclass
from numerics.solve.estimator import LogitRegularizedClassifier, MaxMarginClassifier
from numerics.solve.binary import minimize_binary
from numerics.solve.multiclass import minimize_multiclass
from theory import (ConvergenceError, InvalidParameterError, InvalidTypeError, from_expression,
                    list_regularizers)
from core.errors import LogitRegError

from tests.tolerances import assert_close

OUR_ERRORS = (InvalidParameterError, InvalidTypeError)
#: Newton's minimiser at ||grad|| <= 1e-10 vs the minimiser of the rescaled problem: the two
#: solves stop at independent points within ~1e-10/curvature of the optimum; relative
#: 1e-7 leaves room for condition numbers up to ~1e3 on these small random designs.
EQUIVARIANCE_RTOL = 1e-7

logits = st.floats(-1e4, 1e4, allow_nan=False)
alphas = st.floats(0.0, 0.999, allow_nan=False)
USER_FORMS = ["t**4", "sqrt(1+t**2)", "cosh(t)", "abs(t)**1.5 + t**2"]


@pytest.mark.parametrize("name", list_regularizers() + USER_FORMS)
@given(t=st.lists(logits, min_size=1, max_size=8), alpha=alphas)
def test_compiled_binary_finite_everywhere(name, t, alpha):
    reg = from_expression(name) if name in USER_FORMS else name
    c = compile_binary(reg)
    t = np.array(t)
    for fn in (c.loss, c.dloss, c.d2loss):
        try:
            value = np.asarray(fn(t, alpha), dtype=float)
        except InvalidParameterError as exc:
            # e.g. l'' of |t|**1.5 at t = 0: undefined, and the error says where.
            assert "undefined at t = " in str(exc)
            continue
        # cosh(1e4) is +inf in float64: the correctly rounded value; NaN is never allowed.
        assert not np.isnan(value).any(), (name, fn, t, alpha)
    if name in list_regularizers():
        assert np.isfinite(c.loss(t, alpha)).all()


@pytest.mark.parametrize("name", ["quadratic", "label_smoothing", "maxsup"])
@given(z=st.lists(st.floats(-700, 700), min_size=3, max_size=3), alpha=alphas)
def test_compiled_multiclass_finite(name, z, alpha):
    c = compile_multiclass(name, 3)
    value = c.loss(*z, alpha)
    assert np.isfinite(value)


@given(alpha=st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda a: not (0 <= a < 1)), st.just(float("nan"))))
def test_bad_alpha_is_refused_by_the_solver(alpha):
    U = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(InvalidParameterError, match="alpha"):
        minimize_binary(U, alpha=alpha)


@given(seed=st.integers(0, 2**32 - 1), exponent=st.integers(-150, 150),
       name=st.sampled_from(["quadratic", "label_smoothing"]))
def test_extreme_scales_are_exact(seed, exponent, name):
    # Equivariance (B9): scaling the inputs by c scales the minimiser by 1/c exactly, so
    # inputs at 1e-150 or 1e150 must give the same logits as at 1.
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(25, 4)) + np.array([1.0, 0, 0, 0])
    scale = 10.0**exponent
    base = minimize_binary(U, name, 0.3)
    scaled = minimize_binary(U * scale, name, 0.3)
    assert np.isfinite(scaled.coef).all()
    assert_close(U @ base.coef, (U * scale) @ scaled.coef, rtol=EQUIVARIANCE_RTOL, atol=1e-12,
                 what=f"logits at input scale 1e{exponent}")


@given(seed=st.integers(0, 2**16), bad=st.sampled_from([np.nan, np.inf, -np.inf]),
       where=st.integers(0, 59))
def test_non_finite_data_is_named(seed, bad, where):
    X = np.random.default_rng(seed).normal(size=(20, 3))
    X.flat[where] = bad
    y = np.arange(20) % 2
    with pytest.raises(InvalidParameterError, match="finite|NaN|infinity"):
        minimize_binary(X * (2 * y - 1)[:, None])
    with pytest.raises(InvalidParameterError, match="finite|NaN|infinity"):
        minimize_multiclass(X, y)
    with pytest.raises(InvalidParameterError, match="NaN|infinity"):
        LogitRegularizedClassifier().fit(X, y)


@pytest.mark.parametrize("X, y, match", [
    (np.ones((10, 3)), np.zeros(10), "2 classes"),
    (np.ones((10, 3)), np.arange(9) % 2, "inconsistent|samples"),
    (np.ones((0, 3)), np.zeros(0), "0 sample|minimum"),
    (np.ones(10), np.arange(10) % 2, "2D|reshape"),
])
def test_estimator_bad_data(X, y, match):
    for est in (LogitRegularizedClassifier(), MaxMarginClassifier()):
        with pytest.raises(OUR_ERRORS, match=match):
            est.fit(X, y)


@given(X=st.lists(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=2), min_size=4,
                  max_size=12),
       alpha=st.floats(0.05, 0.95))
def test_estimator_any_finite_data_gives_finite_predictions(X, alpha):
    # Constant, duplicated or collinear rows included: the minimum-norm minimiser exists.
    X = np.array(X)
    y = np.arange(len(X)) % 2
    est = LogitRegularizedClassifier(alpha=alpha).fit(X, y)
    proba = est.predict_proba(X)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)
    assert set(est.predict(X)) <= {0, 1}


def test_constant_single_feature_data():
    # x = c for every sample: a singular covariance; the minimiser is the best constant.
    X = np.full((12, 1), 3.0)
    y = np.arange(12) % 2
    est = LogitRegularizedClassifier(alpha=0.2).fit(X, y)
    assert_close(est.predict_proba(X)[:, 1], 0.5, rtol=0, atol=1e-9,
                 what="balanced labels on constant data: no information, p = 1/2")


@given(max_iter=st.integers(1, 2), seed=st.integers(0, 100))
def test_non_convergence_is_reported_not_returned(max_iter, seed):
    U = np.random.default_rng(seed).normal(size=(40, 6)) + 0.3
    with pytest.raises(ConvergenceError) as info:
        minimize_binary(U, "quadratic", 0.01, max_iter=max_iter)
    err = info.value
    assert err.iterations is not None and err.iterations <= max_iter + 1
    assert err.gradient_norm is not None and err.gradient_norm > 1e-10
    assert f"max_iter={max_iter}" in str(err)


def test_alpha_zero_on_separable_data_is_not_a_minimiser():
    # alpha = 0 on separable data has no finite minimiser (B1): never "converged".
    U = np.abs(np.random.default_rng(1).normal(size=(5, 3)))
    with pytest.raises(LogitRegError):
        minimize_binary(U, "quadratic", 0.0)


@pytest.mark.parametrize("K", [1, 0, -3])
def test_k_below_two(K):
    with pytest.raises(InvalidParameterError, match=str(K)):
        compile_multiclass("quadratic", K)


@given(d=st.integers(-5, 0))
def test_non_positive_sizes(d):
    from numerics.models.signal_noise import binary_signal_noise

    with pytest.raises(InvalidParameterError, match="'d'"):
        binary_signal_noise(d=d, n=10, seed=0)
    with pytest.raises(InvalidParameterError, match="'n'"):
        binary_signal_noise(d=3, n=d, seed=0)


def test_nan_never_silently_returned_by_target():
    for name in list_regularizers():
        c = compile_binary(name)
        for alpha in (1e-300, 1e-12, 0.5, 0.999):
            try:
                value = c.target(alpha)
            except LogitRegError:
                continue  # a refusal naming the reason is the other allowed outcome
            assert np.isfinite(value), (name, alpha)
