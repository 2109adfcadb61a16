r"""Figures 4, 5, 6, 15, 16, 17, 18, 19 and ``threshold-binary``: the data each
draws at size ``"test"`` satisfies its claim (B7, B8, B9, B10, B13, A3), the drawers
return labelled matplotlib Figures, and a bad size is refused.

Expected values come from independent routes: the compiled target :math:`t^*` and the
number quoted in docs/theory.md §1, Cover's counting formula, the CGMT theory of
:mod:`numerics.asymptotics` (A1/A4), the Bayes bound :math:`\Phi(\mu_f/\sigma_f)`, exact
linear-algebra facts (N <= d - 1 points in d - 1 dimensions are always separable).

Statistical tolerances for simulated accuracies (:func:`_acc_tol`): a single run's
alignment :math:`\rho` (isotropic coordinates) fluctuates by about :math:`0.4/\sqrt d`
(docs/theory.md §7, measured), and :math:`A = \Phi(\kappa\rho)` maps it to
:math:`\kappa\varphi(\kappa\rho)\cdot 0.4/\sqrt d`; a mean over ``n`` draws divides by
:math:`\sqrt n`; we allow 3 of those plus :math:`1/d` for the O(1/d) finite-size bias.
"""

import math

import matplotlib
import numpy as np
import pytest
from scipy import special

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from numerics.asymptotics import (maxmargin_predict, predict,  # noqa: E402
                                  separability_threshold, unregularised_accuracy)
from numerics.compile.compiled import compile_binary  # noqa: E402
from numerics.models.signal_noise import binary_signal_noise  # noqa: E402
from numerics.claims._common import binomial_interval  # noqa: E402
from numerics.claims.threshold import PERFECT_RTOL, cover_perfect_probability  # noqa: E402
from numerics.figures import get_figure  # noqa: E402
from numerics.solve.separability import cover_probability, is_linearly_separable  # noqa: E402
from core.errors import InvalidParameterError  # noqa: E402

FIGURES = {"4": ("B7",), "5": ("B8",), "6": ("B10",), "15": ("B10",), "16": ("B10",),
           "17": ("B10",), "18": ("B13",), "19": ("B9",), "threshold-binary": ("B7", "A3")}

#: Newton stops at ||grad L|| <= 1e-10; an accuracy is Lipschitz in S with constant
#: O(1), so solver-precision changes of an accuracy are ~1e-9: 1e-6 is far above that and
#: far below any genuine sigma_n-dependence (>= 1e-2 here).
SOLVER_ACC_ATOL = 1e-6
#: clarabel solves the max-margin QP to 1e-10 in gap and feasibility; a max-margin
#: ||S_perp||/S_1 that should be exactly 0 comes out at ~1e-12..1e-8; a genuine one is O(0.01-1).
QP_ZERO = 1e-6


_CACHE = {}


def _data(fig_id):
    """``compute("test")`` once per figure for the whole module."""
    if fig_id not in _CACHE:
        _CACHE[fig_id] = get_figure(fig_id).compute("test")
    return _CACHE[fig_id]


def _acc_tol(acc, kappa, d, n):
    """3-sigma seed noise of a mean of ``n`` exact accuracies at dimension d, plus 1/d
    finite-size bias (module docstring)."""
    x = special.ndtri(acc)          # kappa * rho
    return 3.0 * kappa * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) * 0.4 / math.sqrt(d * n) \
        + 1.0 / d


# --------------------------------------------------------------------------- registry
@pytest.mark.parametrize("fig_id", sorted(FIGURES))
def test_registered_with_claims(fig_id):
    assert get_figure(fig_id).claims == FIGURES[fig_id]


@pytest.mark.parametrize("fig_id", sorted(FIGURES))
def test_invalid_size_is_refused(fig_id):
    with pytest.raises(InvalidParameterError, match="size"):
        get_figure(fig_id).compute("huge")


