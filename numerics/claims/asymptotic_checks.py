r"""Claims A0-A5: the proportional-limit theory against the toolkit's own simulations.

* A0 -- exact reduction of the signal-plus-noise model to :math:`v = \kappa e_1 + g`.
* A1 -- CGMT fixed point (:mod:`numerics.asymptotics`) vs exact-Newton simulations.
* A2 -- separability threshold :math:`\lambda_{sep}(\kappa)` vs the LP test; max-margin
  accuracy beyond it.
* A3 -- Cover's counting formula vs simulation at :math:`\sigma_f = 0`, the regularised
  step at :math:`N = d`, and Cover's limit :math:`\lambda = 1/2 = \lambda_{sep}(0)`.
* A4 -- analytic B10 benefit diagram (regularised vs gradient-descent limit) over
  simulated points.
* A5 -- which built-in regulariser is best at equal :math:`(\lambda, \kappa)`; is the pure
  square loss optimal (Taheri, Pedarsani & Thrampoulidis 2020)?

Simulated accuracies are population accuracies of the learned direction (Eq. 5,
:mod:`numerics.models.accuracy`, exact given :math:`S`), averaged over seeds; the standard
error is over seeds. Sizes: one table per claim (``A0_SIZES`` ... ``A5_SIZES``); A1, A2
and A4 return the data of their report figures (``A1_convergence``, ``A2_separability``,
``A4_benefit``; drawn by :mod:`numerics.figures.asymptotics`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from core.claims import CheckResult, register

from numerics.asymptotics import maxmargin_predict, mp_separability_threshold, predict, separability_threshold, unregularised_accuracy
from numerics.models.accuracy import gaussian_accuracy, isotropic_accuracy
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.max_margin import max_margin_direction
from numerics.solve.separability import cover_probability, is_linearly_separable
from numerics.solve.binary import minimize_binary
from numerics.claims._common import admissible_alpha, mean_and_sem, seeds
from numerics.claims.threshold import cover_outside, cover_perfect_probability, expected_regularised_hits, half_crossing, perfect_fraction, regularised_solver, unregularised_perfect

__all__ = ["A0_SIZES", "A1_SIZES", "A2_SIZES", "A3_SIZES", "A4_SIZES", "A5_SIZES",
           "simulate_accuracy", "a1_table", "gap_trend", "benefit_curves", "check_a0",
           "check_a1", "check_a2", "check_a3", "check_a4", "check_a5"]

#: Sizes of A0: the draw (n, d) and the sampled test set checking the formula.
A0_SIZES = {"default": dict(n=150, d=40, n_test=100_000),
            "full": dict(n=400, d=120, n_test=200_000)}
#: Sizes of A1: the grid (regularisers, lambda, kappa, alpha), dimensions and seeds.
A1_SIZES = {
    "default": dict(lams=(0.5,), kappas=(2.0,), alphas=(0.2,),
                    regs=("quadratic", "label_smoothing"), ds=(100, 200), n_seeds=10),
    "full": dict(lams=(0.2, 0.5, 0.8), kappas=(1.0, 2.0, 4.0), alphas=(0.05, 0.2, 0.6),
                 regs=("quadratic", "label_smoothing"), ds=(200, 400, 800, 1600), n_seeds=10),
}
#: Sizes of A2: LP trials per lambda = factor * lambda_sep at each d; the max-margin
#: accuracy at lambda = 0.6 on ``n_mm`` draws of dimension ``d_mm``.
A2_SIZES = {
    "default": dict(ds=(80,), trials=12, factors=(0.8, 0.9, 1.0, 1.1, 1.25), d_mm=120, n_mm=4),
    "full": dict(ds=(400, 800), trials=40, factors=(0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15),
                 d_mm=400, n_mm=12),
}
#: Sizes of A3: the dimension and the max-margin draws per N (regularised: trials // 5).
A3_SIZES = {"default": dict(d=30, trials=30), "full": dict(d=60, trials=100)}
#: Sizes of A4 (lambda = 0.7, alpha = 0.4): sigma_f values, d, seeds, simulated sigma_n.
A4_SIZES = {
    "default": dict(sigma_fs=(0.5,), d=120, n_seeds=3, sigma_ns=(0.25, 1.0, 4.0)),
    "full": dict(sigma_fs=(0.5, 0.8), d=400, n_seeds=8, sigma_ns=(0.25, 1.0, 3.0, 6.0)),
}
#: Sizes of A5: (lambda, kappa) points and the alphas compared.
A5_SIZES = {
    "default": dict(points=((0.2, 1.0), (0.5, 2.0)), alphas=(0.0, 0.05, 0.3, 0.6)),
    "full": dict(points=((0.2, 1.0), (0.5, 2.0), (0.8, 1.0), (0.5, 4.0), (0.2, 4.0),
                         (0.8, 4.0), (0.35, 0.5), (0.65, 3.0)),
                 alphas=(0.0, 0.003, 0.01, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 0.95)),
}
#: sigma_n grid of the A4 figure's max-margin theory line.
A4_THEORY_SIGMA_NS = np.geomspace(0.1, 6, 60)


def simulate_accuracy(regularizer, alpha, lam, kappa, d, n_seeds, *, seed=0):
    r"""Population accuracies of the exact minimiser on ``n_seeds`` draws with
    :math:`\mu_f = 1`, :math:`\sigma_f = 1/\kappa`, :math:`\sigma_n = 1`, :math:`N = d/\lambda`."""
    n = int(round(d / lam))
    out = []
    for s in seeds(seed, n_seeds):
        ds = binary_signal_noise(n, d, mu_f=1.0, sigma_f=1.0 / kappa, sigma_n=1.0, seed=s)
        S = minimize_binary(ds.u, regularizer, alpha).coef
        out.append(gaussian_accuracy(S, mu_f=1.0, sigma_f=1.0 / kappa, sigma_n=1.0))
    return np.asarray(out)


# ----------------------------------------------------------------------------------- A0
@register("A0", "signal-plus-noise = isotropic mixture v = kappa e1 + g; acc = Phi(kappa cos)")
def check_a0(full: bool = False) -> CheckResult:
    s = A0_SIZES["full" if full else "default"]
    n, d = s["n"], s["d"]
    mu_f, sigma_f, sigma_n = 1.0, 0.5, 2.0
    kappa = mu_f / sigma_f
    ds = binary_signal_noise(n, d, mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n, seed=11)
    D = np.r_[sigma_f, np.full(d - 1, sigma_n)]
    V = ds.u / D
    yf = ds.y_clean * ds.xi_f
    # v = kappa e1 + g with g = (y xi_f, y xi_perp): exact up to one rounding per entry.
    draw_err = max(np.max(np.abs(V[:, 0] - kappa - yf)),
                   np.max(np.abs(V[:, 1:] - ds.y_clean[:, None] * ds.xi_perp)))
    S = minimize_binary(ds.u, "quadratic", 0.2).coef
    w = minimize_binary(V, "quadratic", 0.2).coef
    map_err = float(np.linalg.norm(w - D * S) / np.linalg.norm(w))
    acc_u = gaussian_accuracy(S, mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n)
    acc_v = isotropic_accuracy(w[0] / np.linalg.norm(w), kappa)
    test = ds.fresh(s["n_test"], seed=12)
    emp = float(np.mean(test.u @ S > 0))
    se = math.sqrt(acc_u * (1 - acc_u) / test.n)
    S2 = minimize_binary(ds.rescaled(sigma_n=0.5).u, "quadratic", 0.2).coef
    acc_2 = gaussian_accuracy(S2, mu_f=mu_f, sigma_f=sigma_f, sigma_n=0.5)
    ev = {"max |v - (kappa e1 + g)|": float(draw_err),
          "||w - D S|| / ||w||": map_err,
          "|acc(S; Eq.5) - Phi(kappa cos(w,e1))|": abs(acc_u - acc_v),
          "accuracy (formula)": acc_u, "accuracy (test set)": emp, "test SE": se,
          "|acc(sigma_n=2) - acc(sigma_n=0.5)|": abs(acc_u - acc_2)}
    passed = (draw_err <= 1e-12 and map_err <= 1e-8 and abs(acc_u - acc_v) <= 1e-12
              and abs(emp - acc_u) <= 3 * se and abs(acc_u - acc_2) <= 1e-9)
    return CheckResult(
        "A0", "reduction to the isotropic mixture", ev,
        "draws exact to 1e-12 (one rounding); minimiser map w = D S to 1e-8 (Newton to 1e-10 "
        "gradient); the two accuracy formulas to 1e-12; formula vs 1e5 test points within "
        "3 SE; sigma_n change of the same draw leaves the accuracy to 1e-9", passed)


# ----------------------------------------------------------------------------------- A1
def a1_table(cfg, seed=0):
    """Rows (reg, alpha, lam, kappa, d, predicted, sim mean, sim SE)."""
    rows = []
    for reg in cfg["regs"]:
        for lam in cfg["lams"]:
            for kappa in cfg["kappas"]:
                for alpha in cfg["alphas"]:
                    pred = predict(reg, alpha, lam, kappa, certify=False).accuracy
                    for j, d in enumerate(cfg["ds"]):
                        acc = simulate_accuracy(reg, alpha, lam, kappa, d, cfg["n_seeds"],
                                                seed=seed + 97 * j)
                        m, se = mean_and_sem(acc)
                        rows.append((reg, alpha, lam, kappa, d, pred, m, se))
    return rows


def gap_trend(rows, ds, *, z: float = 2.0) -> dict:
    r"""Finite-size convergence of the A1 table: per dimension the mean absolute gap
    :math:`\bar g_d = \operatorname{mean}|sim - pred|` over configurations and its standard
    error :math:`s_d` (std of the :math:`|gap|` / :math:`\sqrt{n_{conf}}`).

    ``strict``: :math:`\bar g` non-increasing in :math:`d`. ``shrinking``: the same up to
    noise, :math:`\bar g_{d'} \le \bar g_d + z\sqrt{s_d^2 + s_{d'}^2}` for consecutive
    :math:`d < d'`, *and* a resolved decrease over the whole range,
    :math:`\bar g_{d_{max}} < \bar g_{d_{min}} - z\sqrt{s_{d_{min}}^2 + s_{d_{max}}^2}`.
    Why not ``strict``: once the CGMT bias falls below the seed noise of the simulations
    (10 seeds), :math:`\bar g_d` sits at a noise floor and its order between the largest
    two dimensions is a coin toss (A1 at paper size: 0.57e-3 +- 0.10e-3 at d=800,
    0.68e-3 +- 0.09e-3 at d=1600, every configuration within 1.2 SE of its prediction).
    """
    gaps, ses = {}, {}
    for d in ds:
        g = np.array([abs(r[6] - r[5]) for r in rows if r[4] == d])
        gaps[d] = float(g.mean())
        ses[d] = float(g.std(ddof=1) / math.sqrt(g.size)) if g.size > 1 else 0.0
    pairs = list(zip(ds, ds[1:]))
    strict = all(gaps[a] >= gaps[b] for a, b in pairs)
    within = all(gaps[b] <= gaps[a] + z * math.hypot(ses[a], ses[b]) for a, b in pairs)
    lo, hi = ds[0], ds[-1]
    resolved = gaps[hi] < gaps[lo] - z * math.hypot(ses[lo], ses[hi])
    return {"gaps": gaps, "ses": ses, "strict": strict, "shrinking": within and resolved}


@register("A1", "CGMT fixed point predicts the proportional-limit accuracy")
def check_a1(full: bool = False, regularizer=None) -> CheckResult:
    r"""A1 at ``A1_SIZES``; ``data["A1_convergence"]``: per ``ds`` the mean gap ``gaps``
    and the mean standard error ``mean_se`` of the simulations. With ``regularizer`` (a
    ``theory.Regularizer``) the grid's regularisers are that one alone, at alpha 0.05 and
    the grid's alphas."""
    cfg = A1_SIZES["full" if full else "default"]
    if regularizer is not None:
        cfg = dict(cfg, regs=(regularizer,), alphas=tuple(sorted({0.05, *cfg["alphas"]})))
    rows = [(getattr(r[0], "name", r[0]),) + tuple(r[1:]) for r in a1_table(cfg)]
    d_max = cfg["ds"][-1]
    big = [r for r in rows if r[4] == d_max]
    z = [abs(r[6] - r[5]) / r[7] for r in big]
    # The SE is estimated from n_seeds runs: the 3-sigma band becomes the matching
    # Student-t quantile (two-sided 0.27%), 4.09 for 10 seeds.
    from scipy import stats
    band = float(stats.t.ppf(1 - 0.00135, cfg["n_seeds"] - 1))
    trend = gap_trend(rows, cfg["ds"])
    gaps = trend["gaps"]
    outside = sum(v > band for v in z)
    ev = {"configurations": len(big), "t band (3-sigma equivalent)": band,
          f"outside band at d={d_max}": outside,
          "max |pred-sim|/SE": float(max(z))}
    ev.update({f"mean |gap| d={d}": f"{g:.3e} +- {trend['ses'][d]:.1e}" for d, g in gaps.items()})
    for r in big[:4]:
        ev[f"{r[0]} a={r[1]} lam={r[2]} k={r[3]}: pred / sim"] = f"{r[5]:.5f} / {r[6]:.5f}+-{r[7]:.5f}"
    shrinking = trend["shrinking"]
    ev["mean gap strictly non-increasing in d"] = trend["strict"]
    ev["mean gap shrinking in d (up to 2 SE; resolved decrease d_min -> d_max)"] = shrinking
    # Multiple testing over the grid: a 3-SE band fails with p~0.003 per configuration (a
    # t-distribution with 9 dof: ~0.015); allow 2% of the grid, at least 0.
    allowed = int(0.02 * len(big))
    passed = outside <= allowed and (shrinking or not full)
    data = {"ds": list(cfg["ds"]), "gaps": [gaps[d] for d in cfg["ds"]],
            "mean_se": [float(np.mean([r[7] for r in rows if r[4] == d])) for d in cfg["ds"]]}
    return CheckResult(
        "A1", "proportional-limit accuracy", ev,
        f"|pred - sim| <= t_(0.99865, {cfg['n_seeds'] - 1}) SE (the 3-sigma band with the SE "
        f"estimated from {cfg['n_seeds']} seeds) at d={d_max} for all but "
        f"{allowed} configurations; full: mean |gap| over d={cfg['ds']} non-increasing up to 2 combined SE per "
        "step, and smaller at the largest d than at the smallest by more than 2 SE",
        passed, data={"A1_convergence": data},
        note="| reg | alpha | lam | kappa | d | predicted | simulated | SE |\n|---|---|---|---|---|---|---|---|\n"
             + "\n".join(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.5f} | "
                         f"{r[6]:.5f} | {r[7]:.5f} |" for r in rows))


