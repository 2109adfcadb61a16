"""Claims M2 (simplex clustering) and M5 (multiclass threshold shift, Prop. D.2)."""

import numpy as np
import pytest
from scipy import optimize, special

from numerics import compile_multiclass
from numerics.claims import multiclass_geometry as mg
from numerics.claims import multiclass_threshold as mt
from core.errors import InvalidParameterError

from tests.tolerances import assert_close


# ----------------------------------------------------------------------------------- M2
def test_clustering_ratio_exact_cases():
    k = 3
    V = np.eye(k) * 2.0
    y = np.array([0, 0, 1, 1, 2, 2])
    r = mg.clustering_ratio(V[y], y, k)
    assert r["ratio"] == 0.0
    assert_close(r["centroid_distance"], 2 * np.sqrt(2), rtol=1e-15, what="vertex distance")
    # shifting every logit vector by a constant changes nothing (softmax-invariant)
    Z = V[y] + np.array([[0.1, 0, 0], [-0.1, 0, 0], [0, 0.1, 0], [0, -0.1, 0],
                         [0, 0, 0.1], [0, 0, -0.1]])
    r2 = mg.clustering_ratio(Z + 5.0, y, k)
    # each point is 0.1 e_c (centred: norm 0.1 sqrt(2/3)) from its centroid
    assert_close(r2["spread"], 0.1 * np.sqrt(2 / 3), rtol=1e-12, what="spread")


def test_m2_separates_alpha_small_setting():
    runs = mg.m2_runs(60, 42, 3, sigma_f=0.1, sigma_n=1.0, alpha=0.2, seed=1)
    y = runs["data"].y
    reg = mg.clustering_ratio(runs["reg"], y, 3)["ratio"]
    svm = mg.clustering_ratio(runs["svm"], y, 3)["ratio"]
    assert reg < 0.25 and svm > 2 * reg


def test_vertex_targets_are_the_compiled_simplex():
    Z = mg.vertex_targets("quadratic", 5, 0.2)
    qh, ql = compile_multiclass("quadratic", 5).targets(0.2)
    assert Z[2, 2] == qh and Z[0, 2] == ql
    assert_close(Z.sum(axis=0), 0.0, rtol=0, atol=1e-14, what="q_high + (K-1) q_low")
    P = mg.simplex_projection(5)
    assert_close(np.linalg.norm(P, axis=0), 1.0, rtol=1e-15, what="K-gon")


# ----------------------------------------------------------------------------------- M5
@pytest.mark.parametrize("reg, alpha", [("quadratic", 0.2), ("label_smoothing", 0.1)])
def test_prop_d2_signal_block(reg, alpha):
    r = mt.signal_block_errors(40, 12, 3, reg, alpha, seed=5, n_test=500)
    assert r["block_err"] <= 1e-8 and r["perp"] <= 1e-10
    assert r["test_logit_err"] <= 1e-8 and r["test_accuracy"] == 1.0


def test_prop_d2_against_an_independent_optimiser():
    """L-BFGS on the explicit quadratic-f loss (scipy's logsumexp, not our compiled
    functions) lands on Z* M^-1 as well."""
    k, alpha = 3, 0.2
    ds = mt._draw(30, 8, k, 2)
    Xa = np.column_stack([np.ones(ds.n), ds.X])
    Y = np.eye(k)[ds.y]

    def f(w):
        Z = Xa @ w.reshape(k, -1).T
        lse = special.logsumexp(Z, axis=1)
        val = np.mean((1 - alpha) * (lse - np.sum(Z * Y, axis=1)) + alpha * np.sum(Z * Z, 1))
        G = (1 - alpha) * (special.softmax(Z, axis=1) - Y) + 2 * alpha * Z
        return val, (G.T @ Xa / ds.n).ravel()

    res = optimize.minimize(f, np.zeros(k * Xa.shape[1]), jac=True, method="L-BFGS-B",
                            options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 5000})
    W = res.x.reshape(k, -1)
    ref = mt.signal_block_solution(ds.means, "quadratic", k, alpha)
    assert_close(W[:, : k], ref, rtol=1e-5, atol=1e-6, what="[b, W_S] vs Z* M^-1 (L-BFGS)")
    assert np.linalg.norm(W[:, k:]) <= 1e-5


def test_regularised_step_at_d_plus_one():
    d = 10
    assert not mt.regularised_perfect(mt._draw(d, d, 3, 1))
    assert mt.regularised_perfect(mt._draw(d + 1, d, 3, 1))


@pytest.mark.parametrize("n, expected", [(15, False), (48, True)])
def test_svm_verdict_matches_kkt_lp(n, expected):
    ds = mt._draw(n, 12, 3, 4)
    assert mt.svm_perfect(ds) == expected
    assert mt.kkt_lp_perfect(ds) == expected


def test_critical_ratio_interpolates():
    assert mt.critical_ratio([1, 2, 3], [0, 2, 4], 4) == pytest.approx(2.0)
    assert mt.critical_ratio([1, 2, 3], [0, 1, 3], 4) == pytest.approx(2.5)
    assert mt.critical_ratio([1, 2], [0, 0], 4) == float("inf")


def test_perp_ratio_ignores_common_rows():
    W = np.zeros((3, 5))
    W[:, :2] = np.random.default_rng(0).normal(size=(3, 2))
    W[:, 2:] = 7.0  # equal rows: no effect on predictions
    assert mt.perp_ratio(W, 3) == 0.0


# ---------------------------------------------------------------------------- bad input
def test_bad_input():
    y = np.array([0, 1, 1])
    with pytest.raises(InvalidParameterError, match=r"\(3, 3\)"):
        mg.clustering_ratio(np.zeros((3, 2)), y, 3)
    with pytest.raises(InvalidParameterError, match="counts"):
        mg.clustering_ratio(np.zeros((3, 3)), y, 3)
    with pytest.raises(InvalidParameterError, match="0.0"):
        mg.vertex_targets("quadratic", 3, 0.0)
    with pytest.raises(InvalidParameterError, match="N=1"):
        mt._draw(1, 5, 3, 0)
