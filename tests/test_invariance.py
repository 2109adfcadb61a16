"""Claims B9, B10, B13 (numeric): equivariance, sigma_n invariance, and negative controls."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.models.data import binary_signal_noise
from numerics.claims.invariance import crossing, equivariance_gap, gaussian_accuracy, sigma_n_invariance, unregularised_direction
from numerics.claims.weight_decay import accuracy_vs_sigma_n
from numerics.solve.solvers import minimize_binary, minimize_weight_decay

from tests.strategies import regularizers


def _reg(name="quadratic", alpha=0.2):
    return lambda U: minimize_binary(U, name, alpha).coef


@given(name=regularizers, seed=st.integers(0, 2**31 - 1), d=st.integers(2, 8),
       extra=st.integers(1, 20))
@settings(max_examples=10)
def test_b9_equivariance_under_random_invertible_maps(name, seed, d, extra):
    if name == "confidence_penalty":
        name = "label_smoothing"  # non-convex: the minimiser need not be unique
    ds = binary_signal_noise(d + extra, d, sigma_f=0.5, seed=seed)
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d)) + 2 * np.eye(d)
    if np.linalg.cond(A) > 1e4:
        return
    X_test = ds.fresh(50, seed=seed + 1).X
    # Predictions of the unique minimiser are invariant: the normalised test logits agree
    # to the solvers' precision (||grad|| <= 1e-10) times cond(A).
    assert equivariance_gap(ds.u, X_test, A, solver=_reg(name)) < 1e-6


def test_b9_max_margin_is_not_equivariant_example():
    ds = binary_signal_noise(30, 40, sigma_f=0.5, seed=2)  # N < d: separable
    A = np.eye(40)
    A[1:, 1:] *= 3.0  # rescale the orthogonal noise: sigma_n -> 3 sigma_n
    X_test = ds.fresh(500, seed=3).X
    gap = equivariance_gap(ds.u, X_test, A, solver=unregularised_direction)
    assert gap > 1e-2


def test_b9_negative_control_weight_decay_is_not_invariant():
    reg_change, _, _ = sigma_n_invariance(60, 30, [0.5, 2.0], seed=4)
    wd_change, _, _ = sigma_n_invariance(60, 30, [0.5, 2.0], seed=4,
                                         solver=lambda U: minimize_weight_decay(U, 0.2).coef)
    assert reg_change < 1e-8 and wd_change > 1e-3


def test_gaussian_accuracy_matches_monte_carlo():
    S = np.array([1.0, 0.3, -0.4])
    acc = gaussian_accuracy(S, mu_f=1.0, sigma_f=0.5, sigma_n=1.2)
    ds = binary_signal_noise(200_000, 3, sigma_f=0.5, sigma_n=1.2, seed=9)
    mc = float(np.mean(ds.u @ S > 0))
    # Monte Carlo standard error sqrt(A(1-A)/n) ~ 1e-3; allow 4 sigma.
    assert abs(mc - acc) < 4 * math.sqrt(acc * (1 - acc) / 200_000)


def test_crossing_interpolates():
    assert math.isnan(crossing([1, 2], [0.5, 0.5], [0.6, 0.7]))
    x = crossing([1.0, 4.0], [0.5, 0.5], [0.6, 0.4])
    assert abs(x - 2.0) < 1e-12  # log-midpoint of 1 and 4


def test_b13_weight_decay_depends_on_sigma_n():
    wd, lr = accuracy_vs_sigma_n(60, 40, [0.25, 4.0], n_seeds=1, seed=1)
    assert abs(lr[0] - lr[1]) < 1e-8 and abs(wd[0] - wd[1]) > 1e-2
