"""Claims B1 (logit clustering) and B11 (train vs test spread): building blocks, the
derived laws at small sizes, and negative controls."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.claims.clustering import CONVEX_BUILTINS, blas_single_thread, check_b1, clustering_at_minimum, ce_identity_error, evaluate_growth, logit_floor, unregularised_growth
from numerics.claims.train_test_spread import check_b11, chi2_band, evaluate_b11, fresh_logit_variance, spread_rows, train_spread_linear_response
from numerics.figures.claim_figures import draw_claim_figures
from numerics.solve.binary import minimize_binary
from numerics.solve.weight_decay import minimize_weight_decay


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Small factorisations on a shared 2-core machine: threads only oversubscribe.
    with blas_single_thread():
        yield


def test_convex_builtins_exclude_confidence_penalty():
    assert set(CONVEX_BUILTINS) == {"quadratic", "label_smoothing", "maxsup"}


def test_logit_floor_is_the_projection_distance():
    rng = np.random.default_rng(0)
    U = rng.normal(size=(40, 7)) + 0.5
    r, p1 = logit_floor(U)
    coef = np.linalg.lstsq(U, np.ones(40), rcond=None)[0]
    # Two least-squares routes (QR vs SVD) agree to ~1e-15 * cond(U) ~ 1e-14.
    np.testing.assert_allclose(p1, U @ coef, atol=1e-12)
    assert abs(r - np.linalg.norm(np.ones(40) - U @ coef) / math.sqrt(40)) < 1e-12


def test_floor_matches_its_asymptotic_mean():
    # E r^2 ~ (1 - (d-1)/(N-1)) sigma_f^2/(mu_f^2 + sigma_f^2): Monte Carlo over 60 draws;
    # per-draw SD of r^2 ~ 0.01 here, so 4 SE ~ 0.005, plus O(1/N) bias of the formula.
    n, d = 200, 140
    r2 = [logit_floor(binary_signal_noise(n, d, sigma_f=0.5, seed=s).u)[0] ** 2
          for s in range(60)]
    pred = (1 - (d - 1) / (n - 1)) * 0.25 / 1.25
    assert abs(np.mean(r2) - pred) < 4 * np.std(r2) / math.sqrt(60) + 2.0 / n


@given(name=st.sampled_from(CONVEX_BUILTINS), alpha=st.floats(0.05, 0.45),
       d=st.integers(3, 12), extra=st.integers(5, 30), seed=st.integers(0, 2**31 - 1))
@settings(max_examples=12)
def test_b1_sandwich_holds_at_the_exact_minimiser(name, alpha, d, extra, seed):
    """1 <= kappa <= kappa_max is a theorem at the minimiser (module docstring)."""
    ds = binary_signal_noise(d + extra, d, sigma_f=0.7, seed=seed)
    c = clustering_at_minimum(ds.u, name, alpha)
    assert c.clustered, c
    assert abs(c.target - compile_binary(name).target(alpha)) == 0.0


@given(alpha=st.floats(0.02, 0.9), seed=st.integers(0, 2**31 - 1))
@settings(max_examples=8)
def test_quadratic_bound_is_below_the_data_free_bound(alpha, seed):
    # l'' in [2 alpha, 2 alpha + (1 - alpha)/4] for f = t^2, so the computed kappa_max can
    # not exceed sqrt(M/m) (to rounding of the loss sums, ~1e-12 relative).
    ds = binary_signal_noise(80, 30, sigma_f=0.5, seed=seed)
    c = clustering_at_minimum(ds.u, "quadratic", alpha)
    assert c.kappa_max <= math.sqrt(1 + (1 - alpha) / (8 * alpha)) * (1 + 1e-9)


def test_b1_negative_control_solver_ignoring_alpha():
    ds = binary_signal_noise(120, 80, sigma_f=0.5, seed=4)

    def wrong(U, name, alpha):  # answers for alpha = 0.01 whatever is asked
        return minimize_binary(U, name, 0.01).coef

    assert clustering_at_minimum(ds.u, "quadratic", 0.4).clustered
    bad = clustering_at_minimum(ds.u, "quadratic", 0.4, solver=wrong)
    assert not bad.clustered and bad.kappa > 3 * bad.kappa_max


def test_b1_negative_control_weight_decay():
    # Weight decay has no target: its logits do not sit at t*(alpha) for the alpha named.
    ds = binary_signal_noise(120, 80, sigma_f=0.5, seed=5)
    bad = clustering_at_minimum(ds.u, "label_smoothing", 0.2,
                                solver=lambda U, name, a: minimize_weight_decay(U, 0.2).coef)
    assert not bad.clustered


def test_alpha_zero_is_plain_cross_entropy():
    # logaddexp and the compiled softplus are both correctly rounded primitives.
    assert ce_identity_error("quadratic") < 1e-13
    assert ce_identity_error("label_smoothing") < 1e-13


def test_b1_unregularised_growth_and_negative_control():
    ds = binary_signal_noise(60, 42, sigma_f=0.5, seed=3)  # lambda = 0.7: separable
    ev = evaluate_growth(unregularised_growth(ds.u, epochs=5000))
    assert ev["grows like log k"] and ev["min logit -> infinity"] and ev["logits spread"]
    # alpha > 0 in the same GD: |S_k| saturates at the regularised minimiser.
    bad = evaluate_growth(unregularised_growth(ds.u, epochs=5000, alpha=0.2, lr=0.5))
    assert not bad["grows like log k"] and not bad["min logit -> infinity"]
    assert abs(bad["log-fit slope"]) < 0.01


def test_growth_rejects_unstable_step():
    ds = binary_signal_noise(60, 42, sigma_f=0.5, seed=3)
    with pytest.raises(ValueError, match="unstable"):
        unregularised_growth(ds.u, epochs=10, lr=50.0)


# ------------------------------------------------------------------------------ B11
def test_chi2_band_brackets_one_and_shrinks():
    lo, hi = chi2_band(1000, 1e-3)
    lo2, hi2 = chi2_band(100_000, 1e-3)
    assert lo < 1 < hi and lo < lo2 < 1 < hi2 < hi


def test_test_variance_formula_for_an_arbitrary_weight():
    # The formula is a property of fresh Gaussian data, true for any S (here not a
    # minimiser): exact chi^2 band at level 1e-4.
    ds = binary_signal_noise(10, 6, sigma_f=0.7, sigma_n=1.3, seed=7)
    S = np.array([0.8, -0.3, 0.2, 0.0, 0.5, -0.1])
    var, mean = fresh_logit_variance(ds, S, 40_000, seed=8)
    pred = 0.7**2 * S[0] ** 2 + 1.3**2 * float(S[1:] @ S[1:])
    lo, hi = chi2_band(40_000, 1e-4)
    assert lo <= var / pred <= hi
    assert abs(mean - S[0]) < 5 * math.sqrt(pred / 40_000)  # mean = S1 mu_f, 5 SE


def test_b11_rows_pass_and_training_logits_fail_the_test_formula():
    rows = spread_rows(150, 105, [0.2], n_seeds=2, seed=3, m_test=20_000)
    ev = evaluate_b11(rows, m_test=20_000, n=150, d=105)
    assert ev["variance formula"] and ev["train < sigma_f S1 < test"]
    # Negative control: the *training* logits are not fresh draws; their variance is
    # ~(1-lambda) of sigma_f^2 S1^2, far outside the chi^2 band of the test formula.
    fake = [dict(r, test_var=r["train_std"] ** 2) for r in rows]
    assert not evaluate_b11(fake, m_test=20_000, n=150, d=105)["variance formula"]


@pytest.mark.parametrize("name,alpha", [("quadratic", 0.05), ("quadratic", 0.4),
                                        ("label_smoothing", 0.2), ("maxsup", 0.2)])
def test_train_spread_linear_response(name, alpha):
    """std_train/(sigma_f S1) -> ||(I-P_U0) z||/sqrt(N) as sigma_f -> 0, any alpha, any f."""
    base = binary_signal_noise(200, 140, sigma_f=0.0, seed=11)
    pred = train_spread_linear_response(base)
    ds = base.rescaled(sigma_f=0.05)
    S = minimize_binary(ds.u, name, alpha).coef
    ratio = float(np.std(ds.u @ S)) / (0.05 * S[0])
    # O(sigma_f^2) correction: coefficient <= ~0.7 at lambda=0.7 (measured), so <= 0.2%
    # at sigma_f = 0.05; 1% leaves room for the kink of maxsup and small alpha.
    assert abs(ratio / pred - 1) < 0.01


def test_linear_response_mean_square_is_one_minus_lambda():
    # E ||(I-P)z||^2 = N - d exactly (P a rank-d projection independent of z); 80 draws,
    # 4 standard errors.
    n, d = 120, 84
    vals = [train_spread_linear_response(binary_signal_noise(n, d, sigma_f=0.0, seed=s)) ** 2
            for s in range(80)]
    assert abs(np.mean(vals) - (n - d) / n) < 4 * np.std(vals) / math.sqrt(80)


def test_weight_decay_does_not_follow_the_linear_response_law():
    # Negative control at lambda = 0.9: logit regularisation squeezes the training spread
    # to ~sqrt(0.1) = 0.32 sigma_f S1; weight decay leaves it near sigma_f S1.
    ds = binary_signal_noise(150, 135, sigma_f=0.5, seed=12)
    S = minimize_binary(ds.u, "quadratic", 0.2).coef
    W = minimize_weight_decay(ds.u, 0.2).coef
    reg = float(np.std(ds.u @ S)) / (0.5 * S[0])
    wd = float(np.std(ds.u @ W)) / (0.5 * W[0])
    assert reg < 0.45 and wd > 0.6


def test_check_b11_runs_passes_and_its_report_figure_draws(tmp_path):
    res = check_b11()
    assert res.passed, res.evidence
    data = res.data["B11_train_test_spread"]
    assert len(data["rows"]) == 4 * 3  # draws x alphas of the default size
    assert len(data["scan"]["mean"]) == len(data["scan"]["lambda"]) == 5
    assert draw_claim_figures(res, tmp_path) == [str(tmp_path / "B11_train_test_spread.png")]
    assert (tmp_path / "B11_train_test_spread.png").stat().st_size > 0


def test_check_b1_runs_passes_and_its_report_figure_draws(tmp_path):
    res = check_b1()
    assert res.passed, res.evidence
    data = res.data["B1_logit_clustering"]
    assert set(data["histograms"]) == set(CONVEX_BUILTINS)
    for h in data["histograms"].values():  # the data drawn are the clustered logits
        assert abs(np.mean(h["logits"]) / h["target"] - 1) < 0.1
    draw_claim_figures(res, tmp_path)
    assert (tmp_path / "B1_logit_clustering.png").stat().st_size > 0