# ----------------------------------------------------------------------------------- A2
def separable_fraction(lam, kappa, d, trials, *, seed=0) -> int:
    """LP-certified separable draws of :math:`v = \\kappa e_1 + g` (N = d/lam)."""
    n = int(round(d / lam))
    hits = 0
    for s in seeds(seed, trials):
        rng = np.random.default_rng(s)
        V = rng.standard_normal((n, d))
        V[:, 0] += kappa
        hits += is_linearly_separable(V)
    return hits


@register("A2", "separability threshold lambda_sep(kappa) and the max-margin limit beyond it")
def check_a2(full: bool = False) -> CheckResult:
    r"""A2 at ``A2_SIZES``; ``data["A2_separability"]``: LP-separable ``fractions`` per d
    at ``lams``, and ``lam_sep``."""
    s = A2_SIZES["full" if full else "default"]
    kappa = 1.0
    lam_sep = separability_threshold(kappa)
    ds_list, trials = s["ds"], s["trials"]
    lams = [f * lam_sep for f in s["factors"]]
    ev = {"lam_sep(1) (CGMT)": lam_sep}
    crossings, fractions = {}, {}
    for d in ds_list:
        fr = [separable_fraction(l, kappa, d, trials, seed=7 * d + j) / trials
              for j, l in enumerate(lams)]
        fractions[d] = fr
        # 1/2-crossing; NaN if the fraction never reaches 1/2 or starts above it
        crossings[d] = half_crossing(lams, fr, never=float("nan"), at_start=float("nan"))
        ev[f"empirical crossing d={d}"] = crossings[d]
    tol = 0.02 if full else 0.03
    cross_ok = all(abs(c - lam_sep) <= tol for c in crossings.values())
    # Shape and certification of lam_sep: lam_sep(0) = 1/2 (Cover), decreasing in kappa,
    # float Brent root vs 30-digit findroot.
    grid = [0.0, 0.5, 1.0, 2.0, 4.0]
    vals = [separability_threshold(k) for k in grid]
    mp_gap = max(abs(separability_threshold(k) - float(mp_separability_threshold(k)))
                 for k in grid)
    ev["lam_sep on kappa=0,0.5,1,2,4"] = ", ".join(f"{v:.6g}" for v in vals)
    ev["max |float - 30-digit| lam_sep"] = mp_gap
    shape_ok = vals[0] == 0.5 and all(a > b for a, b in zip(vals, vals[1:])) and mp_gap < 1e-12
    # Max-margin accuracy beyond the threshold vs clarabel hard-margin SVM.
    lam_mm, d_mm, n_mm = 0.6, s["d_mm"], s["n_mm"]
    mm_pred = maxmargin_predict(lam_mm, kappa).accuracy
    accs = []
    for s in seeds(5, n_mm):
        rng = np.random.default_rng(s)
        V = rng.standard_normal((int(round(d_mm / lam_mm)), d_mm))
        V[:, 0] += kappa
        w = max_margin_direction(V).direction
        accs.append(isotropic_accuracy(w[0], kappa))   # w is a unit vector
    m, se = mean_and_sem(accs)
    ev.update({"max-margin acc predicted (lam=0.6)": mm_pred, "max-margin acc simulated": m,
               "max-margin SE": se})
    # Allowance 0.005 for the O(1/d) finite-size bias at d=150 (A1 shows gaps of that size).
    mm_ok = abs(m - mm_pred) <= 3 * se + (0.0 if full else 0.005)
    data = {"lams": lams, "fractions": fractions, "lam_sep": lam_sep, "kappa": kappa}
    return CheckResult(
        "A2", "separability threshold", ev,
        f"empirical 1/2-crossing within {tol} of lam_sep ({trials} LP trials per point; "
        "reduced: O(1/d) shift and binomial noise at d=80); lam_sep(0)=1/2, decreasing, "
        "float = 30 digits to 1e-12; max-margin accuracy within 3 SE (+0.005 at reduced d=120)",
        cross_ok and shape_ok and mm_ok, data={"A2_separability": data})


