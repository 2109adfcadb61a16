"""Claim G1: PERM templates, the exponential-tail inequalities, GD's implicit bias toward
the multiclass hard-margin SVM, and the alpha > 0 contrast."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import theory
from numerics.claims import implicit_bias as ib
from numerics.claims import implicit_bias_gd as gd
from numerics.figures.claim_figures import draw_claim_figures
from numerics.solve.separability import kesler_vectors
from theory import perm_losses as pl
from core.errors import InvalidParameterError, InvalidTypeError

from tests.tolerances import FD_RTOL, assert_close


@pytest.fixture(scope="module")
def g1():
    setting = ib.G1Setting()
    ds, svm, lr = ib.g1_data(setting)
    return setting, ds, svm, lr


# -------------------------------------------------------------------- symbolic side
@pytest.mark.parametrize("name", pl.ET_TEMPLATES)
def test_tail_inequalities_certified_for_all_m(name):
    for side in ("upper", "upper_plain", "lower"):
        assert pl.tail_certificate(name, 3, side=side)["proved"], side
    assert pl.tail_ratio_limit(name, 3) == 1
    assert pl.is_symmetric(name, 4)


def test_certificate_and_numeric_check_can_fail():
    # -d psi_exp = e^{-m}: the bound e^{-2m}(1 + e^{-2m}) is false for large m.
    assert not pl.tail_certificate("exponential", 3, side="upper", a=2)["proved"]
    assert ib.tail_inequalities_numeric("exponential", 3, points=40, a=1.5)["upper"] < -0.1
    # Label smoothing has no exponential tail: its lower bound is not certified.
    assert not pl.tail_certificate("label_smoothing", 3, side="lower")["proved"]


def test_tail_inequalities_hold_at_random_points():
    for name in pl.ET_TEMPLATES:
        r = ib.tail_inequalities_numeric(name, 4, points=60, seed=3)
        assert min(r.values()) >= -1e-25  # 30-digit rounding only


@pytest.mark.parametrize("name", pl.TEMPLATES)
def test_compiled_gradient_matches_finite_differences(name):
    """x-form gradient (compiled) vs central differences of the stable template."""
    k, alpha = 4, 0.3
    m = pl.margin_symbols(k)
    psi = pl.template(name, k).subs(theory.ALPHA, alpha)
    f = sp.lambdify(m, theory.to_elementary(psi), modules="mpmath")
    g = sp.lambdify(gd._x_symbols(k), gd.perm_gradient_x(name, k, alpha), modules="mpmath")
    rng = np.random.default_rng(0)
    with mpmath.workdps(30):
        for _ in range(5):
            p = [mpmath.mpf(float(v)) for v in rng.uniform(-2, 6, k - 1)]
            got = g(*[mpmath.exp(-v) for v in p])
            for j in range(k - 1):
                fd = mpmath.diff(lambda t: f(*(p[:j] + [t] + p[j + 1:])), p[j])
                assert abs(got[j] - fd) <= FD_RTOL * (abs(fd) + 1e-30)


def test_logit_gradients_sum_to_zero_and_templates_match_toolkit():
    r = ib.symbolic_tail_report((3,))
    assert r["zero_class_sum"] and r["symmetric"]
    assert ib.template_identities(k=3, points=5) < 1e-25


# ------------------------------------------------------------------------- dynamics
def test_margin_space_gd_equals_weight_space_engine_and_conserves_row_sum(g1):
    setting, ds, svm, lr = g1
    cons = ib._conservation(ds, setting.k, lr, steps=200)
    assert cons["engine_vs_margin_space"] <= 1e-10
    assert cons["row_sum_from_zero"] <= 1e-13
    assert cons["row_sum_change_from_W0"] <= 1e-12


def test_gap_decreases_and_approaches_predicted_constant(g1):
    """Exponential loss to t = 1e4: gap strictly decreasing, |W| grows like |W_hat| log t,
    and gap |W_t|/|W_hat| is already within 1% of the predicted O(1) term."""
    setting, ds, svm, lr = g1
    grid = np.array([100, 1000, 10_000])
    W = gd.perm_gd(ds.X, ds.y, 3, ["exponential"], lr=lr, record_at=grid)["exponential"]
    st = ib.evaluate_gap(W, svm.W, grid)
    assert st["monotone"]
    _, C_pred, _ = gd.asymptotic_offset(ds.X, ds.y, 3, svm.W, lr=lr)
    assert abs(st["C"][-1] / C_pred - 1) <= 0.01
    assert abs(st["growth"][-1] - 1) <= 0.01


def test_asymptotic_offset_solves_its_stationarity_condition(g1):
    setting, ds, svm, lr = g1
    Wt, C, nsv = gd.asymptotic_offset(ds.X, ds.y, 3, svm.W, lr=lr)
    V = kesler_vectors(ds.X, ds.y, 3)
    sv = V[np.abs(V @ svm.W.ravel() - 1) <= 1e-7]
    lhs = (lr / ds.n) * np.exp(-sv @ Wt.ravel()) @ sv
    assert_close(lhs, svm.W.ravel(), rtol=1e-9, atol=1e-10, what="sum e^{-v.W~} v = W_hat")
    assert nsv == sv.shape[0] and C > 0


def test_label_smoothing_contrast_finite_and_on_vertices(g1):
    setting, ds, svm, lr = g1
    r = ib.label_smoothing_contrast(ds, 3, svm, lr, 0.2, steps=(1000, 3000))
    assert r["newton_vs_closed_form"] <= 1e-9
    assert r["logits_to_vertex"] <= 1e-9
    assert r["gd_vs_newton"] <= 1e-6  # 3000 steps of a linearly convergent GD
    assert_close(r["q_high"] - r["q_low"], math.log(1 + 3 * 0.8 / 0.2), rtol=1e-12,
                 what="LS gap log(1 + K(1-a)/a) (docs/theory.md §6 (G3))")


def test_direction_gap_basic():
    W = np.arange(6.0).reshape(2, 3) + 1
    assert gd.direction_gap(W, 3 * W) == pytest.approx(0.0, abs=1e-15)
    assert gd.direction_gap(W, -W) == pytest.approx(2.0)


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, exc, match", [
    (lambda: pl.template("hinge", 3), InvalidParameterError, "hinge"),
    (lambda: pl.template(3, 3), InvalidTypeError, "3"),
    (lambda: pl.margin_symbols(1), InvalidParameterError, "1"),
    (lambda: pl.tail_bound(3, side="middle"), InvalidParameterError, "middle"),
    (lambda: pl.neg_partial("exponential", 3, 5), InvalidParameterError, "5"),
    (lambda: pl.loss_in_logits("exponential", 3, 3), InvalidParameterError, "3"),
    (lambda: gd.perm_gradient_x("label_smoothing", 3), InvalidParameterError, "None"),
    (lambda: gd.perm_gradient_x("label_smoothing", 3, 1.5), InvalidParameterError, "1.5"),
    (lambda: ib.G1Setting(n=0), InvalidParameterError, "0"),
    (lambda: ib.G1Setting(alpha=0.0), InvalidParameterError, "0.0"),
])
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_perm_gd_bad_input(g1):
    _, ds, _, lr = g1
    X, y = ds.X, ds.y
    with pytest.raises(InvalidParameterError, match="names"):
        gd.perm_gd(X, y, 3, "exponential", lr=lr, record_at=np.array([1]))
    with pytest.raises(InvalidParameterError, match="lr"):
        gd.perm_gd(X, y, 3, ["exponential"], lr=-1.0, record_at=np.array([1]))
    with pytest.raises(InvalidParameterError, match="record_at"):
        gd.perm_gd(X, y, 3, ["exponential"], lr=lr, record_at=np.array([5, 2]))
    with pytest.raises(InvalidParameterError, match="alphas"):
        gd.perm_gd(X, y, 3, ["exponential"], lr=lr, record_at=np.array([1]), alphas=[1, 2])
    with pytest.raises(InvalidParameterError, match="labels|y"):
        gd.perm_gd(X, y + 5, 3, ["exponential"], lr=lr, record_at=np.array([1]))


def test_check_g1_returns_its_figure_data(tmp_path):
    result = ib.check_g1()
    assert result.passed, {k: v for k, v in result.evidence.items() if k.startswith("ok:")}
    data = result.data["G1_implicit_bias"]
    assert set(data["gap"]) == set(pl.ET_TEMPLATES)
    for name, gap in data["gap"].items():
        assert gap.shape == data["t"].shape == data["norm"][name].shape
        assert gap[-1] < gap[0]  # the direction gap closes
    assert draw_claim_figures(result, tmp_path) == [str(tmp_path / "G1_implicit_bias.png")]
    assert (tmp_path / "G1_implicit_bias.png").stat().st_size > 1000
