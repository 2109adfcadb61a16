r"""Binary figures on the signal-plus-noise model (issue 7): 4, 5, 6, 15, 16, 17, 18, 19
and ``threshold-binary`` (claims B7, B8, B9, B10, B13; A3, A4).

Each ``compute(size)`` reuses the claim code of :mod:`numerics.claims` (threshold,
grokking, invariance, weight decay, asymptotic checks), the sweep engine
(:mod:`numerics.sweep`) and the proportional-limit theory (:mod:`numerics.asymptotics`),
and returns plain data (the figure's numbers and a ``settings`` dict); each drawer turns
that data into a matplotlib Figure. Data model (THEORY.md Sec. 3), labels absorbed:
:math:`u = \mu_f e_1 + \sigma_f\xi_f e_1 + \sigma_n\xi_\perp`, :math:`\lambda = d/N`,
:math:`\kappa = \mu_f/\sigma_f`; "accuracy" is the exact Gaussian population accuracy of
the learned :math:`S` (Eq. 5), :math:`A(S) = \Phi\bigl(\mu_f S_1/\sqrt{\sigma_f^2S_1^2 +
\sigma_n^2\|S_\perp\|^2}\bigr)`, unless a sampled test set is named.

* **4** (B7, Prop. 5.1). :math:`\sigma_f = 0`, :math:`\alpha = 0.2`, :math:`N > d`: the
  minimiser collapses to :math:`S = (t^*/\mu_f)e_1`, so every training *and* test logit is

  .. math:: z = S\cdot x = y\,t^*,\qquad t^* = \arg\min_t \ell(t)\ (= 0.674832\ldots),

  whereas the max-margin direction (:math:`\alpha = 0`, rescaled to the same :math:`S_1`)
  has :math:`S_\perp \ne 0` and test logits :math:`y t^* + \sigma_n S_\perp\cdot\xi` spread
  around :math:`\pm t^*`. Third panel: :math:`\|S_\perp\|/S_1` vs :math:`N/d` (exactly 0
  from :math:`N = d` on for :math:`\alpha > 0`; from :math:`N \approx 2d` on for max-margin).
* **5** (B8, Fig. 5). Grokking: :math:`\sigma_f = 0`, :math:`\lambda = 0.7`, full-batch GD
  from 0: train/test accuracy, exact population error :math:`\Phi(-\mu_f S_1/\sigma_n
  \|S_\perp\|)` and population test loss vs epoch for :math:`\alpha \in \{0.1, 0.01,
  0.001\}` and :math:`\alpha = 0`, with :math:`T_{gen}` (error :math:`\le 10^{-6}`) and the
  delay :math:`T_{gen} - T_{train}` against the linear time constant
  :math:`\tau = 1/(\eta\,\ell''(t^*)\lambda_{min}(U^\top U/N))`
  (:mod:`numerics.claims.grokking`).
* **6** and **15** (B10, Figs 6 and 15; :math:`\lambda = 0.7` and :math:`0.4`). Benefit
  phase diagram: accuracy of the :math:`\alpha = 0.4` minimiser and of the unregularised
  gradient-descent limit (max-margin) vs :math:`\sigma_n \in [0.1, 6]`, per
  :math:`\sigma_f`, through the sweep engine (common random numbers: one standardised draw
  per seed, rescaled). Lines: the CGMT theory (A4), regularised :math:`\Phi(\kappa\rho)`
  (flat) and max-margin with norm weight :math:`\sigma_n/\sigma_f`; their crossing

  .. math:: A_{MM}(\sigma_n^*;\lambda,\kappa) = A_{reg}(\lambda,\kappa)

  is marked (theory: dotted; simulation: triangle).
* **16** (B10 machinery, sweep over :math:`\lambda`). Same two accuracies vs
  :math:`\lambda = d/N` at fixed :math:`N`, :math:`\sigma_f = 0.5` and several fixed
  :math:`\sigma_n`; the regularised points coincide for every :math:`\sigma_n` (B9).
* **17** (B10 machinery, sweep over :math:`\sigma_n`). Both accuracies and the gain
  :math:`A_{reg} - A_{unreg}` vs :math:`\sigma_n` at several fixed :math:`\lambda`
  (:math:`\sigma_f = 0.5`), with :math:`\sigma_n^*(\lambda)`.
* **18** (B13, Fig. 18). Weight decay :math:`\sum_i\log(1+e^{-t_i}) +
  \frac\gamma2\|S\|^2` (:math:`\gamma = 0.2`) vs logit regularisation (:math:`\alpha = 0.2`)
  on the same draws rescaled in :math:`\sigma_n`: weight decay moves from the Bayes
  accuracy :math:`\Phi(\mu_f/\sigma_f)` (:math:`\sigma_n \to 0`) towards 1/2
  (:math:`\sigma_n \to \infty`, :math:`\lambda > 1/2`), logit regularisation is flat.
* **19** (B9, Eqs 4-5). Fresh draws per :math:`\sigma_n`, :math:`\alpha = 0.2`: the
  alignment law

  .. math:: \frac1{\rho^2} = 1 + \frac{C^2}{\sigma_n^2},\qquad \rho = \cos(S_{min}, e_1),

  fitted line and :math:`R^2`, against the CGMT value
  :math:`C = \sigma_f\sqrt{1/\rho_v^2 - 1}` (:math:`\rho_v` the cosine in the isotropic
  coordinates, A1); and Eq. 5 with Eq. 4 substituted (:math:`\sigma_n` cancels),
  :math:`A = \Phi(\mu_f/\sqrt{\sigma_f^2 + C^2})`, against the measured accuracies.
* **threshold-binary** (B7, A3). :math:`\sigma_f = 0`: P(perfect generalisation,
  :math:`S_\perp = 0`) vs :math:`N/d` for the :math:`\alpha = 0.2` minimiser (an exact
  step at :math:`N = d`), weight decay (never) and max-margin, with Cover's formula for
  the latter (the noise parts are not separable in :math:`D = d - 1` dimensions):

  .. math:: P_{perfect}(N, d) = 1 - 2^{1-N}\sum_{k<d-1}\binom{N-1}{k}.

Sizes: ``"test"`` (seconds; the tests check the claims on it), ``"default"`` (what
``logitreg figure`` draws, under 15 s each on one core) and ``"full"`` (THEORY.md
Sec. 2: :math:`d = 1400`, :math:`N = 2000` or :math:`N = 2000`, :math:`d = 800`; slow).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import special

from numerics.asymptotics import predict, separability_threshold, unregularised_accuracy
from numerics.compile.compiled import compile_binary
from numerics.models.data import binary_signal_noise
from numerics.claims import grokking as grok
from numerics.claims._common import seeds
from numerics.claims.asymptotic_checks import benefit_curves
from numerics.claims.clustering import blas_single_thread
from numerics.claims.invariance import alignment_constant, alignment_fit, benefit_diagram, crossing, eq5_accuracy, gaussian_accuracy
from numerics.claims.threshold import ThresholdCurves, cover_perfect_probability, draw_b7, s_perp_ratio, sample_size, threshold_curves
from numerics.claims.weight_decay import accuracy_vs_sigma_n
from numerics.solve.maxmargin import max_margin_direction
from numerics.solve.solvers import minimize_binary
from numerics.sweep import benefit_diagram_sweep
from numerics.figures._registry import check_size, figure, pyplot

__all__ = ["fig4", "fig5", "fig6", "fig15", "fig16", "fig17", "fig18", "fig19",
           "fig_threshold_binary", "cover_perfect_probability"]

REGULARIZER = "quadratic"


def _grid(space, lo, hi, num) -> list:
    """``np.geomspace``/``np.linspace`` (``space``) rounded to 6 digits, as plain floats."""
    return [round(float(x), 6) for x in space(lo, hi, num)]


# ------------------------------------------------------------------------------- fig 4
#: B7 collapse. Histogram draw at lambda ~ 0.67 (max-margin noise separable w.h.p.);
#: scan of ||S_perp||/S_1 over N/d at a smaller d, several draws per point.
_SCAN_RATIOS = [0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 4.0]
FIG4_SETTINGS = {
    "test": dict(n=30, d=20, n_test=2000, scan_d=16, scan_ratios=_SCAN_RATIOS,
                 scan_draws=3, seed=4),
    "default": dict(n=300, d=200, n_test=10000, scan_d=40, scan_ratios=_SCAN_RATIOS,
                    scan_draws=6, seed=4),
    "full": dict(n=2000, d=1400, n_test=20000, scan_d=200, scan_ratios=_SCAN_RATIOS,
                 scan_draws=10, seed=4),
}


@figure("4", "B7 collapse at sigma_f=0: alpha>0 puts every training and test logit at "
             "+-t* (S=(t*/mu_f)e1); max-margin test logits spread; ||S_perp||/S_1 vs N/d",
        claims=("B7",))
def fig4(size: str = "default") -> dict:
    r"""Data of Fig. 4 (claim B7).

    Returns ``t_star`` (compiled target :math:`t^*(\alpha)`), ``logits`` (``reg``/``mm`` ->
    ``train``/``test`` raw logits :math:`S\cdot x`; max-margin rescaled to
    :math:`S_1 = t^*/\mu_f`), ``labels`` (``train``/``test``), ``s_perp_ratio``
    (``reg``/``mm`` -> :math:`\|S_\perp\|/S_1`), ``max_logit_deviation``
    (``reg`` -> ``train``/``test`` -> :math:`\max_i ||z_i| - t^*|`), ``mm_population_error``
    and ``mm_test_accuracy`` (sampled), ``scan`` (``ratios``, ``n``, ``reg``/``mm``: lists of
    per-draw ratios per N/d) and the settings.
    """
    s = dict(FIG4_SETTINGS[check_size(size, "fig4")])
    alpha, mu_f, sigma_n = 0.2, 1.0, 1.0
    t_star = float(compile_binary(REGULARIZER).target(alpha))
    with blas_single_thread():
        ds = binary_signal_noise(s["n"], s["d"], mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n,
                                 seed=s["seed"])
        test = ds.fresh(s["n_test"], seed=s["seed"] + 1)
        S_reg = minimize_binary(ds.u, REGULARIZER, alpha).coef
        mm = max_margin_direction(ds.u).direction
        S_mm = mm * (t_star / mu_f) / mm[0]
        scan = {"ratios": list(s["scan_ratios"]), "n": [], "reg": [], "mm": []}
        dd = s["scan_d"]
        for j, r in enumerate(s["scan_ratios"]):
            n = sample_size(r, dd)
            scan["n"].append(n)
            reg_r, mm_r = [], []
            for sd in seeds(s["seed"] + 100 + j, s["scan_draws"]):
                u = binary_signal_noise(n, dd, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n,
                                        seed=sd).u
                reg_r.append(s_perp_ratio(minimize_binary(u, REGULARIZER, alpha).coef))
                mm_r.append(s_perp_ratio(max_margin_direction(u).direction))
            scan["reg"].append(reg_r)
            scan["mm"].append(mm_r)
    logits = {k: {"train": ds.X @ S, "test": test.X @ S} for k, S in
              (("reg", S_reg), ("mm", S_mm))}
    dev = {part: float(np.max(np.abs(np.abs(logits["reg"][part]) - t_star)))
           for part in ("train", "test")}
    s.update(alpha=alpha, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n, regularizer=REGULARIZER)
    return {"settings": s, "t_star": t_star, "logits": logits,
            "labels": {"train": ds.y, "test": test.y},
            "s_perp_ratio": {"reg": s_perp_ratio(S_reg), "mm": s_perp_ratio(S_mm)},
            "max_logit_deviation": {"reg": dev},
            "mm_population_error": float(grok.population_error(S_mm, mu_f=mu_f,
                                                               sigma_n=sigma_n)[0]),
            "mm_test_accuracy": float(np.mean(test.u @ S_mm > 0)),
            "scan": scan}


@fig4.drawer
def _draw_fig4(data):
    plt = pyplot()
    s, ts = data["settings"], data["t_star"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    allz = np.concatenate([np.asarray(data["logits"][k][p]) for k in ("reg", "mm")
                           for p in ("train", "test")])
    zmax = float(np.max(np.abs(allz))) * 1.05
    bins = np.linspace(-zmax, zmax, 81)
    titles = {"reg": f"alpha={s['alpha']} (exact minimiser): ||S_perp||/S_1 = "
                     f"{data['s_perp_ratio']['reg']:.1e}",
              "mm": f"alpha=0 (max-margin, scaled to S_1 = t*/mu_f): ||S_perp||/S_1 = "
                    f"{data['s_perp_ratio']['mm']:.2f}"}
    for ax, key in zip(axes[:2], ("reg", "mm")):
        for part, col in (("train", "tab:blue"), ("test", "tab:orange")):
            z = np.asarray(data["logits"][key][part])
            ax.hist(z, bins=bins, density=True, alpha=0.55, color=col,
                    label=f"{part} logits ({z.size})")
        for sign in (-1, 1):
            ax.axvline(sign * ts, color="k", ls="--", lw=0.8,
                       label=f"+-t* = +-{ts:.4f}" if sign > 0 else None)
        ax.set_xlabel("logit z = S.x (nats)")
        ax.set_ylabel("density (per nat)")
        ax.set_title(titles[key], fontsize=8)
        ax.legend(fontsize=7)
    ax = axes[2]
    sc = data["scan"]
    floor = 1e-17
    x = np.asarray(sc["n"], dtype=float) / s["scan_d"]
    for key, mk, col, lab in (("reg", "s", "tab:green", f"alpha={s['alpha']}"),
                              ("mm", "o", "tab:red", "max-margin (alpha=0)")):
        vals = np.maximum(np.asarray(sc[key], dtype=float), floor)
        for j in range(vals.shape[1]):
            ax.plot(x, vals[:, j], mk, ms=3, color=col, alpha=0.6,
                    label=lab if j == 0 else None)
        ax.plot(x, np.median(vals, axis=1), "-", color=col, lw=0.8)
    ax.axvline(1.0, color="grey", ls=":", lw=0.8, label="N = d")
    ax.axvline(2.0 * (s["scan_d"] - 1) / s["scan_d"], color="grey", ls="--", lw=0.8,
               label="N = 2(d-1) (Cover midpoint)")
    ax.set_yscale("log")
    ax.set_xlabel(f"N / d  (d={s['scan_d']}, {s['scan_draws']} draws per point)")
    ax.set_ylabel("||S_perp|| / S_1  (floored at 1e-17)")
    ax.set_title("orthogonal part of the solution", fontsize=8)
    ax.legend(fontsize=7)
    fig.suptitle(f"Fig. 4 (B7): collapse to (t*/mu_f) e1 at sigma_f=0; histogram draw d={s['d']}, "
                 f"N={s['n']}, mu_f={s['mu_f']:g}, sigma_n={s['sigma_n']:g}, "
                 f"f = t^2, {s['n_test']} test points", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------- fig 5
#: B8. "test": d=28, N=40 (lambda = 0.7, mu_f = 0.3 as B8's reduced setting); "default":
#: B8's reduced setting (d=140, N=200, mu_f=0.3); "full": the paper's (d=1400, N=2000,
#: mu_f=0.1), alpha > 0 runs continued past 200k epochs until certified (grokking notes).
_FIG5_ALPHAS = (0.1, 0.01, 0.001)
FIG5_SETTINGS = {
    "test": grok.GrokkingSetting(d=28, n=40, mu_f=0.3, max_epochs=60_000, alphas=(0.1, 0.01),
                                 n_test=2000, record_num=200, first_chunk=500, seed=3),
    "default": dataclasses.replace(grok.REDUCED, alphas=_FIG5_ALPHAS),
    "full": dataclasses.replace(grok.FULL_RUN, alphas=_FIG5_ALPHAS),
}
#: The paper's horizon (Fig. 5), marked on the plots.
PAPER_EPOCHS = 200_000


@figure("5", "B8 grokking: train/test accuracy, population error and test loss vs GD "
             "epoch (sigma_f=0, lambda=0.7) for alpha in {0.1, 0.01, 0.001} and alpha=0",
        claims=("B8",))
def fig5(size: str = "default") -> dict:
    r"""Data of Fig. 5 (claim B8): one record per :math:`\alpha` (largest first, 0 last)
    with ``epochs``, ``train_accuracy``, ``test_accuracy`` (fresh test set of ``n_test``),
    ``error`` (exact population error), ``test_loss`` (exact population loss),
    ``t_train`` (train accuracy 1 from then on), ``t_gen`` (population error
    :math:`\le 10^{-6}` from then on), ``delay`` (:math:`T_{gen} - T_{train}`),
    ``certified_at`` and ``tau`` (linear time constant, NaN for 0); plus
    ``max_margin_error`` (population error of the :math:`\alpha = 0` limit),
    ``lambda_min`` and the settings."""
    setting = FIG5_SETTINGS[check_size(size, "fig5")]
    with blas_single_thread():
        res = grok.grokking_runs(setting)
    theory = grok.theory_table(res["data"].u, setting.alphas, setting.lr)
    runs = []
    for a in sorted(res["runs"], reverse=True):
        r = res["runs"][a]
        runs.append({"alpha": float(a), "epochs": r.epochs,
                     "train_accuracy": r.train_accuracy, "test_accuracy": r.test_accuracy,
                     "error": r.error, "test_loss": r.pop_loss, "t_train": r.t_train,
                     "t_gen": r.t_gen, "delay": r.delay, "certified_at": r.certified_at,
                     "tau": theory[a]["tau"] if a > 0 else math.nan})
    settings = dataclasses.asdict(setting)
    settings.update(sigma_f=0.0, regularizer=REGULARIZER, paper_epochs=PAPER_EPOCHS)
    mm_err = float(grok.population_error(res["max_margin"], mu_f=setting.mu_f,
                                         sigma_n=setting.sigma_n)[0])
    return {"settings": settings, "runs": runs, "max_margin_error": mm_err,
            "lambda_min": theory["lambda_min"]}


@fig5.drawer
def _draw_fig5(data):
    plt = pyplot()
    s = data["settings"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    (ax_acc, ax_err), (ax_loss, ax_del) = axes
    cmap = plt.get_cmap("viridis")
    runs = data["runs"]
    for j, r in enumerate(runs):
        a = r["alpha"]
        col = "k" if a == 0 else cmap(j / max(1, len(runs) - 1))
        e = np.asarray(r["epochs"], dtype=float)
        sel = e > 0   # log axis: S_0 = 0 has only zero logits
        lab = f"alpha={a:g}"
        ax_acc.plot(e[sel], np.asarray(r["test_accuracy"])[sel], color=col, lw=1.2,
                    label=f"test, {lab}")
        ax_acc.plot(e[sel], np.asarray(r["train_accuracy"])[sel], color=col, lw=0.9, ls=":",
                    label=f"train, {lab}")
        ax_err.plot(e[sel], np.maximum(np.asarray(r["error"], dtype=float)[sel], 1e-16),
                    color=col, lw=1.2, label=lab)
        ax_loss.plot(e[sel], np.asarray(r["test_loss"])[sel], color=col, lw=1.2, label=lab)
        if a > 0 and r["t_gen"] is not None and np.isfinite(r["t_gen"]):
            for ax in (ax_acc, ax_err, ax_loss):
                ax.axvline(r["t_gen"], color=col, lw=0.6, ls="--")
    ax_err.axhline(s["tol"], color="grey", lw=0.6, ls=":", label=f"tol = {s['tol']:g}")
    ax_err.axhline(data["max_margin_error"], color="k", lw=0.6, ls="-.",
                   label="alpha=0 limit (max-margin)")
    for ax in (ax_acc, ax_err, ax_loss):
        ax.set_xscale("log")
        ax.set_xlabel(f"GD epoch (full batch, lr={s['lr']:g}); dashed: T_gen")
        if max(float(np.max(r["epochs"])) for r in runs) >= s["paper_epochs"]:
            ax.axvline(s["paper_epochs"], color="red", lw=0.6, ls=":")
    ax_err.set_yscale("log")
    ax_acc.set_ylabel(f"accuracy (test: {s['n_test']} fresh samples)")
    ax_acc.set_title("train (dotted) / test (solid) accuracy", fontsize=8)
    ax_err.set_ylabel("population test error (exact)")
    ax_err.set_title("Phi(-mu_f S_1 / (sigma_n ||S_perp||)), floored at 1e-16", fontsize=8)
    ax_loss.set_ylabel("population test loss E l_alpha(S.u) (nats)")
    ax_loss.set_title("test loss (Gauss-Hermite, exact)", fontsize=8)
    pos = [r for r in runs if r["alpha"] > 0]
    al = np.array([r["alpha"] for r in pos])
    de = np.array([r["delay"] for r in pos], dtype=float)
    tau = np.array([r["tau"] for r in pos], dtype=float)
    ok = np.isfinite(de) & (de > 0)
    ax_del.loglog(al[ok], de[ok], "o-", label="measured delay T_gen - T_train")
    ax_del.loglog(al, tau, "s--", ms=3, lw=0.8,
                  label="tau = 1/(lr l''(t*) lambda_min(U^T U/N))")
    ax_del.set_xlabel("alpha (quadratic f = t^2)")
    ax_del.set_ylabel("epochs")
    ax_del.set_title(f"delay vs alpha (lambda_min = {data['lambda_min']:.3g})", fontsize=8)
    for ax in (ax_acc, ax_loss, ax_del):
        ax.legend(fontsize=6)
    ax_err.legend(fontsize=6)
    fig.suptitle(f"Fig. 5 (B8): grokking, d={s['d']}, N={s['n']} (lambda={s['d'] / s['n']:.2g}), "
                 f"mu_f={s['mu_f']:g}, sigma_f=0, sigma_n={s['sigma_n']:g}, lr={s['lr']:g}; "
                 f"red dotted: paper's {s['paper_epochs']} epochs", fontsize=9)
    fig.tight_layout()
    return fig


# -------------------------------------------------------------------------- figs 6, 15
#: B10 settings (alpha = 0.4, mu_f = 1): N and the sigma grids; d = round(lambda N).
FIG_BENEFIT_SETTINGS = {
    "test": dict(n=60, sigma_fs=[0.5, 0.8], sigma_ns=[0.1, 0.2, 0.5, 1.2, 3.0, 6.0],
                 n_seeds=2, seed=60),
    "default": dict(n=400, sigma_fs=[0.5, 0.8],
                    sigma_ns=_grid(np.geomspace, 0.1, 6.0, 10),
                    n_seeds=3, seed=60),
    "full": dict(n=2000, sigma_fs=[0.3, 0.5, 0.8, 1.0],
                 sigma_ns=_grid(np.geomspace, 0.1, 6.0, 12),
                 n_seeds=3, seed=60),
}
_THEORY_SIGMA_NS = np.geomspace(0.1, 6.0, 60)


def _benefit_theory(alpha, lam_sigma_fs):
    """A4 lines (:func:`benefit_curves`) on :data:`_THEORY_SIGMA_NS` for each
    ``(lambda, sigma_f)``: ``reg`` accuracies, ``unreg`` curves, ``crossing`` sigma_n*."""
    theory = {"sigma_ns": _THEORY_SIGMA_NS, "reg": [], "unreg": [], "crossing": []}
    for lam, sf in lam_sigma_fs:
        reg, mm, star = benefit_curves(lam, alpha, sf, _THEORY_SIGMA_NS, REGULARIZER)
        theory["reg"].append(float(reg))
        theory["unreg"].append(np.asarray(mm, dtype=float))
        theory["crossing"].append(float(star))
    return theory


def _benefit_panel(ax, sigma_ns, reg, unreg, theory, i, col, alpha, tag):
    """One family of a benefit panel: simulated regularised (o) and unregularised (s)
    accuracies vs sigma_n with the A4 lines (solid: regularised, dashed: unregularised)."""
    ax.plot(sigma_ns, np.asarray(reg), "o", color=col, label=f"alpha={alpha} (sim), {tag}")
    ax.plot(sigma_ns, np.asarray(unreg), "s", mfc="none", color=col,
            label=f"unregularised / max-margin (sim), {tag}")
    ax.axhline(theory["reg"][i], color=col, lw=0.9, ls="-")
    ax.plot(theory["sigma_ns"], theory["unreg"][i], color=col, lw=0.9, ls="--")


def _benefit_figure(lam, size, caller):
    s = dict(FIG_BENEFIT_SETTINGS[check_size(size, caller)])
    alpha = 0.4
    n = s["n"]
    d = int(round(lam * n))
    with blas_single_thread():
        reg, unreg = benefit_diagram(n, d, s["sigma_fs"], s["sigma_ns"], alpha=alpha,
                                     n_seeds=s["n_seeds"], seed=s["seed"])
    theory = _benefit_theory(alpha, [(d / n, sf) for sf in s["sigma_fs"]])
    theory["lam_sep"] = [separability_threshold(1.0 / sf) for sf in s["sigma_fs"]]
    cross = [crossing(s["sigma_ns"], reg[i], unreg[i]) for i in range(len(s["sigma_fs"]))]
    s.update(d=d, lam=d / n, alpha=alpha, mu_f=1.0, regularizer=REGULARIZER)
    return {"settings": s, "sigma_ns": np.asarray(s["sigma_ns"]), "reg": reg,
            "unreg": unreg, "crossing": cross, "theory": theory}


def _draw_benefit(data, fig_id):
    plt = pyplot()
    s = data["settings"]
    th = data["theory"]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    cmap = plt.get_cmap("tab10")
    sn = np.asarray(data["sigma_ns"], dtype=float)
    for i, sf in enumerate(s["sigma_fs"]):
        col = cmap(i)
        _benefit_panel(ax, sn, data["reg"][i], data["unreg"][i], th, i, col, s["alpha"],
                       f"sigma_f={sf}")
        if np.isfinite(th["crossing"][i]):
            ax.axvline(th["crossing"][i], color=col, lw=0.7, ls=":")
        c = data["crossing"][i]
        if c is not None and np.isfinite(c):
            ax.plot([c], [th["reg"][i]], "v", color=col, ms=8,
                    label=f"sigma_n* sim {c:.2f} / theory {th['crossing'][i]:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("orthogonal noise sigma_n (same standardised draws rescaled)")
    ax.set_ylabel(f"test accuracy (exact Gaussian, mean of {s['n_seeds']} draws)")
    ax.set_title("lines: CGMT theory (A4), solid regularised, dashed max-margin; "
                 "dotted: theory sigma_n*", fontsize=8)
    ax.legend(fontsize=6)
    fig.suptitle(f"Fig. {fig_id} (B10): benefit phase diagram, lambda={s['lam']:.2g} "
                 f"(d={s['d']}, N={s['n']}), mu_f={s['mu_f']:g}, alpha={s['alpha']}, "
                 f"f = t^2", fontsize=9)
    fig.tight_layout()
    return fig


_BENEFIT_DOC = r"""Data of Fig. {fig} (claim B10, :math:`\lambda = {lam}`).

    Returns ``sigma_ns``, ``reg`` and ``unreg`` (arrays ``(len(sigma_fs), len(sigma_ns))``:
    mean exact accuracy over ``n_seeds`` draws of the :math:`\alpha = 0.4` minimiser and of
    the unregularised GD limit, from the sweep engine), ``crossing`` (simulated
    :math:`\sigma_n^*` per :math:`\sigma_f`, NaN if none on the grid), ``theory``
    (``sigma_ns`` fine grid, ``reg`` per :math:`\sigma_f`, ``unreg`` curves, ``crossing``,
    ``lam_sep``) and the settings.
    """


@figure("6", "B10 benefit phase diagram, lambda=0.7: regularised (alpha=0.4) vs "
             "max-margin accuracy vs sigma_n, with the crossing sigma_n* and CGMT lines",
        claims=("B10",))
def fig6(size: str = "default") -> dict:
    return _benefit_figure(0.7, size, "fig6")


@figure("15", "B10 benefit phase diagram, lambda=0.4: regularised (alpha=0.4) vs "
              "max-margin accuracy vs sigma_n, with the crossing sigma_n* and CGMT lines",
        claims=("B10",))
def fig15(size: str = "default") -> dict:
    return _benefit_figure(0.4, size, "fig15")


fig6.__doc__ = _BENEFIT_DOC.format(fig=6, lam=0.7)
fig15.__doc__ = _BENEFIT_DOC.format(fig=15, lam=0.4)


@fig6.drawer
def _draw_fig6(data):
    return _draw_benefit(data, "6")


@fig15.drawer
def _draw_fig15(data):
    return _draw_benefit(data, "15")


# -------------------------------------------------------------------------- figs 16, 17
def _lam_of(n, lam) -> float:
    """The lambda = d/N actually simulated (the sweep spec rounds d = round(lam N))."""
    return int(round(lam * n)) / n


FIG16_SETTINGS = {
    "test": dict(n=60, lams=[0.2, 0.4, 0.6, 0.8], sigma_ns=[1.0, 3.0], n_seeds=2, seed=160),
    "default": dict(n=400, lams=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                    sigma_ns=[1.0, 3.0], n_seeds=3, seed=160),
    "full": dict(n=2000, lams=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                 sigma_ns=[0.5, 1.0, 3.0], n_seeds=3, seed=160),
}


@figure("16", "B10 sweep over lambda=d/N: regularised (alpha=0.4) vs unregularised "
              "accuracy at fixed sigma_n (sigma_f=0.5), with CGMT lines", claims=("B10",))
def fig16(size: str = "default") -> dict:
    r"""Data of Fig. 16 (B10 over :math:`\lambda`).

    Returns ``lams`` (simulated :math:`d/N`), ``sigma_ns``, ``reg``/``unreg`` (mean exact
    accuracy, ``(len(lams), len(sigma_ns))``) with ``reg_sem``/``unreg_sem`` (standard
    error over seeds), ``theory`` (``lams`` fine grid, ``reg`` curve, ``unreg`` per
    :math:`\sigma_n`) and the settings.
    """
    s = dict(FIG16_SETTINGS[check_size(size, "fig16")])
    alpha, sigma_f = 0.4, 0.5
    with blas_single_thread():   # per seed: (len(lams), 1 sigma_f, len(sigma_ns), n_seeds)
        reg, unreg = benefit_diagram_sweep(s["n"], None, [sigma_f], s["sigma_ns"],
                                           lams=s["lams"], alpha=alpha, n_seeds=s["n_seeds"],
                                           seed=s["seed"], regularizer=REGULARIZER,
                                           per_seed=True)
    reg, unreg = reg[:, 0], unreg[:, 0]
    kappa = 1.0 / sigma_f   # mu_f = 1
    grid = np.linspace(0.05, 0.95, 37)
    theory = {"lams": grid,
              "reg": np.array([predict(REGULARIZER, alpha, lam, kappa, certify=False).accuracy
                               for lam in grid]),
              "unreg": [np.array([unregularised_accuracy(lam, kappa, noise_ratio=sn / sigma_f)
                                  for lam in grid]) for sn in s["sigma_ns"]]}

    def sem(acc):
        if s["n_seeds"] > 1:
            return acc.std(axis=-1, ddof=1) / math.sqrt(s["n_seeds"])
        return np.full(acc.shape[:-1], math.nan)

    s.update(alpha=alpha, sigma_f=sigma_f, mu_f=1.0, regularizer=REGULARIZER)
    return {"settings": s, "lams": np.array([_lam_of(s["n"], x) for x in s["lams"]]),
            "sigma_ns": np.asarray(s["sigma_ns"]), "reg": reg.mean(-1),
            "unreg": unreg.mean(-1), "reg_sem": sem(reg), "unreg_sem": sem(unreg),
            "theory": theory}


@fig16.drawer
def _draw_fig16(data):
    plt = pyplot()
    s = data["settings"]
    th = data["theory"]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    cmap = plt.get_cmap("tab10")
    lams = np.asarray(data["lams"])
    ax.plot(th["lams"], th["reg"], "k-", lw=1.0, label=f"alpha={s['alpha']} theory (any sigma_n)")
    for j, sn in enumerate(s["sigma_ns"]):
        col = cmap(j)
        ax.errorbar(lams, np.asarray(data["reg"])[:, j], np.asarray(data["reg_sem"])[:, j],
                    fmt="o", ms=4, color=col, label=f"alpha={s['alpha']} sim, sigma_n={sn:g}")
        ax.errorbar(lams, np.asarray(data["unreg"])[:, j], np.asarray(data["unreg_sem"])[:, j],
                    fmt="s", mfc="none", ms=4, color=col,
                    label=f"unregularised sim, sigma_n={sn:g}")
        ax.plot(th["lams"], th["unreg"][j], "--", color=col, lw=0.9,
                label=f"unregularised theory (A4), sigma_n={sn:g}")
    ax.set_xlabel(f"lambda = d/N  (N={s['n']})")
    ax.set_ylabel(f"test accuracy (exact Gaussian; mean +- SE of {s['n_seeds']} draws)")
    ax.set_title("regularised points coincide for every sigma_n (B9); unregularised do not",
                 fontsize=8)
    ax.legend(fontsize=6)
    fig.suptitle(f"Fig. 16 (B10): accuracy vs lambda at fixed sigma_n, sigma_f={s['sigma_f']}, "
                 f"mu_f={s['mu_f']:g}, alpha={s['alpha']}, f = t^2", fontsize=9)
    fig.tight_layout()
    return fig


FIG17_SETTINGS = {
    "test": dict(n=60, lams=[0.4, 0.7], sigma_ns=[0.1, 0.2, 0.5, 1.2, 3.0, 6.0], n_seeds=2,
                 seed=170),
    "default": dict(n=300, lams=[0.3, 0.5, 0.7, 0.9],
                    sigma_ns=_grid(np.geomspace, 0.1, 6.0, 10),
                    n_seeds=3, seed=170),
    "full": dict(n=2000, lams=[0.3, 0.5, 0.7, 0.9],
                 sigma_ns=_grid(np.geomspace, 0.1, 6.0, 12),
                 n_seeds=3, seed=170),
}


@figure("17", "B10 sweep over sigma_n: regularised (alpha=0.4) vs unregularised accuracy "
              "and their difference at several lambda (sigma_f=0.5), with sigma_n*(lambda)",
        claims=("B10",))
def fig17(size: str = "default") -> dict:
    r"""Data of Fig. 17 (B10 over :math:`\sigma_n`).

    Returns ``lams`` (simulated), ``sigma_ns``, ``reg``/``unreg`` (mean exact accuracy,
    ``(len(lams), len(sigma_ns))``), ``crossing`` (simulated :math:`\sigma_n^*` per
    :math:`\lambda`), ``theory`` (``sigma_ns``, ``reg`` per :math:`\lambda`, ``unreg``
    curves, ``crossing``) and the settings.
    """
    s = dict(FIG17_SETTINGS[check_size(size, "fig17")])
    alpha, sigma_f = 0.4, 0.5
    with blas_single_thread():   # seed means: (len(lams), 1 sigma_f, len(sigma_ns))
        reg, unreg = benefit_diagram_sweep(s["n"], None, [sigma_f], s["sigma_ns"],
                                           lams=s["lams"], alpha=alpha, n_seeds=s["n_seeds"],
                                           seed=s["seed"], regularizer=REGULARIZER)
    reg, unreg = reg[:, 0], unreg[:, 0]
    lams = [_lam_of(s["n"], x) for x in s["lams"]]
    theory = _benefit_theory(alpha, [(lam, sigma_f) for lam in lams])
    cross = [crossing(s["sigma_ns"], reg[i], unreg[i]) for i in range(len(lams))]
    s.update(alpha=alpha, sigma_f=sigma_f, mu_f=1.0, regularizer=REGULARIZER)
    return {"settings": s, "lams": np.asarray(lams), "sigma_ns": np.asarray(s["sigma_ns"]),
            "reg": reg, "unreg": unreg, "crossing": cross, "theory": theory}


@fig17.drawer
def _draw_fig17(data):
    plt = pyplot()
    s = data["settings"]
    th = data["theory"]
    fig, (ax, ax_gain) = plt.subplots(1, 2, figsize=(13, 5))
    cmap = plt.get_cmap("tab10")
    sn = np.asarray(data["sigma_ns"], dtype=float)
    lams = list(data["lams"])
    for i, lam in enumerate(lams):
        col = cmap(i)
        reg, unreg = np.asarray(data["reg"][i]), np.asarray(data["unreg"][i])
        _benefit_panel(ax, sn, reg, unreg, th, i, col, s["alpha"], f"lambda={lam:.2g}")
        ax_gain.plot(sn, reg - unreg, "o", color=col, label=f"sim, lambda={lam:.2g}")
        ax_gain.plot(th["sigma_ns"], th["reg"][i] - np.asarray(th["unreg"][i]), "-", color=col,
                     lw=0.9, label=f"theory, sigma_n* = {th['crossing'][i]:.2f} "
                                   f"(sim {data['crossing'][i]:.2f})")
        if np.isfinite(th["crossing"][i]):
            ax_gain.axvline(th["crossing"][i], color=col, lw=0.6, ls=":")
    ax_gain.axhline(0.0, color="grey", lw=0.6)
    for a in (ax, ax_gain):
        a.set_xscale("log")
        a.set_xlabel("orthogonal noise sigma_n (same standardised draws rescaled)")
    ax.set_ylabel(f"test accuracy (exact Gaussian, mean of {s['n_seeds']} draws)")
    ax.set_title("lines: CGMT theory (A4), solid regularised, dashed unregularised", fontsize=8)
    ax_gain.set_ylabel("gain: accuracy(alpha) - accuracy(unregularised)")
    ax_gain.set_title("regularisation helps where the gain is > 0 (sigma_n > sigma_n*)",
                      fontsize=8)
    ax.legend(fontsize=6)
    ax_gain.legend(fontsize=6)
    fig.suptitle(f"Fig. 17 (B10): accuracy vs sigma_n at fixed lambda (N={s['n']}), "
                 f"sigma_f={s['sigma_f']}, mu_f={s['mu_f']:g}, alpha={s['alpha']}, f = t^2",
                 fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ fig 18
FIG18_SETTINGS = {
    "test": dict(n=60, d=42, sigma_ns=[0.1, 0.3, 1.0, 2.0, 4.0, 8.0], n_seeds=2, seed=18),
    "default": dict(n=400, d=280, sigma_ns=_grid(np.geomspace, 0.1, 8.0, 10), n_seeds=3,
                    seed=18),
    "full": dict(n=2000, d=1400, sigma_ns=_grid(np.geomspace, 0.1, 8.0, 12), n_seeds=3,
                 seed=18),
}


@figure("18", "B13 weight decay (gamma=0.2) accuracy depends on sigma_n; logit "
              "regularisation (alpha=0.2) does not (same draws rescaled)", claims=("B13",))
def fig18(size: str = "default") -> dict:
    r"""Data of Fig. 18 (claim B13).

    Returns ``sigma_ns``, ``weight_decay`` and ``logit_reg`` (mean exact accuracy over
    ``n_seeds`` draws, each rescaled to every :math:`\sigma_n`), ``bayes``
    (:math:`\Phi(\mu_f/\sigma_f)`, the :math:`\sigma_n \to 0` limit of weight decay and an
    upper bound for every classifier), ``cgmt_logit_reg`` (A1 prediction of the
    regularised accuracy) and the settings.
    """
    s = dict(FIG18_SETTINGS[check_size(size, "fig18")])
    gamma, alpha, sigma_f, mu_f = 0.2, 0.2, 0.5, 1.0
    with blas_single_thread():
        wd, lr = accuracy_vs_sigma_n(s["n"], s["d"], s["sigma_ns"], gamma=gamma, alpha=alpha,
                                     sigma_f=sigma_f, n_seeds=s["n_seeds"], seed=s["seed"])
    kappa = mu_f / sigma_f
    s.update(gamma=gamma, alpha=alpha, sigma_f=sigma_f, mu_f=mu_f, regularizer=REGULARIZER)
    return {"settings": s, "sigma_ns": np.asarray(s["sigma_ns"]), "weight_decay": wd,
            "logit_reg": lr, "bayes": float(special.ndtr(kappa)),
            "cgmt_logit_reg": predict(REGULARIZER, alpha, s["d"] / s["n"], kappa,
                                      certify=False).accuracy}


@fig18.drawer
def _draw_fig18(data):
    plt = pyplot()
    s = data["settings"]
    fig, ax = plt.subplots(figsize=(7, 4.6))
    sn = np.asarray(data["sigma_ns"], dtype=float)
    ax.plot(sn, data["weight_decay"], "s--", label=f"weight decay, gamma={s['gamma']}")
    ax.plot(sn, data["logit_reg"], "o-",
            label=f"logit regularisation, alpha={s['alpha']} (f = t^2)")
    ax.axhline(data["bayes"], color="grey", ls=":",
               label=f"Bayes Phi(mu_f/sigma_f) = {data['bayes']:.4f} (WD limit sigma_n -> 0)")
    ax.axhline(data["cgmt_logit_reg"], color="k", lw=0.7, ls="-.",
               label=f"CGMT prediction, logit reg. ({data['cgmt_logit_reg']:.4f})")
    ax.axhline(0.5, color="grey", lw=0.5, ls="--",
               label="1/2 (WD limit sigma_n -> inf, lambda > 1/2)")
    ax.set_xscale("log")
    ax.set_xlabel("orthogonal noise sigma_n (same draws rescaled)")
    ax.set_ylabel(f"test accuracy (exact Gaussian, mean of {s['n_seeds']} draws)")
    ax.legend(fontsize=7)
    fig.suptitle(f"Fig. 18 (B13): weight decay vs logit regularisation, d={s['d']}, N={s['n']}, "
                 f"sigma_f={s['sigma_f']}, mu_f={s['mu_f']:g}", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ fig 19
#: B9 Eq. 4 (lambda = 0.7). "full" is the paper's (d=1400, N=2000, one fresh draw per
#: sigma_n); the smaller sizes average 1/rho^2 over 2-3 draws (seed noise in rho is
#: ~0.4/sqrt(d), ASYMPTOTICS.md).
FIG19_SETTINGS = {
    "test": dict(n=571, d=400, sigma_ns=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0], reps=3, seed=19),
    "default": dict(n=1000, d=700, sigma_ns=_grid(np.linspace, 0.5, 3.0, 8), reps=2, seed=19),
    "full": dict(n=2000, d=1400, sigma_ns=_grid(np.linspace, 0.5, 3.0, 11), reps=1, seed=19),
}


@figure("19", "B9 alignment law: 1/rho^2 linear in 1/sigma_n^2 (Eq. 4) with fit and R^2; "
              "Eq. 5 accuracy (sigma_n cancelled) vs measured", claims=("B9",))
def fig19(size: str = "default") -> dict:
    r"""Data of Fig. 19 (claim B9, Eqs 4-5).

    Returns ``sigma_ns``, ``x`` (:math:`1/\sigma_n^2`), ``inv_rho2`` (:math:`1/\rho^2`,
    mean over ``reps`` fresh draws), ``rho``, ``r2``, ``intercept`` (theory 1), ``C`` (fit:
    slope :math:`C^2`), ``C_cgmt`` (A1), ``accuracy_measured`` (Eq. 5 at each measured
    :math:`\rho`: the exact population accuracy of the draw when ``reps = 1``, of the
    seed-averaged alignment otherwise), ``accuracy_eq5`` (:math:`\Phi(\mu_f/
    \sqrt{\sigma_f^2+C^2})`), ``accuracy_cgmt`` and the settings.
    """
    s = dict(FIG19_SETTINGS[check_size(size, "fig19")])
    alpha, sigma_f, mu_f = 0.2, 0.5, 1.0
    with blas_single_thread():
        r2, a, C, rhos = alignment_fit(s["n"], s["d"], s["sigma_ns"], alpha=alpha,
                                       sigma_f=sigma_f, seed=s["seed"], reps=s["reps"])
    rhos = np.asarray(rhos, dtype=float)
    measured = np.array([gaussian_accuracy(np.array([r, math.sqrt(max(0.0, 1 - r * r))]),
                                           mu_f=mu_f, sigma_f=sigma_f, sigma_n=sn)
                         for r, sn in zip(rhos, s["sigma_ns"])])
    pred = predict(REGULARIZER, alpha, s["d"] / s["n"], mu_f / sigma_f, certify=False)
    sn = np.asarray(s["sigma_ns"], dtype=float)
    s.update(alpha=alpha, sigma_f=sigma_f, mu_f=mu_f, regularizer=REGULARIZER)
    return {"settings": s, "sigma_ns": sn, "x": 1.0 / sn**2, "inv_rho2": 1.0 / rhos**2,
            "rho": rhos, "r2": r2, "intercept": a, "C": C,
            "C_cgmt": alignment_constant(pred.cosine, sigma_f),
            "accuracy_measured": measured,
            "accuracy_eq5": eq5_accuracy(C, mu_f, sigma_f),
            "accuracy_cgmt": pred.accuracy}


@fig19.drawer
def _draw_fig19(data):
    plt = pyplot()
    s = data["settings"]
    fig, (ax, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.6))
    x = np.asarray(data["x"], dtype=float)
    xs = np.linspace(0.0, float(x.max()) * 1.05, 50)
    ax.plot(x, data["inv_rho2"], "o", label=f"measured (mean of {s['reps']} fresh draws)")
    ax.plot(xs, data["intercept"] + data["C"] ** 2 * xs, "-",
            label=f"fit {data['intercept']:.3f} + {data['C']:.3f}^2 x, R^2 = {data['r2']:.4f}")
    ax.plot(xs, 1.0 + data["C_cgmt"] ** 2 * xs, "k--", lw=0.8,
            label=f"Eq. 4 with CGMT C = {data['C_cgmt']:.3f}")
    ax.set_xlabel("1 / sigma_n^2")
    ax.set_ylabel("1 / rho^2,  rho = cos(S_min, e1)")
    ax.set_title("Eq. 4: 1/rho^2 = 1 + C^2/sigma_n^2", fontsize=8)
    ax.legend(fontsize=7)
    sn = np.asarray(data["sigma_ns"], dtype=float)
    ax_acc.plot(sn, data["accuracy_measured"], "o", label="measured (Eq. 5 at measured rho)")
    ax_acc.axhline(data["accuracy_eq5"], color="tab:orange",
                   label="Eq. 5 + Eq. 4: Phi(mu_f/sqrt(sigma_f^2+C^2)) = "
                         f"{data['accuracy_eq5']:.4f}")
    ax_acc.axhline(data["accuracy_cgmt"], color="k", ls="--", lw=0.8,
                   label=f"CGMT (A1) = {data['accuracy_cgmt']:.4f}")
    ax_acc.set_xlabel("orthogonal noise sigma_n (fresh draws)")
    ax_acc.set_ylabel("test accuracy (exact Gaussian)")
    ax_acc.set_title("Eq. 5: sigma_n cancels", fontsize=8)
    lo = min(float(np.min(data["accuracy_measured"])), data["accuracy_cgmt"]) - 0.02
    hi = max(float(np.max(data["accuracy_measured"])), data["accuracy_cgmt"]) + 0.02
    ax_acc.set_ylim(lo, hi)
    ax_acc.legend(fontsize=7)
    fig.suptitle(f"Fig. 19 (B9): alignment law, d={s['d']}, N={s['n']}, sigma_f={s['sigma_f']}, "
                 f"mu_f={s['mu_f']:g}, alpha={s['alpha']}, f = t^2", fontsize=9)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- threshold-binary
# ``cover_perfect_probability`` (B7's Cover line) lives in numerics.claims.threshold
# and is re-exported here.
_THR_RATIOS = [0.5, 0.8, 0.95, 1.0, 1.1, 1.4, 1.7, 1.9, 2.0, 2.1, 2.3, 2.6, 3.0, 3.5]
FIGTHR_SETTINGS = {
    "test": dict(ds=[12], ratios=[0.5, 0.8, 0.9, 1.0, 1.1, 1.5, 2.0, 2.5, 3.0, 4.0],
                 trials=16, seed=21),
    "default": dict(ds=[20, 40], ratios=_THR_RATIOS, trials=40, seed=21),
    "full": dict(ds=[25, 50, 100, 200], ratios=_THR_RATIOS, trials=100, seed=21),
}


@figure("threshold-binary", "B7 finite-size threshold: P(perfect generalisation) vs N/d at "
        "sigma_f=0, regularised (step at N=d), weight decay and max-margin with Cover's "
        "formula", claims=("B7", "A3"))
def fig_threshold_binary(size: str = "default") -> dict:
    r"""Data of the B7 threshold figure: per ``d``, ``n`` (sample sizes), hits out of
    ``trials`` for ``reg`` (:math:`\alpha = 0.2`) and ``unreg`` (max-margin), out of
    ``wd_trials`` for ``wd`` (weight decay, :math:`\gamma = 0.2`), ``cover`` (Cover's
    :math:`P_{perfect}` at those N), ``cover_n``/``cover_p`` (on every integer N),
    ``critical`` (N/d where the max-margin fraction crosses 1/2) and the settings."""
    s = dict(FIGTHR_SETTINGS[check_size(size, "fig_threshold_binary")])
    with blas_single_thread():
        c = threshold_curves(s["ds"], s["ratios"], s["trials"], seed=s["seed"])
    curves = {}
    for d in s["ds"]:
        ns = c.sizes(d)
        n_all = list(range(2, int(math.ceil(max(s["ratios"]) * d)) + 1))
        curves[d] = {"n": ns, "reg": c.regularised[d], "unreg": c.unregularised[d],
                     "wd": c.weight_decay[d],
                     "cover": [cover_perfect_probability(n, d) for n in ns],
                     "cover_n": n_all,
                     "cover_p": [cover_perfect_probability(n, d) for n in n_all],
                     "critical": c.critical_ratio(d)}
    s.update(wd_trials=c.wd_trials, alpha=0.2, gamma=0.2, regularizer=REGULARIZER,
             mu_f=1.0, sigma_f=0.0, sigma_n=1.0)
    return {"settings": s, "curves": curves}


@fig_threshold_binary.drawer
def _draw_threshold_binary(data):
    pyplot()
    s = data["settings"]
    cv = {d: data["curves"][d] for d in s["ds"]}
    curves = ThresholdCurves(list(s["ds"]), list(s["ratios"]), s["trials"],
                             {d: c["reg"] for d, c in cv.items()},
                             {d: c["unreg"] for d, c in cv.items()},
                             {d: c["wd"] for d, c in cv.items()})
    return draw_b7(curves, xlabel_note=f"sigma_f=0, sigma_n={s['sigma_n']:g}, "
                                       f"mu_f={s['mu_f']:g}; alpha={s['alpha']}, "
                                       f"gamma={s['gamma']}",
                   title="B7/A3 threshold shift: logit regularisation perfect from N = d, "
                         "max-margin from N ~ 2d (Cover), weight decay never")
