r"""Machine-checked proof steps of claims B3, B4, B5, B9 (Eq. 4 -> 5) and B13.

Each proof must be established, and each has a negative control: the same prover fed a
false statement (a wrong exponent, a dropped hypothesis, a wrong direction or formula)
must *not* establish it, so a vacuous prover is caught.

Tolerances: 50-digit evaluations of O(1) quantities agree to ~1e-50; the checks accept
1e-40 (ten digits of headroom for quadrature and LU round-off). Controls must miss by an
O(1e-3..1) amount, far above any round-off.
"""

import mpmath
import pytest
import sympy as sp

from logitreg.collect import registry
from proofs_check import cv_minimisation as cv
from proofs_check import fisher, invariance, tikhonov
from theory import ALPHA, T, derive_binary, to_elementary

#: 50-digit evaluation of O(1) quantities: round-off ~1e-50, quadrature ~1e-50.
MP_ATOL = 1e-40
#: A negative control must miss by far more than any round-off.
CONTROL_GAP = 1e-4


@pytest.mark.parametrize("claim", ["B3", "B4", "B5", "B9", "B13"])
def test_claim_is_registered(claim):
    assert claim in registry()


# ----------------------------------------------------------------------------- B3

def test_b3_stein_symbolic():
    for name, proof in cv.stein_symbolic().items():
        assert proof.proved and proof[2] < MP_ATOL, (name, proof)


@pytest.mark.parametrize("name", ["quadratic", "label_smoothing", "maxsup",
                                  "confidence_penalty"])
def test_b3_stein_numeric_for_each_builtin(name):
    assert cv.stein_numeric(name, "0.3", 0.7, 1.3) < MP_ATOL


def test_b3_stein_control_dropping_the_dirac_term_fails():
    # MaxSup's l' jumps by alpha at t = 0: without alpha*phi(y0) Stein is off by ~0.1.
    assert cv.stein_numeric("maxsup", "0.3", 0.7, 1.3, include_jumps=False) > CONTROL_GAP


def test_b3_derivative_identity_symbolic_and_wrong_power_fails():
    assert cv.derivative_identity_symbolic().proved
    assert not cv.derivative_identity_symbolic(power=1).proved
    assert not cv.derivative_identity_symbolic(power=3).proved


def test_b3_growth_certificate():
    assert cv.growth_degree(derive_binary("quadratic").dloss) == 1
    assert cv.growth_degree(derive_binary("label_smoothing").dloss) == 0
    assert cv.growth_degree(sp.exp(T**2)) is None  # control: no polynomial bound


def test_b3_derivative_identity_numeric_50_digits():
    res = cv.derivative_identity_numeric("quadratic", "0.2", "0.5")
    assert res["rel_err"] < 1e-35 and res["stationarity"] < MP_ATOL
    assert res["dQ/dr"] > 0 and res["E[l'']"] > 0
    # Control: r mu* E[l''] (mu* not squared) is not dQ/dr.
    assert abs(res["dQ/dr"] - res["rhs"] / res["mu*"]) > CONTROL_GAP


def test_b3_mu_star_matches_b5_for_a_quadratic_loss():
    # For l(t) = (t - a)^2 the inner minimiser is mu* = a/(1 + r^2) (claim B5): an
    # independent check of the Newton solver used for Q(r).
    a, r = mpmath.mpf(2), mpmath.mpf("0.5")
    with mpmath.workdps(50):
        mu = cv._newton_mu(lambda t: 2 * (t - a), lambda t: mpmath.mpf(2), r, mpmath.mpf(1))
        assert abs(mu - a / (1 + r**2)) < MP_ATOL


def test_b3_lemma_c1_symbolic_and_control():
    assert cv.lemma_c1_symbolic().proved
    assert not cv.lemma_c1_symbolic(zero_mean=False).proved


def test_b3_lemma_c1_numeric_and_controls():
    lambdas = [k / 8 for k in range(1, 25)]
    for seed in range(3):
        g, dg = cv.random_convex(seed)
        atoms, probs = cv.random_zero_mean(100 + seed)
        res = cv.lemma_c1_numeric(g, dg, atoms, probs, lambdas)
        assert abs(res["mean"]) < MP_ATOL
        assert res["min increment"] >= 0 and res["min E[X g'(lX)]"] >= 0, res
    atoms, probs = cv.random_zero_mean(7)
    concave = cv.lemma_c1_numeric(lambda s: -s**2, lambda s: -2 * s, atoms, probs, lambdas)
    assert concave["min increment"] < -CONTROL_GAP  # control: g not convex
    shifted = cv.lemma_c1_numeric(mpmath.exp, mpmath.exp, [-1, -2], ["0.5", "0.5"], lambdas)
    assert shifted["min increment"] < -CONTROL_GAP  # control: E[X] != 0


