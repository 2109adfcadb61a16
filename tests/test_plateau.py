"""Claims B6 (alpha-insensitivity plateau) and B12 (sigma_f dependence): building blocks,
the derived alpha -> 0+ limit and linear response, and negative controls."""

import math

import numpy as np
import pytest

from numerics.models.signal_noise import binary_signal_noise
from numerics.claims.clustering import blas_single_thread
from core.claims import CheckResult
from numerics.claims.plateau import LIMIT_ALPHAS, PLATEAU_RANGE, AlphaSweep, alpha_sweep, d2_panel, default_alphas, evaluate_b6, noise_panel, nu_ordering, quadratic_angle_sweep, sweep_record, whitened_max_margin
from numerics.claims.sigma_f import check_b12, evaluate_b12, linear_response_slope, sigma_f_scan
from numerics.figures.claim_figures import draw_claim_figures
from numerics.solve.max_margin import max_margin_direction
from numerics.solve.binary import minimize_binary
from numerics.solve.weight_decay import minimize_weight_decay


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with blas_single_thread():
        yield


def _wd(U, name, alpha):  # weight decay with gamma = alpha: the negative control
    return minimize_weight_decay(U, alpha).coef


def test_default_alphas_span_the_plateau_range():
    a = default_alphas()
    assert a.min() == 1e-5 and abs(a.max() - 0.9) < 1e-12
    assert np.any(np.isclose(a, 1e-3, rtol=1e-12)) and np.all(np.diff(a) > 0)


def test_sweep_statistics_from_known_arrays():
    s = AlphaSweep(np.array([1e-5, 1e-3, 0.1, 0.9]), np.array([0.5, 0.52, 0.55, 0.53]),
                   np.array([10.0, 5.0, 1.0, 0.05]), cos0=0.7, separable=True)
    assert s.flatness == pytest.approx(0.03, abs=1e-15)
    assert s.jump == pytest.approx(-0.2, abs=1e-15)
    assert s.norm_ratio == pytest.approx(200.0)


def test_whitened_svm_is_equivariant_and_the_euclidean_one_is_not():
    """Under x -> A x the whitened SVM maps as w -> A^{-T} w (it only sees col(U))."""
    ds = binary_signal_noise(40, 20, sigma_f=0.5, seed=1)  # lambda = 0.5: separable
    rng = np.random.default_rng(2)
    A = rng.normal(size=(20, 20)) / math.sqrt(20) + np.eye(20)
    w = whitened_max_margin(ds.u)
    wA = whitened_max_margin(ds.u @ A.T)
    mapped = np.linalg.solve(A.T, w)
    # Both solved by an interior-point QP to ~1e-10, times cond(A) ~ 10.
    assert 1 - abs(float(wA @ mapped)) / np.linalg.norm(mapped) < 1e-8
    e, eA = max_margin_direction(ds.u).direction, max_margin_direction(ds.u @ A.T).direction
    mapped_e = np.linalg.solve(A.T, e)
    assert 1 - abs(float(eA @ mapped_e)) / np.linalg.norm(mapped_e) > 1e-3


def test_alpha_to_zero_limit_is_the_whitened_svm():
    """Derived in the module docstring: 1-cos to the whitened SVM falls as alpha -> 0+."""
    ds = binary_signal_noise(90, 60, sigma_f=1.0, seed=3)
    sweep = alpha_sweep(ds.u, [1e-3, 0.1])
    assert sweep.separable
    gaps = sweep.limit_gap
    assert np.all(np.diff(gaps) < 0)  # along LIMIT_ALPHAS = (1e-3, 1e-5, 1e-8)
    # The Euclidean SVM is much further away than S_min(1e-8) (measured 25-75x).
    assert gaps[-1] * 10 < sweep.svm_gap
    w = whitened_max_margin(ds.u)
    S = minimize_binary(ds.u, "quadratic", 1e-12).coef
    assert 1 - float(S @ w) / np.linalg.norm(S) < gaps[-1]  # still closing at 1e-12


def test_b6_evaluation_and_weight_decay_negative_control():
    alphas = default_alphas()
    good = noise_panel(150, 100, {"gaussian": {}}, alphas, n_seeds=3, seed=5)
    ev, flat = evaluate_b6(good, alphas)
    assert ev["jump >> plateau variation"] and ev["|S_min| varies >= 100x, ~ t*"]
    assert ev["alpha->0+ limit is the whitened SVM"]
    # Weight decay with gamma = alpha: continuous at 0 (-> SVM) and drifting across the
    # range, so no jump-then-plateau; its norm does not follow t*(alpha) either.
    bad = noise_panel(150, 100, {"gaussian": {}}, alphas, n_seeds=3, seed=5, solver=_wd)
    ev_bad, _ = evaluate_b6(bad, alphas)
    assert not ev_bad["jump >> plateau variation"]


def test_b6_negative_control_alpha_ignoring_solver():
    alphas = default_alphas()
    ds = binary_signal_noise(150, 100, sigma_f=1.0, seed=6)
    frozen = alpha_sweep(ds.u, alphas, limit=False,
                         solver=lambda U, f, a: minimize_binary(U, f, 0.1).coef)
    ev, _ = evaluate_b6({"frozen": [frozen]}, alphas)
    assert frozen.flatness < 1e-12 and not ev["|S_min| varies >= 100x, ~ t*"]


