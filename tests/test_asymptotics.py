"""Proportional-limit theory (claims A0-A5): each number checked by an independent route."""

import json
import math
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import optimize, special

from numerics.asymptotics import (compiled_loss, maxmargin_predict, mp_residuals, predict,
                                  prox, separability_threshold, square_closed_form)
from numerics.asymptotics._fixed_point import residuals, solve_fixed_point
from tests.tolerances import assert_close
from theory import InvalidParameterError
from theory.asymptotics import (KAPPA, LAM, M, TARGET, positive_part_moment,
                                square_loss_solution)

ROOT = Path(__file__).parents[1]

#: hybr on residuals with Gauss-Hermite quadrature exact for the square loss (polynomial
#: integrand): the root agrees with the closed form to ~1e-13; 1e-10 leaves headroom.
ROOT_TOL = 1e-10


def test_square_loss_closed_form_symbolic():
    sol = square_loss_solution()
    expected = KAPPA**2 * (1 - LAM) / (KAPPA**2 + LAM)
    assert sp.simplify(sol["rho2"] - expected) == 0
    # The direction does not depend on the target tau (B4): rho2 has no tau.
    assert not square_loss_solution(TARGET)["rho2"].has(TARGET)


@pytest.mark.parametrize("lam,kappa", [(0.2, 1.0), (0.5, 2.0), (0.8, 4.0), (0.9, 0.5)])
def test_square_loss_solver_matches_closed_form(lam, kappa):
    mu, a, gamma, r, _ = solve_fixed_point("square", 0.0, lam, kappa)
    # independent closed form typed from docs/theory.md §7 (random-matrix result for FLD)
    assert_close([mu, a * a, gamma],
                 [kappa / (1 + kappa**2), lam / ((1 - lam) * (1 + kappa**2)),
                  lam / (2 * (1 - lam))], rtol=ROOT_TOL, what="square-loss fixed point")
    assert_close(square_closed_form(lam, kappa), (mu, a, gamma), rtol=ROOT_TOL)


def test_positive_part_moment_three_ways():
    expr = positive_part_moment()
    z = sp.Symbol("z", real=True)
    direct = sp.integrate((z - M) ** 2 * sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi), (z, M, sp.oo))
    for m in (-2.0, -0.3, 0.0, 0.7, 3.0):
        with mpmath.workdps(30):
            quad = mpmath.quad(lambda t: (t - m) ** 2 * mpmath.npdf(t), [m, mpmath.inf])
        closed = (1 + m * m) * special.ndtr(-m) - m * math.exp(-m * m / 2) / math.sqrt(2 * math.pi)
        # 1e-13: float64 evaluation of a few erfc/exp terms vs 30-digit quadrature
        assert_close(float(expr.subs(M, m)), float(quad), rtol=1e-13)
        if m != 0.0:  # SymPy's own antiderivative carries removable 1/m terms
            assert_close(float(direct.subs(M, m)), float(quad), rtol=1e-12)
        assert_close(closed, float(quad), rtol=1e-12)


@pytest.mark.parametrize("kappa,table", [(0.5, 0.427134), (1.0, 0.270268), (2.0, 0.0482557),
                                         (4.0, 7.8207e-5)])
def test_lam_sep_matches_table(kappa, table):
    # docs/theory.md §7 table (6 significant digits)
    assert_close(separability_threshold(kappa), table, rtol=2e-5)


@pytest.mark.parametrize("kappa", [1.0])
def test_lam_sep_by_mpmath_quad_and_findroot(kappa):
    # Independent route: no closed form. R(c) = E[(Z-m)_+^2]/(1-c^2), m = c kappa, with
    # R'(c) = 0  <=>  -kappa E[(Z-m)_+] (1-c^2) + c E[(Z-m)_+^2] = 0, both by quadrature.
    with mpmath.workdps(20):
        def moment(m, k):
            return mpmath.quad(lambda t: (t - m) ** k * mpmath.npdf(t), [m, mpmath.inf])

        def slope(c):
            m = c * kappa
            return -kappa * moment(m, 1) * (1 - c * c) + c * moment(m, 2)
        c = mpmath.findroot(slope, (mpmath.mpf("0.05"), mpmath.mpf("0.95")),
                            solver="anderson", tol=mpmath.mpf(10) ** -30, verify=False)
        assert abs(slope(c)) < 1e-15
        ref = float(moment(c * kappa, 2) / (1 - c * c))
    # 20-digit quadrature and root: 1e-12 relative is conservative
    assert_close(separability_threshold(kappa), ref, rtol=1e-12)