@pytest.mark.parametrize("fig_id", sorted(FIGURES))
def test_draw_returns_labelled_figure(fig_id):
    fig = get_figure(fig_id).draw(_data(fig_id))
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        axes = fig.get_axes()
        assert axes
        for ax in axes:
            assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
        assert fig._suptitle is not None and fig._suptitle.get_text().strip()
        assert "settings" in _data(fig_id)
    finally:
        plt.close(fig)


# ------------------------------------------------------------------------------ fig 4
def test_fig4_logits_collapse_to_target():
    data = _data("4")
    s = data["settings"]
    comp = compile_binary("quadratic")
    # docs/theory.md §1 quotes t*(0.2) = 0.674832 (6 decimals) for f = t^2: independent of the code.
    assert abs(data["t_star"] - 0.674832) <= 5e-7
    assert data["t_star"] == pytest.approx(float(comp.target(s["alpha"])), rel=1e-15)
    # Newton stops at ||grad|| <= 1e-10, so ||S - S*|| <= 1e-10 / (l''(t*) lambda_min(C))
    # with C = U^T U / N, and a logit moves by at most ||x|| times that.
    ds = binary_signal_noise(s["n"], s["d"], mu_f=s["mu_f"], sigma_f=0.0,
                             sigma_n=s["sigma_n"], seed=s["seed"])
    test = ds.fresh(s["n_test"], seed=s["seed"] + 1)
    lam_min = np.linalg.eigvalsh(ds.u.T @ ds.u / s["n"])[0]
    curv = float(comp.d2loss(data["t_star"], s["alpha"]))
    step = 1e-10 / (curv * lam_min)
    for part, X in (("train", ds.X), ("test", test.X)):
        z = np.asarray(data["logits"]["reg"][part])
        xnorm = float(np.max(np.linalg.norm(X, axis=1)))
        assert data["max_logit_deviation"]["reg"][part] <= step * xnorm
        # signed logits are y t*: the sign is the label
        assert np.all(np.sign(z) == np.asarray(data["labels"][part]))
    assert data["s_perp_ratio"]["reg"] <= PERFECT_RTOL


def test_fig4_max_margin_test_logits_spread():
    data = _data("4")
    s = data["settings"]
    ds = binary_signal_noise(s["n"], s["d"], mu_f=s["mu_f"], sigma_f=0.0,
                             sigma_n=s["sigma_n"], seed=s["seed"])
    # Max-margin has S_perp != 0 iff the noise parts are separable (LP test, a route
    # independent of the QP); Cover gives that probability for this N/d.
    separable = is_linearly_separable(ds.u[:, 1:])
    assert (data["s_perp_ratio"]["mm"] > QP_ZERO) == separable
    if not separable:
        pytest.skip("this draw's noise is not separable (Cover probability "
                    f"{cover_probability(s['n'], s['d'] - 1):.2f})")
    # With S_1 = t*/mu_f, a test logit is y t* + sigma_n S_perp . xi: |z| - y-sign spread is
    # N(0, (sigma_n ||S_perp||)^2) exactly, ||S_perp|| = ratio * t*/mu_f. The sample std of
    # n_test Gaussians has relative SE 1/sqrt(2 n); 4 SE.
    z = np.asarray(data["logits"]["mm"]["test"]) * np.asarray(data["labels"]["test"])
    expected = s["sigma_n"] * data["s_perp_ratio"]["mm"] * data["t_star"] / s["mu_f"]
    n_test = z.size
    assert np.std(z - data["t_star"]) == pytest.approx(expected, rel=4 / math.sqrt(2 * n_test))
    assert data["mm_population_error"] > 0.0


