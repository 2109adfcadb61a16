"""Claim G2: MaxSup vs label smoothing -- property tests of the identities, symbolic
checks (with negative controls), registry targets and the exact kinked minimiser."""

import functools
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, strategies as st

import theory
from numerics.compile.compiled import compile_binary, compile_multiclass, lambdify_numpy
from numerics.models.signal_noise import binary_signal_noise
from numerics.claims import maxsup as maxsup_numeric
from numerics.solve.binary import minimize_binary
from proofs_check import maxsup
from tests.tolerances import assert_close

#: Identities evaluated in float64 on logits |z| <= 30: sums of <= 12 terms of size <= 60
#: carry rounding ~1e-14; the acceptance bound of check G2 is 1e-12.
IDENTITY_ATOL = 1e-12


@st.composite
def logits_with_ties(draw):
    """K in [2, 12], logits drawn from a coarse grid (many ties) or bounded floats, the
    ground-truth index, alpha in [0, 1]."""
    k = draw(st.integers(2, 12))
    coarse = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    fine = st.floats(-30, 30, allow_nan=False, allow_infinity=False)
    z = np.array(draw(st.lists(st.one_of(coarse, fine), min_size=k, max_size=k)))
    gt = draw(st.integers(0, k - 1))
    alpha = draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)))
    return z, gt, alpha


def _numpy_terms(z, gt, alpha):
    """Direct NumPy evaluation (independent of the SymPy module)."""
    k = z.size
    m = z.max()
    lse = m + math.log(np.sum(np.exp(z - m)))
    s = np.full(k, alpha / k)
    s[gt] += 1 - alpha
    ls_loss = -np.sum(s * (z - lse))
    ce = lse - z[gt]
    diff = z[gt] - np.delete(z, gt)
    return {"ls_extra_direct": ls_loss - ce, "ls_extra": alpha * (z[gt] - z.mean()),
            "reg": alpha / k * np.sum(np.maximum(diff, 0)),
            "amp": alpha / k * np.sum(np.minimum(diff, 0)),
            "maxsup": alpha * (z.max() - z.mean())}


@given(logits_with_ties())
@example((np.array([1.0, 1.0, 1.0]), 1, 0.5))       # all tied
@example((np.array([3.0, -2.0]), 1, 1.0))            # K=2, misclassified, alpha=1
def test_g2_identities_hold_to_1e12(case):
    z, gt, alpha = case
    v = _numpy_terms(z, gt, alpha)
    assert abs(v["ls_extra_direct"] - v["ls_extra"]) <= IDENTITY_ATOL
    assert abs(v["reg"] + v["amp"] - v["ls_extra"]) <= IDENTITY_ATOL
    assert v["reg"] >= 0.0 and v["amp"] <= 0.0
    if alpha > 0:
        # Exact in floating point: every term min(z_gt - z_m, 0) is 0 iff z_gt is a max.
        assert (v["amp"] == 0.0) == (z[gt] == z.max()) or alpha / z.size * \
            abs(np.min(z[gt] - z)) < 1e-300
    assert v["maxsup"] >= v["ls_extra"] - IDENTITY_ATOL
    assert abs(v["maxsup"] - v["ls_extra"] - alpha * (z.max() - z[gt])) <= IDENTITY_ATOL


@functools.lru_cache(maxsize=16)
def _compiled_terms(k):
    e = maxsup.extra_terms(k)
    args = (*e["z"], theory.ALPHA)
    return {name: lambdify_numpy(args, e[name])
            for name in ("ls_loss", "ce", "ls_extra", "regularisation", "amplification",
                         "maxsup_extra")}


@given(logits_with_ties())
def test_symbolic_terms_match_direct_numbers(case):
    z, gt, alpha = case
    zz = z.copy()
    zz[[0, gt]] = zz[[gt, 0]]  # the symbolic module has the ground truth at index 0
    f = _compiled_terms(z.size)
    v = _numpy_terms(z, gt, alpha)
    assert abs(f["ls_loss"](*zz, alpha) - f["ce"](*zz, alpha) - v["ls_extra"]) <= IDENTITY_ATOL
    assert abs(f["regularisation"](*zz, alpha) - v["reg"]) <= IDENTITY_ATOL
    assert abs(f["amplification"](*zz, alpha) - v["amp"]) <= IDENTITY_ATOL
    assert abs(f["maxsup_extra"](*zz, alpha) - v["maxsup"]) <= IDENTITY_ATOL


@given(st.integers(2, 12), st.floats(0.01, 1), st.integers(0, 2**31 - 1))
def test_extra_term_gradients_match_related_signs(k, alpha, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=k) * 3
    top = int(np.argmax(z))
    z[top] += 1.0  # unique maximum by a clear gap (MaxSup differentiable there)
    h = 1e-6

    def fd(fn, j):
        e = np.zeros(k)
        e[j] = h
        return (fn(z + e) - fn(z - e)) / (2 * h)

    # Finite differences of linear/piecewise-linear functions: rounding only,
    # ~eps*|z|/h ~ 1e-9.
    for gt in range(k):
        ls = lambda x: alpha * (x[gt] - x.mean())
        ms = lambda x: alpha * (x.max() - x.mean())
        d_ls, d_ms = fd(ls, gt), fd(ms, gt)
        assert_close(d_ls, alpha * (1 - 1 / k), rtol=0, atol=1e-7, what="LS on z_gt")
        assert d_ls > 0  # LS's extra term always pushes z_gt down
        if gt == top:      # correctly classified: identical
            assert_close(d_ms, d_ls, rtol=0, atol=1e-7)
        else:              # misclassified: MaxSup pushes z_gt up, the wrong top down
            assert_close(d_ms, -alpha / k, rtol=0, atol=1e-7)
            assert d_ms < 0 and fd(ms, top) > 0