def test_lam_sep_cover_limit_and_monotone():
    assert separability_threshold(0.0) == 0.5
    vals = [separability_threshold(k) for k in np.linspace(0, 3, 13)]
    assert all(a > b for a, b in zip(vals, vals[1:]))


@pytest.mark.parametrize("name,alpha", [("quadratic", 0.2), ("label_smoothing", 0.05),
                                        ("maxsup", 0.2), ("quadratic", 0.0)])
def test_prox_matches_scipy_minimize(name, alpha):
    loss = compiled_loss(name, alpha)
    from numerics.compile.compiled import compile_binary
    ell = compile_binary(name).loss
    gamma = 3.0
    xs = np.array([-7.0, -1.6, -1.0, 0.0, 0.4, 2.5, 9.0])
    p = prox(loss, xs, gamma)
    for x, pv in zip(xs, p):
        res = optimize.minimize_scalar(lambda v: ell(v, alpha) + (x - v) ** 2 / (2 * gamma),
                                       bracket=(x - 10, x + 10), tol=1e-12)
        # Brent on the (possibly kinked) objective locates the argmin to ~1e-7
        assert abs(res.x - pv) <= 1e-6, (x, res.x, pv)


def test_reference_numbers_within_simulation_error():
    # kappa=2, lam=0.5, alpha=0.2: simulation d=400 x 20 seeds rho 0.6685 +- 0.0034 and
    # d=1600 x 10 seeds 0.6624 +- 0.0044 (docs/theory.md §7, exact Newton): 3 SE bands.
    p = predict("quadratic", 0.2, 0.5, 2.0)
    assert abs(p.cosine - 0.6685) <= 3 * 0.0034
    assert abs(p.cosine - 0.6624) <= 3 * 0.0044
    assert p.certificate["certified"] and p.certificate["residual_mp"] < 1e-12
    # pure logistic below threshold (kappa=1, lam=0.15): sim 0.8304 +- 0.0027 (d=1600)
    q = predict("quadratic", 0.0, 0.15, 1.0, certify=False)
    assert abs(q.cosine - 0.8304) <= 3 * 0.0027


@pytest.mark.slow
def test_own_small_simulation():
    # independent route: the toolkit's exact Newton solver on 4 draws at d=200
    from numerics.claims.asymptotic_checks import simulate_accuracy

    acc = simulate_accuracy("quadratic", 0.2, 0.5, 2.0, 200, 4, seed=3)
    pred = predict("quadratic", 0.2, 0.5, 2.0, certify=False).accuracy
    se = acc.std(ddof=1) / math.sqrt(acc.size)
    assert abs(acc.mean() - pred) <= 3 * se + 0.005  # + O(1/d) finite-size bias at d=200


def test_mp_residuals_agree_with_float():
    loss = compiled_loss("label_smoothing", 0.1)
    p = predict("label_smoothing", 0.1, 0.3, 1.5, certify=False)
    r, err, _ = mp_residuals(loss, p.mu, p.a, p.gamma, 0.3, 1.5)
    assert max(abs(v) for v in r) < 1e-10 and err < 1e-15
    # a perturbed point is not a root: the certificate can fail
    r2, _, _ = mp_residuals(loss, p.mu * 1.001, p.a, p.gamma, 0.3, 1.5)
    assert max(abs(v) for v in r2) > 1e-5
    assert np.max(np.abs(residuals(loss, p.mu, p.a, p.gamma, 0.3, 1.5))) < 1e-10


def test_maxmargin_limit_meets_threshold():
    # at lam -> lam_sep+ the largest margin -> 0, and the cosine tends to the minimiser c*
    k = 1.0
    lam_sep, c_star = separability_threshold(k, return_cosine=True)
    mm = maxmargin_predict(lam_sep * (1 + 1e-6), k)
    assert mm.margin < 1e-3
    assert abs(mm.cosine - c_star) < 1e-2