def test_b3_check_passes():
    result = cv.check_b3()
    assert result.passed, result.evidence


# ----------------------------------------------------------------------------- B4

def test_b4_sherman_morrison_any_dimension():
    assert fisher.sherman_morrison_general().proved


def test_b4_normal_equations_symbolic_and_control():
    assert fisher.normal_equations_symbolic(3, 2).proved
    assert fisher.normal_equations_symbolic(5, 3, rational_seed=3).proved
    assert not fisher.normal_equations_symbolic(3, 2, direction="mean").proved


def test_b4_needs_more_samples_than_dimensions():
    assert fisher.singular_when_n_le_d(2, 2)
    assert not fisher.singular_when_n_le_d(3, 2)  # control: N > d is non-singular


def test_b4_population_direction_and_control():
    assert fisher.population_fld_symbolic(2).proved
    assert not fisher.population_fld_symbolic(2, direction="mean").proved


def test_b4_numeric_residuals_and_non_quadratic_control():
    U = fisher.random_data(11)
    for t_star in ("1", "-0.3"):
        assert fisher.fld_direction_numeric(U, t_star, a=2) < MP_ATOL
    ts = mpmath.mpf("0.6")
    assert fisher.fld_residual(lambda t: 2 * (t - ts), U) < MP_ATOL
    # Control 1: the paper's loss (CE + quadratic regulariser) is not quadratic: its
    # minimiser is not exactly on the FLD line for finite data.
    dloss = derive_binary("quadratic").dloss.subs(ALPHA, sp.Rational(3, 10))
    dl = sp.lambdify(T, to_elementary(dloss), "mpmath")
    assert fisher.fld_residual(dl, U) > CONTROL_GAP
    # Control 2: the quadratic loss but the wrong direction (the mean, i.e. Sigma = I).
    w = [sum(U[i, j] for i in range(U.rows)) for j in range(U.cols)]
    assert fisher.fld_residual(lambda t: 2 * (t - ts), U, direction=w) > CONTROL_GAP


def test_b4_check_passes():
    result = fisher.check_b4()
    assert result.passed, result.evidence


# ----------------------------------------------------------------------------- B5

def test_b5_symbolic_and_wrong_minimum_control():
    out = fisher.quadratic_explicit()
    assert all(out.values()), out
    wrong = fisher.quadratic_explicit(claimed_min=lambda a, r: a**2 / (1 + r**2))
    assert not wrong["min loss = a^2/(1+1/r^2) = a^2 r^2/(1+r^2)"]


def test_b5_numeric_and_check():
    res = fisher.quadratic_explicit_numeric(5)
    assert res["g*"] < MP_ATOL and res["min loss"] < MP_ATOL
    result = fisher.check_b5()
    assert result.passed, result.evidence


# ----------------------------------------------------------------------------- B9

def test_b9_sigma_n_cancels_and_wrong_law_does_not():
    proof = invariance.cancellation()
    assert proof.proved and proof[2] < MP_ATOL
    s, c = invariance.SIGMA_N, invariance.C
    for wrong in (1 / sp.sqrt(1 + c / s), 1 / sp.sqrt(1 + (c * s) ** 2)):
        control = invariance.cancellation(wrong)
        assert not control.proved and control[2] > CONTROL_GAP


def test_b9_eq5_and_check():
    assert invariance.eq5_from_gaussian()
    result = invariance.check_b9()
    assert result.passed, result.evidence


# ----------------------------------------------------------------------------- B13

@pytest.mark.parametrize("n, d", [(3, 2), (2, 3)])
def test_b13_tikhonov_identity(n, d):
    proof = tikhonov.tikhonov_identity(n, d)
    assert proof.proved and proof[2] < MP_ATOL


def test_b13_controls_centred_covariance_and_missing_normalisation():
    centred = tikhonov.tikhonov_identity(3, 2, covariance="centred")
    assert not centred.proved and centred[2] > CONTROL_GAP
    unnormalised = tikhonov.tikhonov_identity(3, 2, normalise=False)
    assert not unnormalised.proved and unnormalised[2] > CONTROL_GAP


def test_b13_multiclass_numeric_and_check():
    assert tikhonov.multiclass_identity(3, 2, 2)
    assert tikhonov.tikhonov_numeric(3) < 1e-45
    result = tikhonov.check_b13()
    assert result.passed, result.evidence
