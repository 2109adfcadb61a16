"""Claim B8 (grokking): exact population quantities, the delay measure, negative controls."""

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from numerics import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.claims import grokking as g
from numerics.solve.binary import minimize_binary

from tests.tolerances import assert_close

#: A tiny setting that still groks with a test-loss hump: lambda = 0.7, sigma_f = 0,
#: mu_f = 0.3 as in the default (at mu_f = 0.5 the delay remains but the population test
#: loss of l_alpha becomes monotone). alpha = 0.01 groks within ~1.1e4 epochs: ~4 s.
TINY = g.GrokkingSetting(d=28, n=40, mu_f=0.3, max_epochs=60_000, alphas=(0.1, 0.03, 0.01),
                         n_test=2000, record_num=200, first_chunk=500, seed=3)


@pytest.fixture(scope="module")
def tiny():
    res = g.grokking_runs(TINY)
    th = g.theory_table(res["data"].u, TINY.alphas, TINY.lr)
    return res, th


@given(s1=st.floats(-3, 3), sperp=st.floats(0.05, 3), mu_f=st.floats(0.1, 2),
       sigma_n=st.floats(0.2, 3), seed=st.integers(0, 2**31 - 1))
@settings(max_examples=10)
def test_population_error_matches_monte_carlo(s1, sperp, mu_f, sigma_n, seed):
    d, n = 6, 40_000
    rng = np.random.default_rng(seed)
    S = np.concatenate([[s1], rng.normal(size=d - 1)])
    S[1:] *= sperp / np.linalg.norm(S[1:])
    ds = binary_signal_noise(n, d, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n, seed=seed)
    mc = float(np.mean(ds.u @ S <= 0.0))
    p = float(g.population_error(S, mu_f=mu_f, sigma_n=sigma_n)[0])
    # Binomial standard error sqrt(p(1-p)/n); 5 sigma (10 hypothesis draws) plus 1/n for
    # the lattice of a proportion.
    assert abs(mc - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1.0 / n


def test_population_test_loss_matches_monte_carlo_and_edge_cases():
    ds = binary_signal_noise(200_000, 5, mu_f=0.4, sigma_f=0.0, seed=7)
    comp = compile_binary("quadratic")
    S = np.array([2.0, 0.5, -1.0, 0.3, 0.8])
    vals = comp.loss(ds.u @ S, 0.01)
    exact = float(g.population_test_loss(S, 0.01, mu_f=0.4)[0])
    # Monte Carlo: 4 standard errors of the sample mean.
    assert abs(vals.mean() - exact) <= 4 * vals.std() / math.sqrt(vals.size)
    # S_perp = 0: error exactly 0 for S_1 > 0 and 1 for S_1 <= 0 (a zero logit is wrong).
    err = g.population_error(np.array([[1.0, 0, 0], [-1.0, 0, 0], [0.0, 0, 0]]), mu_f=1.0)
    assert err.tolist() == [0.0, 1.0, 1.0]


def test_certified_radius_is_the_tangent_angle():
    r = g.certified_radius(2.0, mu_f=0.3, sigma_n=1.5, tol=1e-6)
    z = special.ndtri(1 - 1e-6)
    # The tangent point of the ball seen from 0 has m = z exactly (to rounding), every
    # other point of the sphere has m >= z.
    ang = np.linspace(0, 2 * np.pi, 2001)
    pts = np.stack([2.0 + r * np.cos(ang), r * np.sin(ang), np.zeros_like(ang)], axis=1)
    m = g.margin_ratio(pts, mu_f=0.3, sigma_n=1.5)
    assert m.min() >= z * (1 - 1e-12)
    assert m.min() <= z * (1 + 1e-5)  # the 2001-point circle comes within ~1e-6 of it


def test_crossing_epoch_and_chunks():
    k = np.array([0, 10, 100, 1000])
    assert g.crossing_epoch(k, [0.0, 1.0, 3.0, 5.0], 2.0) == pytest.approx(math.sqrt(10) * 10)
    assert math.isnan(g.crossing_epoch(k, [0.0, 5.0, 3.0, 1.0], 2.0))  # falls back: no grok
    # the last upward crossing counts (a dip after a first crossing resets it)
    assert g.crossing_epoch(k, [0.0, 5.0, 1.0, 5.0], 2.0) > 100
    assert g.chunk_bounds(10_000, 1000, 2.0) == [1000, 2000, 4000, 8000, 10_000]


def test_sup_curvature_is_at_zero():
    # The non-expansiveness certificate uses sup l'' = l''(0) for the quadratic f.
    comp = compile_binary("quadratic")
    t = np.linspace(-40, 40, 80_001)
    for a in (0.0, 0.001, 0.1, 0.5):
        assert comp.d2loss(t, a).max() <= comp.d2loss(0.0, a) * (1 + 1e-15)


def test_tiny_grokking_verdict(tiny):
    res, th = tiny
    out = g.evaluate_b8(res["runs"], setting=TINY, theory=th, max_margin=res["max_margin"])
    assert all(out["ok"].values()), {k: v for k, v in out["ok"].items() if not v}
    runs = res["runs"]
    d = [runs[a].delay for a in sorted(TINY.alphas)]
    assert d[0] > d[1] > d[2] > 0          # delay grows as alpha decreases
    # alpha = 0: GD never reaches zero error: worse than 1% at the end and in the limit.
    assert runs[0.0].error[-1] > 1e-2 and not np.isfinite(runs[0.0].t_gen)
    # The GD end state of every alpha > 0 is the exact minimiser (t*/mu_f) e_1 (B7) to the
    # certified radius r_c (error <= 1e-6 for good).
    for a in TINY.alphas:
        r = runs[a]
        r_c = g.certified_radius(r.s_star[0], mu_f=TINY.mu_f, tol=TINY.tol)
        assert np.linalg.norm(r.final_weights - r.s_star) <= r_c
        assert_close(r.s_star[0], compile_binary("quadratic").target(a) / TINY.mu_f,
                     rtol=1e-8, what="S* = (t*/mu_f) e_1 (Newton to 1e-10 in gradient)")


def test_chunked_run_equals_one_run():
    # GD is memoryless: restarting at chunk ends from S must not change the trajectory.
    ds = binary_signal_noise(30, 20, mu_f=0.5, sigma_f=0.0, seed=1)
    s_one = replace(TINY, d=20, n=30, first_chunk=5000, max_epochs=3000)
    s_chunk = replace(s_one, first_chunk=300, growth=1.7)
    one = g.run_alpha(ds, 0.05, s_one, horizon=3000)
    chunked_a = g.run_alpha(ds, 0.05, s_chunk, horizon=3000,
                            converge_rtol=0.0)  # never stop early
    assert g.chunk_bounds(3000, 300, 1.7)[:3] == [300, 510, 867]
    assert chunked_a.epochs[-1] == one.epochs[-1] == 3000
    # Gram iteration vs re-synced logits: rounding ~1e-13 per epoch, relative.
    assert_close(chunked_a.final_weights, one.final_weights, rtol=1e-9, atol=1e-12,
                 what="chunked vs single GD run")


def test_negative_control_solver_jump_has_no_delay(tiny):
    """A 'solver' that jumps straight to the minimiser generalises at once: no delay, no
    non-monotone loss, so the verdict must fail."""
    res, th = tiny
    fake = {}
    for a, r in res["runs"].items():
        if a == 0:
            continue
        W = np.repeat(r.s_star[None, :], r.epochs.size, axis=0)
        margin = g.margin_ratio(W, mu_f=TINY.mu_f)
        f = replace(r, weights=W, final_weights=r.s_star, margin=margin,
                    error=special.ndtr(-margin), distance=np.zeros(r.epochs.size),
                    pop_loss=g.population_test_loss(W, a, mu_f=TINY.mu_f),
                    train_accuracy=np.ones(r.epochs.size), certified_at=0.0)
        f.t_train = 0.0
        f.t_gen = g.crossing_epoch(f.epochs, margin, special.ndtri(1 - TINY.tol))
        fake[a] = f
    out = g.evaluate_b8(fake, setting=TINY, theory=th)
    assert not out["ok"]["grokking (error -> tol, certified, after fit)"]
    assert not out["ok"]["test loss non-monotone"]


def test_negative_control_alpha0_in_place_of_alpha(tiny):
    """alpha = 0 run substituted for alpha > 0: never certified, verdict fails."""
    res, th = tiny
    runs = dict(res["runs"])
    bad = replace(runs[0.0], alpha=0.01, s_star=runs[0.01].s_star)
    bad.t_train, bad.t_gen = runs[0.0].t_train, runs[0.0].t_gen
    runs[0.01] = bad
    out = g.evaluate_b8(runs, setting=TINY, theory=th)
    assert not out["ok"]["grokking (error -> tol, certified, after fit)"]
    assert not out["ok"]["delay increases as alpha decreases"]


def test_exact_minimiser_is_gd_limit_for_largest_alpha(tiny):
    res, _ = tiny
    r = res["runs"][max(TINY.alphas)]
    ref = minimize_binary(res["data"].u, "quadratic", max(TINY.alphas)).coef
    cos = r.final_weights @ ref / np.linalg.norm(r.final_weights) / np.linalg.norm(ref)
    assert cos >= 1 - 1e-6  # run to ||S - S*|| <= 1e-4 ||S*||: cos >= 1 - 5e-9


@pytest.mark.slow
def test_b8_check_default_passes(tmp_path):
    from numerics.figures.claim_figures import draw_claim_figures

    res = g.check_b8()
    assert res.passed, res.evidence
    data = res.data["B8_grokking"]
    assert [r["alpha"] for r in data["runs"]] == sorted(g.SIZES["default"].alphas + (0.0,),
                                                       reverse=True)
    assert data["fit"] is not None and data["fit"][0] < 0   # delay grows as alpha -> 0
    paths = draw_claim_figures(res, tmp_path)
    assert [p.rsplit("/", 1)[-1] for p in paths] == ["B8_grokking.png"]
    assert (tmp_path / "B8_grokking.png").stat().st_size > 10_000
