"""Claim G4: PEGR in the linear model -- symbolic verdicts, compiled functions, GD runs."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from numerics.compile.compiled import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.claims import pegr
from theory import ALPHA, T, InvalidParameterError, InvalidTypeError, cross_entropy
from theory.pegr import LAM, R2, derive_pegr, pegr_objective
from tests.tolerances import FD_RTOL, assert_close


def test_cross_entropy_pegr_has_no_finite_target():
    d = derive_pegr()
    assert d.finite_target is False
    assert d.factorised and d.factor_positive and d.dloss_negative
    assert d.limits["phi, t -> oo"] == 0
    assert d.limits["exp(t) phi(t), t -> oo"] == 1
    assert d.limits["exp(t) (-phi'(t)), t -> oo"] == 1
    assert sp.simplify(d.limits["exp(t) (exp(t)(-phi') - 1), t -> oo"] - (2 * LAM * R2 - 1)) == 0
    assert sp.simplify(sp.expand(d.loss - cross_entropy(T))) == 0


@pytest.mark.parametrize("name", ["quadratic", "label_smoothing"])
def test_logit_regularised_pegr_keeps_target(name):
    d = derive_pegr(name)
    assert d.finite_target and d.factorised and d.factor_positive
    if name == "label_smoothing":
        assert sp.simplify(d.target - sp.log((2 - ALPHA) / ALPHA)) == 0


def test_invalid_inputs():
    with pytest.raises(InvalidParameterError, match="maxsup"):
        derive_pegr("maxsup")
    with pytest.raises(InvalidParameterError, match="confidence_penalty"):
        derive_pegr("confidence_penalty")
    with pytest.raises(InvalidTypeError, match="3"):
        derive_pegr(3)


def test_pegr_objective_definition():
    ell = cross_entropy(T)
    assert sp.simplify(pegr_objective(ell) - ell - LAM * R2 * sp.diff(ell, T) ** 2) == 0


@given(st.floats(-30, 30), st.floats(0.0, 5.0), st.floats(0.1, 50.0), st.floats(0.0, 0.9))
def test_compiled_derivative_matches_finite_differences(t, lam, r, alpha):
    for reg in (None, "quadratic"):
        a = 0.0 if reg is None else alpha
        phi, dphi, _ = pegr.pegr_functions(reg)
        h = 1e-5
        fd = (phi(t + h, a, lam, r) - phi(t - h, a, lam, r)) / (2 * h)
        assert_close(dphi(t, a, lam, r), fd, rtol=FD_RTOL, atol=1e-9)
        if reg is None:
            assert dphi(t, 0.0, lam, r) < 0  # no stationary point anywhere


def test_gradient_variance_identity():
    ds = binary_signal_noise(30, 10, seed=1)
    S = np.random.default_rng(2).normal(size=10)
    rel_id, rel_term = pegr.gradient_variance_identity(ds.u, S, 0.3)
    assert rel_id < 1e-12 and rel_term < 1e-12


def test_gd_confirms_verdicts():
    ds = binary_signal_noise(20, 50, sigma_f=0.5, seed=4)
    U = ds.u
    lam = 1.0 / float(np.mean(np.sum(U * U, axis=1)))
    traj = pegr.pegr_gradient_descent(U, lam, lr=0.05, record_at=[100, 1000, 3000])
    norms = [np.linalg.norm(traj[e]) for e in (100, 1000, 3000)]
    assert norms[0] < norms[1] < norms[2]  # CE-PEGR: no finite limit
    t_star = compile_binary("quadratic").target(0.2)
    S = pegr.pegr_gradient_descent(U, lam, regularizer="quadratic", alpha=0.2, lr=0.05,
                                      record_at=[3000])[3000]
    assert np.max(np.abs(U @ S - t_star)) < 1e-8  # logits cluster at the unchanged target


def test_check_g4_passes():
    result = pegr.check_g4()
    assert result.passed, result.evidence
    assert "outside a linear toolkit" in result.note