def test_symbolic_check_passes_and_facts_hold():
    assert maxsup.split_lemma()
    assert maxsup.split_identity(5)
    assert all(maxsup.sign_facts(5).values())
    g = maxsup.gradient_facts(4)
    assert g["misclassified"]["d LS / d z_gt"] == 3 * sp.Symbol("alpha", positive=True) / 4
    assert g["misclassified"]["MaxSup pushes z_gt up"]
    result = maxsup.check_g2_symbolic()
    assert result.passed, result.evidence


def test_sign_facts_negative_control(monkeypatch):
    """A wrong split (amplification with the sign flipped) must fail the sign facts."""
    good = maxsup.extra_terms(3)
    bad = dict(good, amplification=-good["amplification"])
    monkeypatch.setattr(maxsup, "extra_terms", lambda k: bad)
    facts = maxsup.sign_facts(3)
    assert not facts["amplification <= 0"]
    assert not all(facts.values())


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.45])
def test_registry_targets_equal_hand_derivation(alpha):
    assert_close(compile_binary("maxsup").target(alpha), maxsup_numeric.maxsup_target_hand(alpha),
                 rtol=1e-13)
    for k in (2, 4):
        assert_close(compile_multiclass("maxsup", k).gap(alpha),
                     maxsup_numeric.maxsup_gap_hand(alpha, k), rtol=1e-13)


@pytest.mark.parametrize("alpha", [0.5, 0.7, 0.95])
def test_degenerate_range(alpha):
    comp = compile_binary("maxsup")
    assert comp.target(alpha) == 0.0 and maxsup_numeric.maxsup_target_hand(alpha) == 0.0
    # 0 in the subdifferential: l'(0-) <= 0 <= l'(0+).
    assert comp.dloss(-1e-300, alpha) <= 0 <= comp.dloss(1e-300, alpha)
    assert abs(maxsup_numeric.brent_target(comp.loss, alpha)) <= 1e-6


def test_exact_minimiser_matches_cone_program():
    ds = binary_signal_noise(40, 12, sigma_f=0.5, label_noise=0.2, seed=7)
    sol = minimize_binary(ds.u, "maxsup", 0.2)
    S, obj = maxsup_numeric.maxsup_conic_binary(ds.u, 0.2)
    assert sol.gradient_norm <= 1e-10
    # Interior-point gap 1e-10: objective to ~1e-8; the minimiser to ~1e-4 (flat directions).
    assert abs(sol.loss - obj) < 1e-7
    assert np.linalg.norm(sol.coef - S) <= 1e-3 * np.linalg.norm(sol.coef)
    # Negative control: the cone program at another alpha gives another objective.
    assert abs(maxsup_numeric.maxsup_conic_binary(ds.u, 0.3)[1] - sol.loss) > 1e-3


def test_experiment_signs_on_data():
    ds = binary_signal_noise(60, 24, sigma_f=0.5, label_noise=0.2, seed=8)
    out = maxsup_numeric.binary_comparison(ds, dict(mu_f=1.0, sigma_f=0.5, sigma_n=1.0), 0.2)
    assert out["label_smoothing"]["extra_down"] == out["label_smoothing"]["mis"] > 0
    assert out["maxsup"]["extra_down"] == 0
    assert all(out[m]["full_down"] == 0 for m in maxsup_numeric.METHODS)
    assert all(0.5 < out[m]["acc"] <= 1 for m in maxsup_numeric.METHODS)


# --- the tie-set subgradient of max (compiled functions, gradient descent) -------------

def test_compiled_maxsup_gradient_at_a_three_way_tie():
    grads = compile_multiclass("maxsup", 3).grad
    g = np.array([gk(0.0, 0.0, 0.0, 0.2) for gk in grads])
    # (1-a)(1/3 - [j = 0]) + a (1/3 - 1/3): -0.8*2/3, 0.8/3, 0.8/3, each to 1 ulp; the
    # sum is 0 up to the rounding of softmax - onehot (2 ulps of 0.5, ~2e-16).
    np.testing.assert_allclose(g, [-0.8 * 2 / 3, 0.8 / 3, 0.8 / 3], rtol=1e-15)
    assert abs(g.sum()) <= 4e-16


def test_maxsup_gradient_descent_keeps_the_class_sum_of_weights():
    from numerics.solve.multiclass import gradient_descent_multiclass

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = np.arange(30) % 3
    sol = gradient_descent_multiclass(X, y, "maxsup", 0.2, n_classes=3, lr=0.5, epochs=40)
    # sum_k of every gradient is 0 (a subgradient of a shift-invariant loss): from W = 0
    # the class sums stay 0 up to rounding of 40 steps of O(1) updates.
    np.testing.assert_allclose(sol.coef.sum(axis=0), 0.0, atol=1e-13)
    np.testing.assert_allclose(sol.intercept.sum(), 0.0, atol=1e-13)