def test_fig4_scan_threshold_at_n_equals_d():
    data = _data("4")
    sc, d = data["scan"], data["settings"]["scan_d"]
    for n, reg, mm in zip(sc["n"], sc["reg"], sc["mm"]):
        if n >= d:   # full column rank: the minimiser is exactly (t*/mu_f) e1 (B7)
            assert max(reg) <= PERFECT_RTOL
        else:        # min-norm interpolant of N < d logits t*: S_perp = O(1)
            assert min(reg) >= 1e-3
        if n <= d - 1:   # N <= D = d-1 points in R^D are always separable (Cover P = 1)
            assert cover_probability(n, d - 1) == 1.0
            assert min(mm) > QP_ZERO
        if cover_probability(n, d - 1) < 1e-4:   # noise not separable: max-margin = e1
            assert max(mm) <= QP_ZERO


# ------------------------------------------------------------------------------ fig 5
def test_fig5_grokking_after_fit_and_alpha0_overfits():
    data = _data("5")
    runs = {r["alpha"]: r for r in data["runs"]}
    pos = sorted((a for a in runs if a > 0), reverse=True)
    assert pos and 0.0 in runs
    for a in pos:
        r = runs[a]
        assert np.isfinite(r["t_train"]) and np.isfinite(r["t_gen"])
        # Delay: perfect generalisation (population error <= 1e-6, certified) comes after
        # the training set is fitted; >= 2x T_train so it is not a recording lag (the log
        # grid has a few % spacing).
        assert r["delay"] > 0 and r["t_gen"] >= 2.0 * r["t_train"]
        assert np.isfinite(r["certified_at"])
        assert r["train_accuracy"][-1] == 1.0 and r["test_accuracy"][-1] == 1.0
        # at T_train the error is macroscopic (memorisation), 1e-2 far above rounding
        i = np.searchsorted(r["epochs"], r["t_train"])
        assert r["error"][i] > 1e-2
    delays = [runs[a]["delay"] for a in pos]
    assert all(np.diff(delays) > 0)   # the delay grows as alpha decreases
    r0 = runs[0.0]
    # alpha = 0 overfits for good: lambda = 0.7 > 1/2, so (Cover) the noise is separable
    # with probability ~0.99 and then the max-margin limit has S_perp != 0; checked on this
    # draw by the LP (independent of GD and of the QP).
    s = data["settings"]
    assert cover_probability(s["n"], s["d"] - 1) > 0.9
    ds = binary_signal_noise(s["n"], s["d"], mu_f=s["mu_f"], sigma_f=0.0,
                             sigma_n=s["sigma_n"], seed=s["seed"])
    assert is_linearly_separable(ds.u[:, 1:])
    assert r0["train_accuracy"][-1] == 1.0
    assert r0["test_accuracy"][-1] < 1.0 and r0["error"][-1] > 1e-2
    assert not np.isfinite(r0["t_gen"])
    assert data["max_margin_error"] > 1e-2


# -------------------------------------------------------------------------- figs 6, 15
@pytest.mark.parametrize("fig_id", ["6", "15"])
def test_benefit_diagram(fig_id):
    data = _data(fig_id)
    s = data["settings"]
    reg, unreg = np.asarray(data["reg"]), np.asarray(data["unreg"])
    lam, d, n_seeds = s["lam"], s["d"], s["n_seeds"]
    assert lam == pytest.approx({"6": 0.7, "15": 0.4}[fig_id], abs=1.0 / s["n"])
    for i, sf in enumerate(s["sigma_fs"]):
        kappa = s["mu_f"] / sf
        # Common random numbers (same standardised draws rescaled): the minimiser is
        # equivariant (B9), so the regularised accuracy is flat to solver precision -- the
        # tolerance is numerical, not statistical (fresh draws would add _acc_tol noise).
        assert np.ptp(reg[i]) <= SOLVER_ACC_ATOL
        # ... and the unregularised one moves (B10's threshold: by more than 0.01).
        assert np.ptp(unreg[i]) > 0.01
        # Level against the CGMT prediction (A1), an independent route.
        reg_th = data["theory"]["reg"][i]
        assert abs(reg[i][0] - reg_th) <= _acc_tol(reg_th, kappa, d, n_seeds)
        # Unregularised against the A4 max-margin theory at every simulated sigma_n
        # (separable regime lam > lam_sep(kappa) here).
        assert lam > separability_threshold(kappa)
        for j, sn in enumerate(s["sigma_ns"]):
            th = maxmargin_predict(lam, kappa, weight=sn / sf).accuracy
            assert abs(unreg[i][j] - th) <= _acc_tol(th, kappa, d, n_seeds)
            # Who wins at this sigma_n: asserted where theory's gap exceeds both tolerances.
            if abs(th - reg_th) > _acc_tol(th, kappa, d, n_seeds) + _acc_tol(reg_th, kappa,
                                                                              d, n_seeds):
                assert np.sign(unreg[i][j] - reg[i][j]) == np.sign(th - reg_th)