def test_nu_ordering_logic():
    flat = {"student_t nu=2.1": (0.05, 0.001), "student_t nu=3": (0.03, 0.001),
            "student_t nu=20": (0.02, 0.001), "gaussian": (0.01, 0.001)}
    assert nu_ordering(flat)["nu ordering of flatness (means)"]
    flat["gaussian"] = (0.025, 0.001)
    out = nu_ordering(flat)
    assert not out["nu ordering of flatness (means)"] and out["nu=2.1 vs gaussian z-score"] > 3


def test_d2_angle_to_quadratic_minimiser_shrinks_with_n():
    # Fig. 10 analogue: for Gaussian data every convex loss aims at Sigma^-1 mu, so the
    # angle to the pure-quadratic minimiser is a finite-sample effect, ~N^-1/2. Means of
    # 8 draws at N = 100 and 10^4 (measured 0.045 vs 0.003; SE ~ 0.01 and 0.001).
    alphas = [1e-5, 1e-2, 0.5]
    small = np.mean([quadratic_angle_sweep(binary_signal_noise(100, 2, seed=s).u, alphas)
                     for s in range(8)])
    large = np.mean([quadratic_angle_sweep(binary_signal_noise(10_000, 2, seed=s).u, alphas)
                     for s in range(8)])
    assert large < small / 3
    # A solver that *is* the quadratic minimiser has angle 0 (to rounding).
    from numerics.solve.squared import minimize_squared
    ds = binary_signal_noise(200, 2, seed=1)
    assert quadratic_angle_sweep(ds.u, alphas,
                                 solver=lambda U, f, a: minimize_squared(U, 1.0).coef) < 1e-12


def test_b6_report_figure_draws_from_plain_data(tmp_path):
    alphas = default_alphas()
    ds = binary_signal_noise(60, 40, sigma_f=1.0, seed=1)
    rec = sweep_record([alpha_sweep(ds.u, alphas, limit=False)])
    assert rec["cos"].shape == (1, alphas.size) and rec["limit_gap"] is None
    settings = dict(n=60, d=40, n_seeds=1, gauss_n=60, gauss_seeds=1)
    data = {"settings": settings, "alphas": alphas, "targets": alphas,
            "plateau_range": PLATEAU_RANGE, "noise": {"gaussian": rec},
            "gaussian": {"g d=40": rec}, "d2": d2_panel([100, 1000], alphas, n_seeds=2, seed=1)}
    res = CheckResult("B6", "s", {}, "-", True, data={"B6_plateau": data})
    assert draw_claim_figures(res, tmp_path) == [str(tmp_path / "B6_plateau.png")]
    assert (tmp_path / "B6_plateau.png").stat().st_size > 0


# ------------------------------------------------------------------------------ B12
@pytest.mark.parametrize("name,alpha", [("quadratic", 0.1), ("quadratic", 0.4),
                                        ("label_smoothing", 0.2)])
def test_linear_response_slope_is_alpha_and_f_independent(name, alpha):
    base = binary_signal_noise(120, 84, sigma_f=0.0, seed=9)
    b0 = linear_response_slope(base)
    S1, Sp, C = sigma_f_scan(base, [0.0, 1e-3], alpha=alpha, regularizer=name)
    assert C[0] < 1e-8  # B7 at sigma_f = 0
    # Finite difference at sigma_f = 1e-3: O(sigma_f) relative correction ~3e-4.
    assert abs(C[1] / 1e-3 / b0 - 1) < 2e-3


def test_linear_response_slope_mean_square():
    # E b0^2 = tr E[W^-1] = (d-1)/(N-d-1) (centred Wishart, N-1 dof); 100 draws, 4 SE.
    n, d = 100, 60
    vals = [linear_response_slope(binary_signal_noise(n, d, sigma_f=0.0, seed=s)) ** 2
            for s in range(100)]
    assert abs(np.mean(vals) - (d - 1) / (n - d - 1)) < 4 * np.std(vals) / math.sqrt(100)


def test_b12_evaluation_and_weight_decay_negative_control():
    grid = np.array([0.0, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2])
    # The check's size: "small sigma_f" (<= 0.2) is relative to the O(sigma_f^2) term,
    # whose sample part grows as N - d shrinks (at N - d = 45, R^2 drops to ~0.998).
    base = binary_signal_noise(300, 210, sigma_f=0.0, seed=10)
    b0 = linear_response_slope(base)
    assert evaluate_b12(grid, *sigma_f_scan(base, grid), b0)["ok"]
    # Weight decay: S_perp != 0 already at sigma_f = 0 (B7/B13), so C(0) > 0 and C is
    # not b0 * sigma_f.
    bad = evaluate_b12(grid, *sigma_f_scan(base, grid, solver=_wd), b0)
    assert not bad["ok"] and bad["C(0)"] > 1e-2


def test_check_b12_runs_passes_and_fails_for_weight_decay(tmp_path):
    res = check_b12()
    assert res.passed, res.evidence
    data = res.data["B12_sigma_f"]
    assert len(data["scans"]) == 4 and data["sigma_fs"][0] == 0.0
    draw_claim_figures(res, tmp_path)
    assert (tmp_path / "B12_sigma_f.png").stat().st_size > 0
    assert not check_b12(solver=_wd).passed


def test_limit_alphas_are_decreasing():
    assert all(a > b for a, b in zip(LIMIT_ALPHAS, LIMIT_ALPHAS[1:]))