# ----------------------------------------------------------------------------------- A3
@register("A3", "Cover's counting formula (sigma_f=0) and the regularised step at N=d")
def check_a3(full: bool = False) -> CheckResult:
    s = A3_SIZES["full" if full else "default"]
    d, trials = s["d"], s["trials"]
    D = d - 1
    ns = [int(round(f * D)) for f in (1.4, 1.7, 1.9, 2.0, 2.1, 2.3, 2.6)]
    outside = 0
    ev = {}
    for j, n in enumerate(ns):
        hits = unregularised_perfect(n, d, trials, seed=31 + j)   # not separable
        p_cover = cover_perfect_probability(n, d)   # 1 - P_sep(N, D)
        outside += cover_outside(hits, trials, n, d)
        ev[f"N={n}: P(not sep) sim / Cover"] = f"{hits / trials:.2f} / {p_cover:.3f}"
    step_ns = (d - 5, d - 1, d, d + 5)
    step = {n: perfect_fraction(regularised_solver(), n, d, max(4, trials // 5), seed=50 + n)
            for n in step_ns}
    reg_trials = max(4, trials // 5)
    step_ok = all(step[n] == expected_regularised_hits(n, d, reg_trials) for n in step_ns)
    ev["regularised perfect draws at N=d-5,d-1,d,d+5"] = ", ".join(str(step[n]) for n in step_ns)
    # Cover's limit vs the CGMT threshold at kappa=0 (two independent routes): the exact
    # finite-size P(sep) at N = 2D is 1/2 for every D, and lambda = D/N -> 1/2 = lam_sep(0).
    half = [cover_probability(2 * k, k) for k in (10, 100, 1000)]
    ev["Cover P(sep) at N=2D (D=10,100,1000)"] = ", ".join(f"{h:.12g}" for h in half)
    ev["lam_sep(0) (CGMT)"] = separability_threshold(0.0)
    limit_ok = all(abs(h - 0.5) < 1e-15 for h in half) and separability_threshold(0.0) == 0.5
    ev["Cover points outside 3-sigma"] = outside
    passed = outside <= 1 and step_ok and limit_ok
    return CheckResult(
        "A3", "finite-size thresholds", ev,
        "simulated non-separability within 3-sigma Wilson intervals of Cover (at most 1 of 7 "
        "points outside, lattice effects); regularised: exact step at N=d (S_perp=0 to 1e-8); "
        "Cover P=1/2 at N=2D exactly and lam_sep(0)=1/2", passed)


# ----------------------------------------------------------------------------------- A4
def benefit_curves(lam, alpha, sigma_f, sigma_ns, regularizer="quadratic"):
    """Theory: regularised accuracy (flat) and the GD-limit accuracy vs sigma_n; crossing.

    At ``lam <= lam_sep(kappa)`` the GD limit is the logistic MLE
    (:func:`~numerics.asymptotics.unregularised_accuracy`, flat in sigma_n) and the
    crossing is ``nan``."""
    kappa = 1.0 / sigma_f
    reg_acc = predict(regularizer, alpha, lam, kappa, certify=False).accuracy
    if lam <= separability_threshold(kappa):
        mm = [unregularised_accuracy(lam, kappa, noise_ratio=s / sigma_f) for s in sigma_ns]
        return reg_acc, np.asarray(mm, dtype=float), float("nan")
    mm = [maxmargin_predict(lam, kappa, weight=s / sigma_f).accuracy for s in sigma_ns]
    f = lambda s: maxmargin_predict(lam, kappa, weight=s / sigma_f).accuracy - reg_acc  # noqa
    lo, hi = 1e-3, 100.0
    star = optimize.brentq(f, lo, hi, xtol=1e-10) if f(lo) * f(hi) < 0 else float("nan")
    return reg_acc, np.asarray(mm), star


@register("A4", "analytic B10 benefit diagram (regularised vs max-margin) over simulations")
def check_a4(full: bool = False, regularizer=None) -> CheckResult:
    r"""A4 at ``A4_SIZES``; ``data["A4_benefit"]``: per sigma_f the theory (``reg_acc``,
    crossing ``star``, max-margin accuracy ``mm_theory`` on ``theory_sigma_ns``) and the
    simulated ``sims`` rows (sigma_n, reg mean, reg SE, max-margin mean, max-margin SE).
    The regularised side uses the quadratic built-in or ``regularizer`` (a
    ``theory.Regularizer``)."""
    reg_f = "quadratic" if regularizer is None else regularizer
    s = A4_SIZES["full" if full else "default"]
    lam, alpha = 0.7, admissible_alpha(regularizer, 0.4)  # 0.4 unless f's kink caps it
    sigma_fs, d, n_seeds, sim_sn = s["sigma_fs"], s["d"], s["n_seeds"], s["sigma_ns"]
    n = int(round(d / lam))
    ev, bad, figs_data = {}, 0, []
    for sf in sigma_fs:
        reg_acc, mm_acc, star = benefit_curves(lam, alpha, sf, sim_sn, regularizer=reg_f)
        ev[f"sigma_f={sf}: regularised acc (theory)"] = reg_acc
        ev[f"sigma_f={sf}: crossing sigma_n*"] = star
        sims = []
        for j, sn in enumerate(sim_sn):
            regs, mms = [], []
            for s in seeds(400 + 10 * j, n_seeds):
                ds = binary_signal_noise(n, d, mu_f=1.0, sigma_f=sf, sigma_n=sn, seed=s)
                S = minimize_binary(ds.u, reg_f, alpha).coef
                regs.append(gaussian_accuracy(S, mu_f=1.0, sigma_f=sf, sigma_n=sn))
                w = max_margin_direction(ds.u).direction
                mms.append(gaussian_accuracy(w, mu_f=1.0, sigma_f=sf, sigma_n=sn))
            (mr, sr), (mm_, sm) = mean_and_sem(regs), mean_and_sem(mms)
            # 3 SE plus 0.01 for the O(1/d) finite-size bias at d=120 (A1/A2 measure ~0.005).
            allow = 0.0 if full else 0.01
            bad += abs(mr - reg_acc) > 3 * sr + allow
            bad += abs(mm_ - mm_acc[j]) > 3 * sm + allow
            sims.append((sn, mr, sr, mm_, sm))
            ev[f"sf={sf} sn={sn}: reg sim/th, MM sim/th"] = \
                f"{mr:.3f}/{reg_acc:.3f}, {mm_:.3f}/{mm_acc[j]:.3f}"
        figs_data.append((sf, reg_acc, star, sims))
    ev["points outside tolerance"] = bad
    passed = bad == 0 and all(np.isfinite(s[2]) for s in figs_data)
    grid = A4_THEORY_SIGMA_NS
    data = {"lam": lam, "alpha": alpha, "theory_sigma_ns": grid,
            "panels": [{"sigma_f": sf, "reg_acc": reg_acc, "star": star,
                        "mm_theory": [maxmargin_predict(lam, 1 / sf, weight=x / sf).accuracy
                                      for x in grid],
                        "sims": np.asarray(sims)} for sf, reg_acc, star, sims in figs_data]}
    return CheckResult(
        "A4", "analytic benefit diagram", ev,
        "simulated regularised and max-margin accuracies within 3 SE of theory "
        "(+0.01 finite-size allowance at reduced d); crossing sigma_n* exists", passed,
        data={"A4_benefit": data})


# ----------------------------------------------------------------------------------- A5
@register("A5", "the square loss is optimal among the built-in losses at equal (lam, kappa)")
def check_a5(full: bool = False) -> CheckResult:
    s = A5_SIZES["full" if full else "default"]
    points, alphas = s["points"], s["alphas"]
    regs = ("quadratic", "label_smoothing", "maxsup", "confidence_penalty")
    worst, excluded, compared, best_other = -np.inf, {}, 0, {}
    ev = {}
    for lam, kappa in points:
        # Square loss: closed form rho^2 = kappa^2 (1-lam)/(kappa^2+lam), independent route.
        sq = isotropic_accuracy(math.sqrt(kappa**2 * (1 - lam) / (kappa**2 + lam)), kappa)
        best = (-np.inf, None)
        for reg in regs:
            for alpha in alphas:
                if alpha == 0.0 and (reg != "quadratic" or lam >= separability_threshold(kappa)):
                    continue
                try:
                    acc = predict(reg, alpha, lam, kappa, certify=False).accuracy
                except ValueError as exc:   # non-convex or degenerate (kink at 0)
                    excluded.setdefault(reg, str(exc).split(";")[0][:80])
                    continue
                compared += 1
                worst = max(worst, acc - sq)
                if acc > best[0]:
                    best = (acc, f"{reg} a={alpha}")
        ev[f"lam={lam} k={kappa}: square / best other"] = f"{sq:.6f} / {best[0]:.6f} ({best[1]})"
        best_other[(lam, kappa)] = best
    ev["losses compared"] = compared
    ev["max (acc - acc_square)"] = float(worst)
    ev["square loss optimal"] = bool(worst <= 1e-9)
    for reg, why in excluded.items():
        ev[f"excluded {reg}"] = why
    return CheckResult(
        "A5", "square loss optimal", ev,
        "acc(regulariser, alpha) <= acc(square) + 1e-9 at every point (root residual 1e-10 "
        "gives accuracy errors ~1e-10); non-convex losses are excluded, not compared",
        bool(worst <= 1e-9 and compared > 0))