# ----------------------------------------------------------------------------- fig 16
def test_fig16_lambda_sweep():
    data = _data("16")
    s = data["settings"]
    reg, unreg = np.asarray(data["reg"]), np.asarray(data["unreg"])
    kappa = s["mu_f"] / s["sigma_f"]
    for k, lam in enumerate(data["lams"]):
        d = int(round(lam * s["n"]))
        # regularised: identical for every sigma_n (same draws rescaled, B9)
        assert np.ptp(reg[k]) <= SOLVER_ACC_ATOL
        th = predict("quadratic", s["alpha"], lam, kappa, certify=False).accuracy
        assert abs(reg[k][0] - th) <= _acc_tol(th, kappa, d, s["n_seeds"])
        for j, sn in enumerate(s["sigma_ns"]):
            th_u = unregularised_accuracy(lam, kappa, noise_ratio=sn / s["sigma_f"])
            assert abs(unreg[k][j] - th_u) <= _acc_tol(th_u, kappa, d, s["n_seeds"])
    # unregularised: depends on sigma_n wherever the theory says it does by > 2 tolerances
    for k, lam in enumerate(data["lams"]):
        d = int(round(lam * s["n"]))
        th = [unregularised_accuracy(lam, kappa, noise_ratio=sn / s["sigma_f"])
              for sn in s["sigma_ns"]]
        if abs(th[0] - th[-1]) > 2 * _acc_tol(min(th), kappa, d, s["n_seeds"]):
            assert np.sign(unreg[k][0] - unreg[k][-1]) == np.sign(th[0] - th[-1])


# ----------------------------------------------------------------------------- fig 17
def test_fig17_sigma_sweep_and_crossings():
    data = _data("17")
    reg, unreg = np.asarray(data["reg"]), np.asarray(data["unreg"])
    th_cross = np.asarray(data["theory"]["crossing"], dtype=float)
    sim_cross = np.asarray(data["crossing"], dtype=float)
    for k in range(len(data["lams"])):
        assert np.ptp(reg[k]) <= SOLVER_ACC_ATOL
        assert np.ptp(unreg[k]) > 0.01
    # theory (A4): the region where regularisation helps (sigma_n > sigma_n*) shrinks as
    # lambda grows; the simulated crossings exist and are ordered the same way.
    assert np.all(np.isfinite(th_cross)) and np.all(np.diff(th_cross) > 0)
    assert np.all(np.isfinite(sim_cross)) and np.all(np.diff(sim_cross) > 0)


# ----------------------------------------------------------------------------- fig 18
def test_fig18_weight_decay_depends_on_sigma_n():
    data = _data("18")
    wd, lr = np.asarray(data["weight_decay"]), np.asarray(data["logit_reg"])
    # logit regularisation: same draws rescaled -> flat to solver precision (B9)
    assert np.ptp(lr) <= SOLVER_ACC_ATOL
    # weight decay: strictly decreasing in sigma_n (the isotropic penalty weighs the
    # noise coordinates less as they grow), from near the Bayes accuracy towards 1/2
    assert np.all(np.diff(wd) < 0)
    assert np.ptp(wd) > 0.1
    # Bayes Phi(mu_f/sigma_f) bounds every classifier's accuracy on this model (the
    # optimal rule is sign(x_1)): rounding only.
    assert data["bayes"] == pytest.approx(special.ndtr(1.0 / 0.5), rel=1e-15)
    assert wd.max() <= data["bayes"] + 1e-12
    # the two limits of weight decay bracket the (sigma_n-free) logit-regularised accuracy
    assert wd[0] > lr[0] > wd[-1]