@pytest.mark.parametrize("kwargs,match", [
    (dict(regularizer="quadratic", alpha=0.2, lam=1.0, kappa=2.0), "'lam'"),
    (dict(regularizer="quadratic", alpha=0.0, lam=0.3, kappa=2.0), "lam=0.3"),
    (dict(regularizer="quadratic", alpha=0.2, lam=0.5, kappa=0.0), "'kappa'"),
    (dict(regularizer="quadratic", alpha=1.0, lam=0.5, kappa=2.0), "'alpha'"),
    (dict(regularizer="confidence_penalty", alpha=0.3, lam=0.5, kappa=2.0), "not convex"),
    (dict(regularizer="maxsup", alpha=0.6, lam=0.5, kappa=2.0), "alpha=0.6"),
    (dict(regularizer="nope", alpha=0.2, lam=0.5, kappa=2.0), "nope"),
])
def test_errors_outside_domain(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        predict(**kwargs)


def test_maxmargin_below_threshold_raises():
    with pytest.raises(InvalidParameterError, match="lam=0.1"):
        maxmargin_predict(0.1, 1.0)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "logitreg.cli", *args], cwd=ROOT,
                          capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_accuracy_json_and_errors():
    out = _cli("theory", "accuracy", "--regularizer", "quadratic", "--alpha", "0.2",
               "--lam", "0.5", "--kappa", "2", "--json", "--certify")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    for key in ("accuracy", "cosine", "mu", "a", "gamma", "lam_sep", "certificate"):
        assert key in rec
    assert rec["certificate"]["certified"] is True
    bad = _cli("theory", "accuracy", "--regularizer", "quadratic", "--alpha", "0.2",
               "--lam", "1.5", "--kappa", "2")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "1.5" in bad.stderr
    sep = _cli("theory", "separability", "--kappa", "1", "--json")
    assert sep.returncode == 0 and abs(json.loads(sep.stdout)["lam_sep"] - 0.270268) < 1e-6


# ------------------------------------------------------------- A1 finite-size trend rule
def _rows(gaps_by_d, n_conf=50, seed=0):
    """Synthetic A1 rows (reg, alpha, lam, kappa, d, pred, sim, se): |sim - pred| drawn
    around the given mean gap per d (half-normal noise of that scale)."""
    rng = np.random.default_rng(seed)
    rows = []
    for d, g in gaps_by_d.items():
        for e in np.abs(rng.normal(0.0, g * math.sqrt(math.pi / 2), n_conf)):
            rows.append(("quadratic", 0.2, 0.5, 2.0, d, 0.9, 0.9 + e, 1e-3))
    return rows


def test_gap_trend_accepts_a_noise_floor_and_refuses_growth():
    from numerics.claims.asymptotic_checks import gap_trend

    ds = (200, 400, 800, 1600)
    # a decrease that reaches a noise floor: the last step goes up by less than its noise
    floor = gap_trend(_rows({200: 1.4e-3, 400: 1.0e-3, 800: 6.0e-4, 1600: 6.4e-4}), ds)
    assert floor["shrinking"]
    # a gap that grows with d is not convergence, whatever the noise
    grow = gap_trend(_rows({200: 4e-4, 400: 6e-4, 800: 9e-4, 1600: 1.4e-3}), ds)
    assert not grow["shrinking"] and not grow["strict"]
    # flat at the noise floor from the start: no resolved decrease, so not shown
    flat = gap_trend(_rows({200: 6e-4, 400: 6e-4, 800: 6e-4, 1600: 6e-4}), ds)
    assert not flat["shrinking"]
    # the standard error is that of a mean of 50 half-normal values
    g = np.array([abs(r[6] - r[5]) for r in _rows({200: 1e-3}) if r[4] == 200])
    assert gap_trend(_rows({200: 1e-3}), (200,))["ses"][200] == pytest.approx(
        g.std(ddof=1) / math.sqrt(g.size), rel=1e-12)


def test_a1_a2_a4_report_figures_are_drawn_from_the_check_data(tmp_path):
    from threadpoolctl import threadpool_limits

    from core.claims import CheckResult
    from numerics.claims.asymptotic_checks import A4_THEORY_SIGMA_NS, check_a2, check_a4
    from numerics.figures.claim_figures import draw_claim_figures

    with threadpool_limits(limits=1, user_api="blas"):
        a2, a4 = check_a2(), check_a4()
    d2, d4 = a2.data["A2_separability"], a4.data["A4_benefit"]
    # the reported crossing lies where the measured fraction first reaches 1/2
    fr, lams = d2["fractions"][80], d2["lams"]
    k = next(j for j, f in enumerate(fr) if f >= 0.5)
    assert lams[k - 1] <= a2.evidence["empirical crossing d=80"] <= lams[k]
    (panel,) = d4["panels"]
    assert panel["star"] == a4.evidence["sigma_f=0.5: crossing sigma_n*"]
    assert len(panel["mm_theory"]) == len(A4_THEORY_SIGMA_NS)
    a1 = CheckResult("A1", "test", {}, "-", True,
                     data={"A1_convergence": {"ds": [100, 200], "gaps": [2e-3, 1e-3],
                                              "mean_se": [1e-3, 8e-4]}})
    for res in (a1, a2, a4):
        (path,) = draw_claim_figures(res, tmp_path)
        assert (tmp_path / f"{next(iter(res.data))}.png").stat().st_size > 5_000, path
