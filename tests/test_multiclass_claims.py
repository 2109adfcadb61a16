"""Multiclass claims M1, M3, M4, M6: building blocks, the checks, and negative controls."""

import mpmath
import numpy as np
import pytest

from numerics import compile_multiclass
from numerics.models.multiclass import multiclass_signal_noise
from numerics.claims import multiclass as mc
from numerics.claims import multiclass_targets as mt
from numerics.solve.multiclass import minimize_multiclass


# ----------------------------------------------------------------------------------- M1
@pytest.mark.parametrize("name", mt.M1_NAMES)
@pytest.mark.parametrize("k", [3, 5])
def test_m1_direct_minimiser_is_simplex_target(name, k):
    r = mt.m1_case(name, k, 0.3, starts=2, seed=k)
    assert r["rel_err"] <= 1e-12
    assert r["grad_norm"] < 1e-25
    if name == "quadratic":
        assert abs(r["quadratic_sum"]) <= 1e-12
    if name == "maxsup":
        assert r["strict_max"] and r["subgradient_norm"] < 1e-25
        assert r["min_loss_increase"] >= 0.0


def test_m1_solver_is_independent_of_start():
    """Two very different asymmetric starts give the same 40-digit point."""
    z1, g1, _ = mt.mp_minimize_sample_loss("quadratic", 4, 0.2, [3.0, -1.0, 0.5, 2.0])
    z2, g2, _ = mt.mp_minimize_sample_loss("quadratic", 4, 0.2, [-2.0, 4.0, -3.0, 0.1])
    with mpmath.workdps(40):
        assert max(abs(a - b) for a, b in zip(z1, z2)) < mpmath.mpf("1e-30")
    assert g1 < 1e-30 and g2 < 1e-30


def test_m1_negative_control_wrong_point_is_rejected():
    """The MaxSup certificate fails away from the target (nonzero subgradient, a
    perturbation decreases the loss), and the targets of another alpha do not match."""
    k, a = 4, 0.2
    qh, ql = compile_multiclass("maxsup", k).targets(a)
    z = [float(qh) * 1.1] + [float(ql)] * (k - 1)
    cert = mt.maxsup_certificate(k, a, z, perturbations=80)
    assert cert["subgradient_norm"] > 1e-3
    assert cert["min_loss_increase"] < 0.0
    other = mt.m1_case("quadratic", k, 0.2, starts=1)
    qh2, _ = compile_multiclass("quadratic", k).targets(0.25)
    assert abs(other["q_high"] - float(qh2)) / abs(float(qh2)) > 1e-3


# ----------------------------------------------------------------------------------- M3
def test_m3_scaling_exact_and_predictions_identical():
    ds = multiclass_signal_noise(150, 12, 4, sigma_f=0.5, sigma_n=1.0, seed=3)
    r = mc.scaling_error(ds.X, ds.y, n_classes=4)
    assert r["rel_err"] <= 1e-12 and r["predictions_identical"]


def test_m3_negative_control_cross_entropy_not_linear_in_target():
    ds = multiclass_signal_noise(150, 12, 4, sigma_f=0.5, sigma_n=1.0, seed=3)
    assert mc.ce_scaling_error(ds.X, ds.y) > 1e-3


# ----------------------------------------------------------------------------------- M4
def test_m4_fisher_subspace_synthetic_and_wine():
    ds = multiclass_signal_noise(300, 10, 4, sigma_f=0.7, sigma_n=1.3, seed=5)
    A = np.diag(np.linspace(0.5, 2.0, 10)) + 0.1 * np.random.default_rng(5).standard_normal((10, 10))
    r = mc.fisher_cosines(ds.X @ A.T, ds.y, 4, with_lda=True)
    assert min(r["cos_eigh"], r["cos_lda"]) >= 1 - 1e-10
    X, y = mc._standardised_wine()
    w = mc.fisher_cosines(X, y, 3, with_lda=True)
    assert min(w["cos_eigh"], w["cos_lda"]) >= 1 - 1e-10


def test_m4_negative_control_regularised_ce_not_fisher():
    X, y = mc._standardised_wine()
    sol = minimize_multiclass(X, y, "quadratic", 0.2, n_classes=3)
    rows = np.linalg.svd(mc.class_centred(sol.coef).T, full_matrices=False)[0][:, :2]
    assert mc.min_cosine(rows, mc.fisher_subspace(X, y, 3)) < 1 - 1e-6


def test_m4_fisher_subspace_helper_matches_sklearn():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    X, y = mc._standardised_wine()
    lda = LinearDiscriminantAnalysis(solver="eigen").fit(X, y)
    assert mc.min_cosine(mc.fisher_subspace(X, y, 3), lda.scalings_[:, :2]) >= 1 - 1e-10


# ----------------------------------------------------------------------------------- M6
def test_m6_sigma_n_invariance_and_ridge_control():
    ds = multiclass_signal_noise(150, 20, 3, sigma_f=0.6, sigma_n=1.0, seed=7)
    test = ds.fresh(500, seed=8)
    diff, same = mc.logit_spread(mc.sigma_n_logits(ds, test, (0.5, 1.0, 3.0)))
    assert diff < 1e-7 and same
    rdiff, _ = mc.logit_spread(mc.sigma_n_logits(ds, test, (0.5, 1.0, 3.0),
                                                 solver=mc.ridge_solver()))
    assert rdiff > 1e-3


# ----------------------------------------------------------------------------- checks
@pytest.mark.parametrize("check", [mc.check_m3, mc.check_m4, mc.check_m6])
def test_fast_checks_pass(check):
    r = check()
    assert r.passed, r.evidence
    assert r.tolerance and r.evidence


def test_m1_check_passes():
    r = mt.check_m1()
    assert r.passed, r.evidence
    assert r.evidence["cases (f, K, alpha)"] == 27