# ----------------------------------------------------------------------------- fig 19
def test_fig19_alignment_law():
    data = _data("19")
    s = data["settings"]
    # Eq. 4 with seed noise: 1 - R^2 ~ (dC^2/C^2)^2 sum x^2 / sum (x - xbar)^2 with
    # dC^2 = sigma_f^2 * 2 * (0.4/sqrt(d reps)) / rho_v^3 gives ~0.006 at d=400, reps=3:
    # R^2 >= 0.99 (check B9's threshold) keeps a margin.
    assert data["r2"] >= 0.99
    # Fitted C against the CGMT value (A1): the slope is dominated by the smallest
    # sigma_n (largest x), i.e. by `reps` draws there, so dC ~ dC^2 / (2C), 3 sigma; the
    # intercept (theory 1) comes from the small-x points, error ~ dC^2 * x <= dC^2.
    kappa = s["mu_f"] / s["sigma_f"]
    rho_v = kappa ** -1 * special.ndtri(data["accuracy_cgmt"])   # A = Phi(kappa rho_v)
    dC2 = s["sigma_f"] ** 2 * 2 * 0.4 / math.sqrt(s["d"] * s["reps"]) / rho_v**3
    tol_C = 3 * dC2 / (2 * data["C_cgmt"])
    assert abs(data["C"] - data["C_cgmt"]) <= tol_C
    assert abs(data["intercept"] - 1.0) <= 3 * dC2
    # Eq. 5 with Eq. 4 (sigma_n cancelled) vs the CGMT accuracy: dA/dC times tol_C.
    c = data["C_cgmt"]
    q = math.sqrt(s["sigma_f"] ** 2 + c**2)
    dA_dC = math.exp(-(s["mu_f"] / q) ** 2 / 2) / math.sqrt(2 * math.pi) * s["mu_f"] * c / q**3
    assert abs(data["accuracy_eq5"] - data["accuracy_cgmt"]) <= dA_dC * tol_C
    # measured accuracies scatter around it by the same per-draw noise, no sigma_n trend
    meas = np.asarray(data["accuracy_measured"])
    assert np.all(np.abs(meas - data["accuracy_eq5"]) <= 2 * dA_dC * tol_C)


# ------------------------------------------------------------------- threshold-binary
def test_threshold_binary_step_and_cover():
    data = _data("threshold-binary")
    s = data["settings"]
    t = s["trials"]
    for d, c in data["curves"].items():
        for n, reg, unreg, wd, cov in zip(c["n"], c["reg"], c["unreg"], c["wd"], c["cover"]):
            # B7: exact step at N = d for alpha > 0 (S_perp = 0 to 1e-8 relative)
            assert reg == (t if n >= d else 0)
            # weight decay never gives S_perp = 0 (its gradient there is nonzero)
            assert wd == 0
            # max-margin: perfect iff the noise is not separable, probability from
            # Cover's formula (independent); 3-sigma Wilson interval of `t` draws.
            assert cov == pytest.approx(1.0 - cover_probability(n, d - 1), abs=1e-15)
            lo, hi = binomial_interval(unreg, t, z=3.0)
            assert lo <= cov <= hi, (d, n, unreg, cov)
    # Cover's midpoint: P = 1/2 exactly at N = 2(d-1) (A3)
    d = s["ds"][0]
    assert cover_perfect_probability(2 * (d - 1), d) == 0.5
