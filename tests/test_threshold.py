"""Claim B7 (threshold shift): deterministic half, statistics, and a negative control."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.claims.threshold import evaluate_b7, regularised_solver, threshold_curves, weight_decay_solver
from numerics.solve.binary import minimize_binary

from tests.strategies import regularizers


@given(name=regularizers, alpha=st.floats(0.05, 0.45), extra=st.integers(0, 12),
       d=st.integers(2, 12), seed=st.integers(0, 2**31 - 1),
       sigma_n=st.floats(0.1, 5.0))
@settings(max_examples=15)
def test_b7_deterministic_half(name, alpha, extra, d, seed, sigma_n):
    """sigma_f = 0, alpha > 0, full column rank: minimiser is exactly (t*/mu_f) e_1."""
    if name == "confidence_penalty":
        name = "label_smoothing"  # non-convex f: uniqueness of the minimiser is not given
    mu_f = 0.7
    ds = binary_signal_noise(d + extra, d, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n, seed=seed)
    assert np.linalg.matrix_rank(ds.u) == d
    sol = minimize_binary(ds.u, name, alpha)
    expected = np.zeros(d)
    expected[0] = compile_binary(name).target(alpha) / mu_f
    # Newton to ||grad|| <= 1e-10 on a problem with curvature ~ l''(t*) min-eig(U^T U/N):
    # coefficient error <= 1e-10 / (curvature * smallest eigenvalue); 1e-7 is generous.
    np.testing.assert_allclose(sol.coef, expected, atol=1e-7)


def test_b7_curves_and_negative_control():
    ratios = [0.5, 1.0, 1.5, 2.0, 3.0]
    good = threshold_curves([12], ratios, 10, seed=3)
    ev = evaluate_b7(good)
    assert ev["regularised step at N=d"] and ev["weight decay perfect draws"] == 0
    # Negative control: weight decay in place of logit regularisation must fail the step.
    bad = threshold_curves([12], ratios, 10, solver=weight_decay_solver(), seed=3)
    assert not evaluate_b7(bad)["regularised step at N=d"]


def test_b7_regularised_fails_below_threshold():
    # N < d: the minimum-norm minimiser has S_perp != 0 (no perfect generalisation).
    ds = binary_signal_noise(8, 12, sigma_f=0.0, seed=1)
    coef = regularised_solver()(ds.u)
    assert np.linalg.norm(coef[1:]) > 1e-3 * abs(coef[0])


def test_threshold_outcome_is_what_the_curves_count():
    """One draw's B7 outcome (also the sweep's threshold experiment) against the counts."""
    from numerics.claims._common import seeds
    from numerics.claims.threshold import (perfect_fraction, threshold_outcome,
                                           unregularised_perfect)

    n, d, trials, seed = 30, 12, 4, 5
    draws = [binary_signal_noise(n, d, sigma_f=0.0, seed=s).u for s in seeds(seed, trials)]
    out = {m: [threshold_outcome(u, m) for u in draws]
           for m in ("regularised", "max_margin", "weight_decay")}
    assert sum(o["perfect"] for o in out["regularised"]) == trials  # N >= d: exact step
    assert sum(o["perfect"] for o in out["regularised"]) == perfect_fraction(
        regularised_solver(), n, d, trials, seed=seed)
    assert sum(o["perfect"] for o in out["max_margin"]) == unregularised_perfect(
        n, d, trials, seed=seed)
    assert all(o["s_perp_ratio"] is None for o in out["max_margin"])
    # weight decay: S_perp = O(1) relative, never perfect
    assert all(o["perfect"] == 0 and o["s_perp_ratio"] > 1e-3 for o in out["weight_decay"])


def test_half_crossing_and_cover_outside():
    import math

    from numerics.claims.threshold import cover_outside, half_crossing

    assert half_crossing([1.0, 2.0, 3.0], [0.0, 0.25, 0.75]) == pytest.approx(2.5, abs=1e-15)
    assert half_crossing([1.0, 2.0], [0.0, 0.4]) == math.inf
    assert math.isnan(half_crossing([1.0, 2.0], [0.0, 0.4], never=math.nan))
    assert half_crossing([1.0, 2.0], [0.6, 0.9]) == 1.0
    assert math.isnan(half_crossing([1.0, 2.0], [0.6, 0.9], at_start=math.nan))
    # Cover's midpoint N = 2(d-1) has P = 1/2: 50 of 100 agree, 0 of 100 do not.
    assert not cover_outside(50, 100, 22, 12) and cover_outside(0, 100, 22, 12)


def test_b7_figure_data_and_drawing(tmp_path):
    from numerics.claims.threshold import b7_figure_data, cover_perfect_probability
    from numerics.figures.claim_figures import draw_claim_figures
    from core.claims import CheckResult

    curves = threshold_curves([10], [0.5, 1.0, 2.0, 3.0], 6, seed=2)
    data = b7_figure_data(curves)
    c = data["curves"][10]
    assert c["n"] == [5, 10, 20, 30] and c["reg"] == [0, 6, 6, 6]
    assert c["cover"] == [cover_perfect_probability(n, 10) for n in c["n"]]
    for hits, (lo, hi) in zip(c["unreg"], c["unreg_wilson"]):
        # the Wilson interval contains the proportion (at 0 or all hits: up to rounding)
        assert lo - 1e-15 <= hits / 6 <= hi + 1e-15
    assert data["settings"]["trials"] == 6 and data["settings"]["wd_trials"] == 3
    result = CheckResult("B7", "test", {}, "-", True, data={"B7_threshold": data})
    draw_claim_figures(result, tmp_path)
    assert (tmp_path / "B7_threshold.png").stat().st_size > 10_000
