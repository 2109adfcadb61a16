"""Claim M7 (multiclass grokking): compiled loss, exact error bounds, certificate, Hessian,
a tiny end-to-end run and negative controls."""


import numpy as np
import pytest
from scipy import special

from numerics.models.multiclass import multiclass_signal_noise
from numerics.claims import multiclass_grokking as mg
from numerics.claims import multiclass_grokking_dynamics as md
from core.errors import InvalidParameterError

from tests.tolerances import assert_close

#: K=3, lambda = 0.7, weak signal as in the default: groks within a few thousand epochs.
TINY = mg.M7_SIZES["test"]


@pytest.fixture(scope="module")
def tiny():
    res = md.m7_runs(TINY)
    return res, mg.evaluate_m7(res, TINY)


def _explicit(Z, y, alpha):
    """Independent float64 loss and gradient (scipy), quadratic f."""
    Y = np.eye(Z.shape[1])[y]
    lse = special.logsumexp(Z, axis=1)
    loss = (1 - alpha) * (lse - np.sum(Z * Y, axis=1)) + alpha * np.sum(Z * Z, axis=1)
    grad = (1 - alpha) * (special.softmax(Z, axis=1) - Y) + 2 * alpha * Z
    return loss, grad


def test_compiled_loss_and_gradient_match_explicit_formula():
    rng = np.random.default_rng(0)
    Z = rng.normal(0, 3, (50, 4))
    y = rng.integers(0, 4, 50)
    loss, grad = md.multiclass_logit_functions("quadratic", 4, 0.3)
    l_ref, g_ref = _explicit(Z, y, 0.3)
    assert_close(loss(Z, y), l_ref, rtol=1e-13, what="loss")
    assert_close(grad(Z, y), g_ref, rtol=1e-12, atol=1e-14, what="gradient")


def test_error_bounds_bracket_monte_carlo():
    k, d, s_n = 3, 6, 1.0
    ds = multiclass_signal_noise(10, d, k, sigma_f=0.0, sigma_n=s_n, seed=1)
    rng = np.random.default_rng(3)
    W, b = rng.normal(0, 0.5, (k, d)), rng.normal(0, 0.1, k)
    lo, up, _ = md.error_bounds(W, b, ds.means, k, s_n)
    test = ds.fresh(200_000, seed=9)
    err = np.mean(np.argmax(test.X @ W.T + b, axis=1) != test.y)
    se = np.sqrt(err * (1 - err) / 200_000)
    assert lo - 4 * se <= err <= up + 4 * se


def test_certified_ball_keeps_the_error_bound():
    k, alpha, tol = 3, 0.1, 1e-6
    ds = multiclass_signal_noise(10, 8, k, sigma_f=0.0, sigma_n=1.0, mean_scale=0.3, seed=0)
    star = md.star_weights(ds.means, k, alpha)
    r_c, z = md.certified_radius(k, alpha, 0.3, 1.0, tol)
    assert_close((k - 1) * special.ndtr(-z), tol, rtol=1e-10, what="z_tol")
    rng = np.random.default_rng(1)
    for _ in range(200):
        D = rng.normal(size=star.shape)
        Wt = star + 0.999 * r_c * D / np.linalg.norm(D)
        _, up, zeta = md.error_bounds(Wt[:, 1:], Wt[:, 0], ds.means, k, 1.0)
        assert zeta >= z and up <= tol


def test_hessian_at_star_matches_finite_differences():
    k, alpha = 3, 0.1
    ds = multiclass_signal_noise(12, 4, k, sigma_f=0.0, sigma_n=1.0, seed=2)
    star = md.star_weights(ds.means, k, alpha)
    Xa = np.column_stack([np.ones(ds.n), ds.X])

    def g(w):
        _, G = _explicit(Xa @ w.reshape(k, -1).T, ds.y, alpha)
        return (G.T @ Xa / ds.n).ravel()

    assert np.linalg.norm(g(star.ravel())) <= 1e-12  # W* is stationary (Prop. D.2)
    h = 1e-6
    H_fd = np.array([(g(star.ravel() + h * e) - g(star.ravel() - h * e)) / (2 * h)
                     for e in np.eye(star.size)])
    assert_close(md.hessian_at_star(ds.X, ds.y, k, alpha, centred=False), H_fd, rtol=1e-6,
                 atol=1e-8, what="Hessian at W*")


def test_tiny_run_groks(tiny):
    res, out = tiny
    ok = out["ok"]
    assert ok["alpha=0 overfits for good (error > 1e-2 at the end and in the SVM limit)"]
    assert ok["grokking (error <= tol certified, macroscopic at T_train, T_gen >= 2 T_train)"]
    assert ok["delay increases as alpha decreases"]
    assert ok["GD end state = Prop. D.2 minimiser (1e-4)"]
    assert ok["tail rate = linearised GD rate (10%)"]


def test_negative_control_generalising_alpha0_fails(tiny):
    """Feeding a generalising run as the alpha = 0 run must fail the overfitting check."""
    res, _ = tiny
    runs = dict(res["runs"])
    runs[0.0] = runs[0.1]
    out = mg.evaluate_m7({"data": res["data"], "runs": runs, "svm": None}, TINY)
    assert not out["ok"]["alpha=0 overfits for good (error > 1e-2 at the end and in the "
                         "SVM limit)"]
    runs = dict(res["runs"])
    runs[0.05], runs[0.1] = runs[0.1], runs[0.05]  # delays now decrease with alpha
    out = mg.evaluate_m7({"data": res["data"], "runs": runs, "svm": None}, TINY)
    assert not out["ok"]["delay increases as alpha decreases"]


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="1.0"):
        md.multiclass_logit_functions("quadratic", 3, 1.0)
    _, grad = md.multiclass_logit_functions("quadratic", 3, 0.1)
    with pytest.raises(InvalidParameterError, match="overflow"):
        grad(np.full((2, 3), 800.0), np.array([0, 1]))
    with pytest.raises(InvalidParameterError, match="0.0"):
        md.star_weights(np.eye(3), 3, 0.0)
