r"""Binary figures (issue 7): 1 (B1), 2, 10, 11, 12, 13 (B6), 14 (B11) and 20 (B12).

Each ``compute(size)`` reuses the claim code of :mod:`numerics.claims.clustering` and
:mod:`numerics.claims.plateau` (exact minimisers from :func:`numerics.solve.solvers.minimize_binary`,
targets :math:`t^*(\alpha)` compiled from :mod:`theory`) and returns plain data (the figure's
numbers and a ``settings`` dict); each drawer turns that data into a matplotlib Figure.
The regulariser is the quadratic one, :math:`\ell(t) = (1-\alpha)\log(1+e^{-t}) + \alpha t^2`,
and the data the signal-plus-noise model
:math:`x = y\mu_f e_1 + \sigma_f\xi_f e_1 + \sigma_n\xi_\perp` (THEORY.md Sec. 3).

* **1** (B1, Fig. 1). Histograms of the training logits :math:`t_i = S\cdot u_i` of the
  exact minimiser for :math:`\alpha \in \{0.05, 0.2, 0.4\}`, with :math:`t^*(\alpha)`
  marked: they sit at :math:`t^*` with RMS spread at the geometric floor
  :math:`t^* r`, :math:`r = \|(I-P_U)\mathbf 1\|/\sqrt N`,

  .. math:: 1 \le \kappa = \frac{\mathrm{RMS}(t - t^*)}{t^* r} \le \kappa_{max}

  (:func:`~numerics.claims.clustering.clustering_at_minimum`). Against them the
  :math:`\alpha = 0` logits of cross-entropy gradient descent at several epochs:
  :math:`S_k \approx \hat S\log k`, so :math:`\min_i t_i` grows by :math:`\ln 10` per
  decade and the logits spread without bound.
* **2** (B6, Fig. 2). :math:`\cos(S_{min}(\alpha), e_1)` vs :math:`\alpha` (log axis) for
  Student-t noise :math:`\nu \in \{2.1, 3, 20\}` (standardised; Gaussian for reference),
  :math:`\mu_f = \sigma_f = \sigma_n = 1`, :math:`\lambda = 2/3`, with the
  :math:`\alpha = 0` (max-margin) value; and :math:`\|S_{min}\|` against :math:`t^*(\alpha)`.
  The measures are those of :func:`~numerics.claims.plateau.evaluate_b6`:

  .. math::
      \text{flatness} = \max_{[10^{-3}, 0.9]}\cos - \min_{[10^{-3}, 0.9]}\cos, \qquad
      \text{jump} = \cos(S_{min}(10^{-5}), e_1) - \cos(\hat S, e_1).
* **10** (B6, Fig. 10). :math:`d = 2`: the angle between :math:`S_{min}(\alpha)` and the
  pure-quadratic minimiser :math:`S_{sq} \propto \hat\Sigma^{-1}\hat\mu` (B4),

  .. math:: \tan\theta(\alpha) = \frac{\|S_{min} - (S_{min}\cdot\hat s)\hat s\|}
                                       {S_{min}\cdot\hat s},\qquad \hat s = S_{sq}/\|S_{sq}\|,

  for several N down to :math:`\alpha = 10^{-5}` (geometric mean over draws). Both
  directions estimate the population Fisher direction :math:`e_1` at rate
  :math:`N^{-1/2}`, so :math:`\tan\theta = O(N^{-1/2})` uniformly in :math:`\alpha`.
* **11, 12** (B6, Figs. 11-12). Three points in :math:`R^2` (:data:`TOY_U`) and the
  per-sample loss :math:`\ell_{a,b}(t) = (t-a)^2 + b\max(0, -t)`, minimised exactly by
  :func:`toy_minimizer`. With :math:`b = 0`, :math:`L_a(aW) = a^2L_1(W)`, so
  :math:`S(a) = aS(1)`: the minimisers for :math:`a = 2` and :math:`a = 6` are colinear
  and both minimise the coefficient of variation of the logits
  :math:`r(S) = \sigma(S)/\mu(S)` (B5: minimal loss :math:`a^2 r^2/(1+r^2)`). With
  :math:`b = 6` the kink weighs :math:`b/a` against the quadratic, differently for the two
  targets, and the directions separate (fig. 12; one of them sits on the kink
  :math:`t_i = 0`). Shown: the loss contours in the :math:`S` plane for each
  :math:`a`, the minimisers and their rays, and :math:`r` along the direction
  :math:`\varphi` of :math:`S = \|S\|(\cos\varphi, \sin\varphi)`.
* **13** (B6, Fig. 13). Gaussian noise, :math:`\sigma_f = 0.5`, :math:`\sigma_n = 1`,
  N = 2000 and d = 200, 1400, 1800 (:math:`\lambda = 0.1, 0.7, 0.9`) at full size:
  :math:`\cos(S_{min}, e_1)` vs :math:`\alpha` with the :math:`\alpha = 0` value.
* **14** (B11, Fig. 14). :math:`\lambda = 0.7`, :math:`\sigma_f = 0.5`: histograms of train
  and fresh-test logits, and per :math:`\alpha` the ratios
  :math:`\mathrm{std}/(\sigma_f S_1)`; the test variance is exactly
  :math:`\sigma_f^2S_1^2 + \sigma_n^2\|S_\perp\|^2`, and
  :math:`\mathrm{std}_{train}/(\sigma_fS_1) \approx \sqrt{1-\lambda} < 1 <
  \mathrm{std}_{test}/(\sigma_fS_1) \approx \sqrt{1 + (d-1)/(N-d-1)}`.
* **20** (B12, Fig. 20). :math:`\sigma_n = 1`, :math:`\alpha = 0.4`, one draw rescaled in
  :math:`\sigma_f`: :math:`S_1 \approx t^*/\mu_f` constant, :math:`\|S_\perp\|` and
  :math:`C = \sigma_n\|S_\perp\|/S_1` linear in small :math:`\sigma_f`, with the
  linear-response slope :math:`C \approx b_0\sigma_f`
  (:func:`~numerics.claims.plateau.linear_response_slope`).

Sizes: ``"test"`` (seconds; the tests check the claims on it), ``"default"`` (what
``logitreg figure`` draws, under 15 s each on one core) and ``"full"`` (THEORY.md Sec. 2).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats

from core.errors import InvalidParameterError

from numerics.compile.compiled import compile_binary
from numerics.models.data import binary_signal_noise
from numerics.claims import clustering as clu
from numerics.claims import plateau as pl
from numerics.claims._common import seeds
from numerics.claims.clustering import blas_single_thread
from numerics.claims.plateau import tan_angle
from numerics.figures._registry import check_size, figure, pyplot

__all__ = ["fig1", "fig2", "fig10", "fig11", "fig12", "fig13", "fig14", "fig20",
           "TOY_U", "toy_loss", "toy_minimizer", "coefficient_of_variation", "tan_angle"]


def _sweep_record(sweeps) -> dict:
    """Plain arrays of a list of :class:`~numerics.claims.plateau.AlphaSweep`
    (one per draw): rows are draws."""
    rec = {"cos": np.array([s.cos for s in sweeps]),
           "norm": np.array([s.norm for s in sweeps]),
           "cos0": np.array([s.cos0 for s in sweeps]),
           "flatness": np.array([s.flatness for s in sweeps]),
           "jump": np.array([s.jump for s in sweeps]),
           "separable": [bool(s.separable) for s in sweeps],
           "svm_gap": np.array([s.svm_gap for s in sweeps])}
    gaps = [s.limit_gap for s in sweeps if s.limit_gap is not None]
    rec["limit_gap"] = np.array(gaps) if gaps else None
    return rec


# ------------------------------------------------------------------------------- fig 1
#: B1 settings (lambda = 0.7, sigma_f = 0.5, as claim B1's check); the same draw serves
#: the alpha > 0 minimisers and the alpha = 0 gradient descent (lr = 1).
FIG1_SETTINGS = {
    "test": dict(n=100, d=70, epochs=3000, seed=101),
    "default": dict(n=400, d=280, epochs=30_000, seed=101),
    "full": dict(n=2000, d=1400, epochs=100_000, seed=101),
}
FIG1_ALPHAS = (0.05, 0.2, 0.4)


@figure("1", "B1 logit clustering: training logits of the exact minimiser sit at t* "
             "(alpha=0.05, 0.2, 0.4) while alpha=0 gradient descent spreads them like "
             "log(epoch)", claims=("B1",))
def fig1(size: str = "default") -> dict:
    r"""Data of Fig. 1 (claim B1).

    Returns ``reg`` (one record per :math:`\alpha` in :data:`FIG1_ALPHAS`: ``alpha``,
    ``target`` :math:`t^*`, training ``logits``, ``mean``, ``std``, ``rms``
    :math:`=\mathrm{RMS}(t-t^*)`, floor ``r``, ``kappa``, ``kappa_max``, ``clustered``),
    ``r_asymptotic`` :math:`\sqrt{(1-\lambda')\sigma_f^2/(\mu_f^2+\sigma_f^2)}`,
    :math:`\lambda' = (d-1)/(N-1)`, ``gd`` (:math:`\alpha = 0` cross-entropy GD:
    ``epochs``, ``norm`` :math:`\|S_k\|`, ``min_logit``, ``logit_std``, ``cosine`` to the
    hard-margin SVM :math:`\hat S`, ``hat_norm`` :math:`\|\hat S\|`, ``verdict`` of
    :func:`~numerics.claims.clustering.evaluate_growth`, ``snap_epochs`` and
    ``snap_logits``, the training logits at those epochs) and the settings.
    """
    s = dict(FIG1_SETTINGS[check_size(size, "fig1")])
    s.update(mu_f=1.0, sigma_f=0.5, sigma_n=1.0, regularizer="quadratic", lr=1.0)
    snaps = [e for e in (10, 100, 1000, 10_000, 100_000) if e < s["epochs"]][-3:]
    snaps.append(s["epochs"])
    with blas_single_thread():
        ds = binary_signal_noise(s["n"], s["d"], mu_f=s["mu_f"], sigma_f=s["sigma_f"],
                                 sigma_n=s["sigma_n"], seed=s["seed"])
        U = ds.u
        reg = []
        for a in FIG1_ALPHAS:
            c = clu.clustering_at_minimum(U, "quadratic", a)
            reg.append({"alpha": a, "target": c.target, "logits": c.logits, "mean": c.mean,
                        "std": c.std, "rms": c.rms, "r": c.r, "kappa": c.kappa,
                        "kappa_max": c.kappa_max, "clustered": c.clustered})
        growth = clu.unregularised_growth(U, epochs=s["epochs"], lr=s["lr"], snapshots=snaps)
    gd = {"epochs": growth.epochs, "norm": growth.norm, "min_logit": growth.min_logit,
          "logit_std": growth.logit_std, "cosine": growth.cosine, "hat_norm": growth.hat_norm,
          "verdict": clu.evaluate_growth(growth), "snap_epochs": snaps,
          "snap_logits": np.array([growth.snapshots[e] for e in snaps])}
    return {"settings": s, "reg": reg, "gd": gd,
            "r_asymptotic": clu.asymptotic_floor(s["n"], s["d"], mu_f=s["mu_f"],
                                                 sigma_f=s["sigma_f"])}


@fig1.drawer
def _draw_fig1(data):
    plt = pyplot()
    s, gd = data["settings"], data["gd"]
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(16, 4.6))
    for j, rec in enumerate(data["reg"]):
        col = f"C{j}"
        a1.hist(np.asarray(rec["logits"]), bins=40, density=True, histtype="step", color=col,
                label=f"alpha={rec['alpha']:g}: t*={rec['target']:.3f}, "
                      f"RMS(t-t*)={rec['rms']:.3f}, kappa={rec['kappa']:.3f}")
        a1.axvline(rec["target"], color=col, ls="--", lw=1.0)
    a1.set_xlabel("training logit t_i = S_min . u_i  (nats); dashed: t*(alpha)")
    a1.set_ylabel("density of training logits")
    a1.set_title("alpha > 0: exact minimiser, logits cluster at t*\n"
                 "kappa = RMS(t-t*)/(t* r) in [1, kappa_max]", fontsize=9)
    a1.legend(fontsize=7)
    cmap = plt.get_cmap("viridis")
    snaps = list(gd["snap_epochs"])
    for j, (e, t) in enumerate(zip(snaps, gd["snap_logits"])):
        t = np.asarray(t)
        a2.hist(t, bins=40, density=True, histtype="step", color=cmap(j / max(1, len(snaps) - 1)),
                label=f"epoch {e}: mean {t.mean():.2f}, std {t.std():.2f}")
    a2.set_xlabel(f"training logit t_i = S_k . u_i  (nats), alpha=0, GD lr={s['lr']:g}")
    a2.set_ylabel("density of training logits")
    a2.set_title("alpha = 0 (cross-entropy GD): logits move out and spread", fontsize=9)
    a2.legend(fontsize=7)
    e = np.asarray(gd["epochs"], dtype=float)
    a3.semilogx(e, gd["norm"], "o-", ms=3, label="|S_k|")
    a3.semilogx(e, gd["hat_norm"] * np.log(e), "k--", lw=0.8,
                label=f"|S_hat| log k  (|S_hat|={gd['hat_norm']:.3f}, hard-margin SVM)")
    a3.semilogx(e, gd["min_logit"], "s-", ms=3, label="min_i t_i")
    a3.semilogx(e, gd["logit_std"], "^-", ms=3, label="std_i t_i")
    a3.axhline(data["reg"][1]["rms"], color="C1", ls=":",
               label=f"alpha={data['reg'][1]['alpha']:g}: RMS(t-t*)")
    a3.set_xlabel("GD epoch k (alpha=0, full batch)")
    a3.set_ylabel("|S_k|, min logit, logit std  (nats)")
    per_dec = gd["verdict"]["min logit per decade (theory ln10=2.303)"]
    a3.set_title(f"logarithmic growth: min logit +{per_dec:.2f} per decade (ln 10 = 2.30)",
                 fontsize=9)
    a3.legend(fontsize=7)
    fig.suptitle(f"Fig. 1 (B1): N={s['n']}, d={s['d']}, mu_f={s['mu_f']:g}, "
                 f"sigma_f={s['sigma_f']:g}, sigma_n={s['sigma_n']:g}, f(t)=t^2; "
                 f"floor r={data['reg'][0]['r']:.3f} "
                 f"(asymptotic {data['r_asymptotic']:.3f})", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------- figs 2, 13
#: Fig. 2: mu_f = sigma_f = sigma_n = 1, lambda = 2/3; the paper's d = 1000, N = 1500.
FIG2_SETTINGS = {
    "test": dict(n=150, d=100, n_seeds=4, fine_alphas=False, seed=61),
    "default": dict(n=600, d=400, n_seeds=2, fine_alphas=True, seed=61),
    "full": dict(n=1500, d=1000, n_seeds=3, fine_alphas=True, seed=61),
}


@figure("2", "B6 alpha-plateau, Student-t noise (nu=2.1, 3, 20; Gaussian for reference): "
             "cos(S_min, e1) vs alpha jumps from the alpha=0 max-margin value, then stays "
             "flat while |S_min| follows t*(alpha)", claims=("B6",))
def fig2(size: str = "default") -> dict:
    r"""Data of Fig. 2 (claim B6).

    Returns ``alphas``, ``targets`` :math:`t^*(\alpha)`, and ``panels``: noise law ->
    record with (draws x alphas) arrays ``cos`` and ``norm``, per-draw ``cos0``
    (:math:`\alpha = 0`: max-margin direction, or the logistic MLE if not separable),
    ``flatness``, ``jump``, ``separable``, ``limit_gap`` (:math:`1 - \cos` to the whitened
    SVM at :data:`~numerics.claims.plateau.LIMIT_ALPHAS`) and ``svm_gap``; plus
    ``plateau_range`` and the settings.
    """
    s = dict(FIG2_SETTINGS[check_size(size, "fig2")])
    s.update(mu_f=1.0, sigma_f=1.0, sigma_n=1.0, regularizer="quadratic")
    alphas = pl.default_alphas(s["fine_alphas"])
    with blas_single_thread():
        panel = pl.noise_panel(s["n"], s["d"], pl.NOISES, alphas, n_seeds=s["n_seeds"],
                               seed=s["seed"], mu_f=s["mu_f"], sigma_f=s["sigma_f"],
                               sigma_n=s["sigma_n"])
    return {"settings": s, "alphas": alphas,
            "targets": compile_binary("quadratic").target(alphas),
            "plateau_range": pl.PLATEAU_RANGE, "limit_alphas": pl.LIMIT_ALPHAS,
            "panels": {k: _sweep_record(v) for k, v in panel.items()}}


def _draw_plateau(ax, alphas, panels, style, label=lambda key: key):
    """cos(S_min, e1) vs alpha (mean +- SE over draws) and the alpha = 0 stars."""
    x0 = float(np.min(alphas)) / 10.0  # where alpha = 0 is drawn
    for j, (key, rec) in enumerate(panels.items()):
        col, ls = style(j, key)
        cos = np.asarray(rec["cos"])
        m = cos.mean(axis=0)
        se = (cos.std(axis=0, ddof=1) / math.sqrt(cos.shape[0]) if cos.shape[0] > 1
              else np.zeros_like(m))
        ax.errorbar(alphas, m, yerr=se, fmt="o", ls=ls, ms=3, color=col, capsize=2,
                    label=f"{label(key)}: flatness {np.mean(rec['flatness']):.3f}, "
                          f"jump {np.mean(rec['jump']):+.3f}")
        ax.plot([x0], [np.mean(rec["cos0"])], "*", ms=11, color=col)
    ax.axvspan(*pl.PLATEAU_RANGE, color="grey", alpha=0.1,
               label=f"plateau range {list(pl.PLATEAU_RANGE)}")
    ax.set_xscale("log")
    ax.set_xlabel(f"alpha (log scale; stars at {x0:g}: alpha = 0, max-margin direction)")
    ax.set_ylabel("cos(S_min(alpha), e1)  (mean over draws +- SE)")


@fig2.drawer
def _draw_fig2(data):
    plt = pyplot()
    s = data["settings"]
    alphas = np.asarray(data["alphas"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 4.8))
    _draw_plateau(a1, alphas, data["panels"],
                  lambda j, key: ("grey" if key == "gaussian" else f"C{j}",
                                  ":" if key == "gaussian" else "-"))
    a1.set_title("cos to the signal direction: jump at alpha = 0, plateau for alpha > 0",
                 fontsize=9)
    a1.legend(fontsize=7)
    for j, (key, rec) in enumerate(data["panels"].items()):
        col = "grey" if key == "gaussian" else f"C{j}"
        a2.loglog(alphas, np.exp(np.log(np.asarray(rec["norm"])).mean(axis=0)), "o-", ms=3,
                  color=col, label=key)
    t = np.asarray(data["targets"])
    ref = np.exp(np.log(np.asarray(next(iter(data["panels"].values()))["norm"])).mean(axis=0))
    a2.loglog(alphas, t * ref[-1] / t[-1], "k--", lw=0.8,
              label="t*(alpha), scaled to the first law at alpha=0.9")
    a2.set_xlabel("alpha (log scale)")
    a2.set_ylabel("|S_min(alpha)|  (geometric mean over draws)")
    a2.set_title("the norm follows t*(alpha) over orders of magnitude", fontsize=9)
    a2.legend(fontsize=7)
    fig.suptitle(f"Fig. 2 (B6): Student-t noise (standardised, both xi_f and xi_perp), "
                 f"N={s['n']}, d={s['d']}, mu_f={s['mu_f']:g}, sigma_f={s['sigma_f']:g}, "
                 f"sigma_n={s['sigma_n']:g}, f(t)=t^2, {s['n_seeds']} draws", fontsize=9)
    fig.tight_layout()
    return fig


#: Fig. 13: Gaussian noise, sigma_f = 0.5, sigma_n = 1; lambda = 0.1, 0.7, 0.9.
FIG13_SETTINGS = {
    "test": dict(n=150, ds=(15, 105, 135), n_seeds=4, fine_alphas=False, seed=62),
    "default": dict(n=400, ds=(40, 280, 360), n_seeds=3, fine_alphas=True, seed=62),
    "full": dict(n=2000, ds=(200, 1400, 1800), n_seeds=2, fine_alphas=True, seed=62),
}


@figure("13", "B6 alpha-plateau, Gaussian noise (sigma_f=0.5, sigma_n=1), lambda=d/N = "
              "0.1, 0.7, 0.9: cos(S_min, e1) vs alpha with the alpha=0 value",
        claims=("B6",))
def fig13(size: str = "default") -> dict:
    r"""Data of Fig. 13 (claim B6): as :func:`fig2` (``alphas``, ``targets``, ``panels``
    keyed ``"d=..."``, each with ``cos``, ``norm``, ``cos0``, ``flatness``, ``jump``,
    ``separable``, ``limit_gap``, ``svm_gap``) for Gaussian noise at several d."""
    s = dict(FIG13_SETTINGS[check_size(size, "fig13")])
    s.update(mu_f=1.0, sigma_f=0.5, sigma_n=1.0, regularizer="quadratic")
    alphas = pl.default_alphas(s["fine_alphas"])
    with blas_single_thread():
        panel = pl.gaussian_panel(s["n"], s["ds"], alphas, n_seeds=s["n_seeds"],
                                  seed=s["seed"], mu_f=s["mu_f"], sigma_f=s["sigma_f"],
                                  sigma_n=s["sigma_n"])
    panels = {f"d={d}": _sweep_record(sweeps) for d, sweeps in panel.items()}
    return {"settings": s, "alphas": alphas,
            "targets": compile_binary("quadratic").target(alphas),
            "plateau_range": pl.PLATEAU_RANGE, "panels": panels}


@fig13.drawer
def _draw_fig13(data):
    plt = pyplot()
    s = data["settings"]
    alphas = np.asarray(data["alphas"])
    fig, ax = plt.subplots(figsize=(8, 5))
    _draw_plateau(ax, alphas, data["panels"], lambda j, key: (f"C{j}", "-"),
                  label=lambda key: f"{key} (lambda={int(key[2:]) / s['n']:g})")
    ax.legend(fontsize=7)
    ax.set_title("cos to the signal direction vs alpha; stars: alpha = 0", fontsize=9)
    fig.suptitle(f"Fig. 13 (B6): Gaussian noise, N={s['n']}, mu_f={s['mu_f']:g}, "
                 f"sigma_f={s['sigma_f']:g}, sigma_n={s['sigma_n']:g}, f(t)=t^2, "
                 f"{s['n_seeds']} draws per d", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ fig 10
#: Fig. 10: d = 2, mu_f = sigma_f = sigma_n = 1 (the d=2 panel of B6's check).
FIG10_SETTINGS = {
    "test": dict(ns=(100, 1000, 10_000), n_seeds=4, n_alphas=10, seed=63),
    "default": dict(ns=(100, 1000, 10_000, 100_000), n_seeds=6, n_alphas=15, seed=63),
    "full": dict(ns=(100, 1000, 10_000, 100_000), n_seeds=12, n_alphas=25, seed=63),
}


@figure("10", "B6 d=2 finite-N plateau: tan(theta) between S_min(alpha) and the "
              "pure-quadratic minimiser vs alpha (down to 1e-5) for several N",
        claims=("B6",))
def fig10(size: str = "default") -> dict:
    r"""Data of Fig. 10 (claim B6, :math:`d = 2`).

    Returns ``alphas`` (log grid :math:`10^{-5}..0.9`), ``tan`` (N -> (draws x alphas)
    array of :math:`\tan\theta(\alpha)`), ``geo_mean`` (N -> geometric mean over draws),
    ``max_tan`` (N -> per-draw :math:`\max_\alpha\tan\theta`), ``slope`` (least-squares
    slope of :math:`\log_{10}` of the geometric-mean max against :math:`\log_{10}N`;
    theory :math:`-1/2`) and the settings.
    """
    s = dict(FIG10_SETTINGS[check_size(size, "fig10")])
    s.update(d=2, mu_f=1.0, sigma_f=1.0, sigma_n=1.0, regularizer="quadratic")
    alphas = np.geomspace(1e-5, 0.9, s["n_alphas"])
    with blas_single_thread():
        tan = pl.d2_panel(s["ns"], alphas, n_seeds=s["n_seeds"], seed=s["seed"],
                          mu_f=s["mu_f"], sigma_f=s["sigma_f"], sigma_n=s["sigma_n"])
    geo = {n: np.exp(np.log(np.maximum(arr, 1e-300)).mean(axis=0)) for n, arr in tan.items()}
    mx = {n: arr.max(axis=1) for n, arr in tan.items()}
    return {"settings": s, "alphas": alphas, "tan": tan, "geo_mean": geo, "max_tan": mx,
            "slope": pl.d2_slope(pl.d2_log_max_stats(tan))}


@fig10.drawer
def _draw_fig10(data):
    plt = pyplot()
    s = data["settings"]
    alphas = np.asarray(data["alphas"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.6))
    ns = list(data["tan"])
    for j, n in enumerate(ns):
        arr = np.asarray(data["tan"][n])
        col = f"C{j}"
        for row in arr:
            a1.loglog(alphas, row, color=col, lw=0.4, alpha=0.35)
        a1.loglog(alphas, data["geo_mean"][n], "o-", ms=3, color=col,
                  label=f"N={n} (geometric mean of {arr.shape[0]} draws)")
    a1.set_xlabel("alpha (log scale)")
    a1.set_ylabel("tan(theta): S_min(alpha) vs pure-quadratic minimiser")
    a1.set_title("thin: single draws; the angle is flat in alpha below ~1e-2 and "
                 "vanishes as alpha -> 1", fontsize=8)
    a1.legend(fontsize=7)
    nn = np.array([float(n) for n in ns])
    mx = [np.asarray(data["max_tan"][n]) for n in ns]
    gm = np.array([10 ** np.mean(np.log10(m)) for m in mx])
    for x, m in zip(nn, mx):
        a2.loglog(np.full(m.shape, x), m, ".", color="grey", ms=4)
    a2.loglog(nn, gm, "o-", label=f"geometric mean; fitted slope {data['slope']:.2f}")
    a2.loglog(nn, gm[0] * np.sqrt(nn[0] / nn), "k--", lw=0.8, label="N^(-1/2) (theory)")
    a2.set_xlabel("number of samples N  (d=2)")
    a2.set_ylabel("max over alpha of tan(theta)")
    a2.set_title("the plateau gets flatter with N like N^(-1/2)", fontsize=9)
    a2.legend(fontsize=7)
    fig.suptitle(f"Fig. 10 (B6): d=2, mu_f={s['mu_f']:g}, sigma_f={s['sigma_f']:g}, "
                 f"sigma_n={s['sigma_n']:g}, f(t)=t^2, alpha in [1e-5, 0.9]", fontsize=9)
    fig.tight_layout()
    return fig


# -------------------------------------------------------------------------- figs 11, 12
#: The toy of Figs. 11-12: three label-absorbed samples in R^2; the third is on the wrong
#: side of every good classifier, so the quadratic minimiser gives it a negative logit.
TOY_U = np.array([[2.0, 0.5], [1.0, -1.0], [-1.0, 0.3]])
TOY_TARGETS = (2.0, 6.0)


def toy_loss(U, S, a, b):
    r""":math:`L(S) = \frac1N\sum_i (t_i - a)^2 + b\max(0, -t_i)`, :math:`t = US`;
    ``S`` may be (d,) or (..., d)."""
    t = np.asarray(S, dtype=float) @ np.asarray(U, dtype=float).T
    return np.mean((t - a) ** 2 + b * np.maximum(0.0, -t), axis=-1)


def toy_minimizer(U, a, b) -> dict:
    r"""Exact minimiser of :func:`toy_loss` for a few samples (Figs. 11-12).

    The loss is convex and piecewise quadratic. For each sign pattern of the logits
    (:math:`t_i < 0`, :math:`= 0`, :math:`> 0`) the stationarity conditions

    .. math:: 2U^\top(US - a\mathbf 1) - bU_-^\top\mathbf 1 - bU_0^\top\theta = 0,
              \qquad U_0 S = 0

    are a linear system; a solution whose logits have the pattern's signs and whose kink
    multipliers satisfy :math:`\theta_i \in [0, 1]` is a KKT point, hence the minimum.
    :math:`3^N` patterns: for the toy only. Returns ``S``, ``logits``, ``pattern``
    (-1/0/+1), ``theta`` (kink multipliers) and ``kkt_residual``.
    """
    U = np.asarray(U, dtype=float)
    n, d = U.shape
    if n > 8:
        raise InvalidParameterError(
            f"toy_minimizer enumerates 3^N sign patterns; N must be <= 8. Got N={n}.")
    tol = 1e-12 * (1.0 + abs(a) + abs(b)) * (1.0 + float(np.abs(U).max())) ** 2
    best = None
    for pattern in itertools.product((-1, 0, 1), repeat=n):
        p = np.array(pattern)
        zero = np.nonzero(p == 0)[0]
        k = zero.size
        A = np.zeros((d + k, d + k))
        A[:d, :d] = 2.0 * U.T @ U
        A[:d, d:] = -b * U[zero].T
        A[d:, :d] = U[zero]
        rhs = np.concatenate([2.0 * a * U.sum(axis=0) + b * U[p == -1].sum(axis=0),
                              np.zeros(k)])
        sol = np.linalg.lstsq(A, rhs, rcond=None)[0]
        S, theta = sol[:d], sol[d:]
        t = U @ S
        resid = float(np.abs(A @ sol - rhs).max())
        ok = (resid <= tol * 1e3 and np.all(t[p == -1] < 0) and np.all(t[p == 1] > 0)
              and (b == 0 or np.all((theta >= -1e-9) & (theta <= 1 + 1e-9))))
        if ok:
            val = float(toy_loss(U, S, a, b))
            if best is None or val < best["loss"]:
                best = {"S": S, "logits": t, "pattern": p, "theta": theta, "loss": val,
                        "kkt_residual": resid}
    if best is None:  # pragma: no cover - a convex coercive loss always has a KKT point
        raise InvalidParameterError("toy_minimizer found no KKT point; is U of full rank?")
    return best


def coefficient_of_variation(U, S, *, positive_mean=False):
    r""":math:`r(S) = \sigma(S)/\mu(S)`: standard deviation over mean of the logits
    :math:`t = US` (population moments, B3/B5); scale invariant. ``S`` of shape (d,) gives
    a float, (d, k) an array over the k columns; with ``positive_mean`` directions whose
    mean logit is not positive give NaN."""
    t = np.asarray(U, dtype=float) @ np.asarray(S, dtype=float)
    mean, std = t.mean(axis=0), t.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(mean > 0, std / mean, np.nan) if positive_mean else std / mean
    return float(r) if np.ndim(r) == 0 else r


def _toy(b, size, caller):
    check_size(size, caller)
    U = TOY_U
    mins = {a: toy_minimizer(U, a, b) for a in TOY_TARGETS}
    S2, S6 = (mins[a]["S"] for a in TOY_TARGETS)
    cross = float(S2[0] * S6[1] - S2[1] * S6[0])
    phi = np.linspace(-math.pi, math.pi, 2001)
    r_phi = coefficient_of_variation(U, np.vstack([np.cos(phi), np.sin(phi)]),
                                     positive_mean=True)
    lim = 1.25 * max(float(np.abs(m["S"]).max()) for m in mins.values())
    grid = np.linspace(-lim, lim, 161)
    G = np.stack(np.meshgrid(grid, grid), axis=-1)
    return {"settings": {"U": U, "targets": TOY_TARGETS, "b": float(b), "N": U.shape[0],
                         "d": U.shape[1],
                         "loss": "(1/N) sum_i (t_i - a)^2 + b max(0, -t_i)"},
            "minimizers": {a: m["S"] for a, m in mins.items()},
            "logits": {a: m["logits"] for a, m in mins.items()},
            "patterns": {a: m["pattern"] for a, m in mins.items()},
            "theta": {a: m["theta"] for a, m in mins.items()},
            "min_loss": {a: m["loss"] for a, m in mins.items()},
            "kkt_residual": max(m["kkt_residual"] for m in mins.values()),
            "r": {a: coefficient_of_variation(U, m["S"]) for a, m in mins.items()},
            "cross": cross,
            "sin_angle": cross / float(np.linalg.norm(S2) * np.linalg.norm(S6)),
            "phi": phi, "r_phi": r_phi, "grid": grid,
            "loss_grid": {a: toy_loss(U, G, a, b) for a in TOY_TARGETS}}


def _by_target(mapping, a):
    """``mapping[a]``; after a JSON round trip the keys are strings."""
    return mapping[a] if a in mapping else mapping[str(a)]


def _draw_toy(data, number):
    plt = pyplot()
    s = data["settings"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    grid = np.asarray(data["grid"])
    mins = {float(a): np.asarray(S) for a, S in data["minimizers"].items()}
    cols = {a: f"C{j}" for j, a in enumerate(mins)}
    for ax, a in zip(axes[:2], mins):
        L = np.asarray(_by_target(data["loss_grid"], a))
        levels = np.quantile(L, np.linspace(0.0, 0.6, 14) ** 2)
        ax.contour(grid, grid, L, levels=np.unique(levels), cmap="Greys", linewidths=0.7)
        for a2, S in mins.items():
            ray = np.outer([0.0, 1.6 * grid[-1] / np.linalg.norm(S)], S)
            ax.plot(ray[:, 0], ray[:, 1], "--", color=cols[a2], lw=0.9)
            ax.plot(*S, "o" if a2 == a else "x", color=cols[a2], ms=8,
                    label=f"minimiser a={a2:g}: S=({S[0]:.3f}, {S[1]:.3f})")
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(grid[0], grid[-1])
        ax.set_aspect("equal")
        ax.set_xlabel("S_1 (weight on coordinate 1)")
        ax.set_ylabel("S_2 (weight on coordinate 2)")
        ax.set_title(f"contours of L(S), a={a:g}, b={s['b']:g}; dashed: rays of the minimisers",
                     fontsize=8)
        ax.legend(fontsize=7, loc="lower left")
    ax = axes[2]
    phi = np.degrees(np.asarray(data["phi"], dtype=float))
    r_phi = np.array([np.nan if v is None else v for v in data["r_phi"]], dtype=float)
    rs = [_by_target(data["r"], a) for a in mins]
    r_lo = float(np.nanmin(r_phi))
    top = r_lo + 2.5 * (max(rs) - r_lo) + 0.05 * r_lo   # zoom on the minimisers
    show = r_phi <= top
    ax.plot(phi[show], r_phi[show], "k-", lw=1.0, label="r along direction phi")
    ax.axhline(r_lo, color="grey", ls=":", lw=0.8, label=f"min_phi r = {r_lo:.4f}")
    for a, r in zip(mins, rs):
        S = mins[a]
        ax.plot(math.degrees(math.atan2(S[1], S[0])), r, "o", color=cols[a],
                label=f"minimiser a={a:g}: r={r:.4f}")
    ax.set_xlabel("direction phi of S = |S|(cos phi, sin phi)  (degrees)")
    ax.set_ylabel("coefficient of variation r = std(t)/mean(t)  (mean t > 0)")
    ax.set_title(f"sin(angle between minimisers) = {data['sin_angle']:.3g}", fontsize=9)
    ax.legend(fontsize=7)
    U = np.asarray(s["U"])
    pts = ", ".join(f"({u[0]:g}, {u[1]:g})" for u in U)
    fig.suptitle(f"Fig. {number} (B6): N={s['N']} toy, u_i = {pts}; loss (t-a)^2 + "
                 f"{s['b']:g} max(0,-t), a in {{{', '.join(f'{a:g}' for a in mins)}}}",
                 fontsize=9)
    fig.tight_layout()
    return fig


@figure("11", "B6 N=3 toy, loss (t-a)^2 (b=0): the minimisers for a=2 and a=6 are "
              "colinear and share the minimal coefficient of variation r", claims=("B6",))
def fig11(size: str = "default") -> dict:
    r"""Data of Fig. 11 (:math:`b = 0`). Returns ``minimizers``, ``logits``, ``patterns``,
    ``theta``, ``min_loss`` and ``r`` (each keyed by the target ``a``), ``kkt_residual``,
    ``cross`` (:math:`S(2)\times S(6)`), ``sin_angle``, the curve ``phi``/``r_phi``, the
    contour data ``grid``/``loss_grid`` and the settings (``size`` does not matter: the
    toy is exact and instantaneous)."""
    return _toy(0.0, size, "fig11")


@fig11.drawer
def _draw_fig11(data):
    return _draw_toy(data, 11)


@figure("12", "B6 N=3 toy, loss (t-a)^2 + 6 max(0,-t): the kink breaks the colinearity "
              "of the minimisers for a=2 and a=6", claims=("B6",))
def fig12(size: str = "default") -> dict:
    r"""Data of Fig. 12 (:math:`b = 6`); same keys as :func:`fig11`."""
    return _toy(6.0, size, "fig12")


@fig12.drawer
def _draw_fig12(data):
    return _draw_toy(data, 12)


# ------------------------------------------------------------------------------ fig 14
#: B11 settings: lambda = 0.7, sigma_f = 0.5 (as claim B11's check).
FIG14_SETTINGS = {
    "test": dict(n=100, d=70, n_seeds=2, m_test=20_000, seed=111),
    "default": dict(n=600, d=420, n_seeds=3, m_test=50_000, seed=111),
    "full": dict(n=2000, d=1400, n_seeds=3, m_test=100_000, seed=111),
}
FIG14_ALPHAS = (0.05, 0.2, 0.4)
#: Test logits kept for the histogram (the variances use all m_test).
_HIST_M = 5000


@figure("14", "B11 train vs test logit spread at lambda=0.7: train std < sigma_f S1 < "
              "test std, test variance = sigma_f^2 S1^2 + sigma_n^2 |S_perp|^2",
        claims=("B11",))
def fig14(size: str = "default") -> dict:
    r"""Data of Fig. 14 (claim B11).

    Returns ``rows`` (per draw and :math:`\alpha`, from
    :func:`~numerics.claims.clustering.spread_rows`: ``S1``, ``Sperp``, ``train_std``,
    ``signal_std`` :math:`\sigma_fS_1`, ``var_pred``, ``test_var``, ``test_mean``),
    ``evaluation`` (:func:`~numerics.claims.clustering.evaluate_b11`), ``theory``
    (:math:`\sqrt{1-\lambda}` and :math:`\sqrt{1+(d-1)/(N-d-1)}`), ``hist`` (first draw,
    :math:`\alpha = 0.2`: ``train`` and ``test`` logits, ``var_pred``, ``signal_std``) and
    the settings.
    """
    s = dict(FIG14_SETTINGS[check_size(size, "fig14")])
    s.update(mu_f=1.0, sigma_f=0.5, sigma_n=1.0, regularizer="quadratic",
             alphas=FIG14_ALPHAS)
    n, d = s["n"], s["d"]
    with blas_single_thread():
        rows = clu.spread_rows(n, d, FIG14_ALPHAS, n_seeds=s["n_seeds"], seed=s["seed"],
                               m_test=s["m_test"], sigma_f=s["sigma_f"], mu_f=s["mu_f"],
                               sigma_n=s["sigma_n"], keep_S=True)
        ds = binary_signal_noise(n, d, mu_f=s["mu_f"], sigma_f=s["sigma_f"],
                                 sigma_n=s["sigma_n"], seed=seeds(s["seed"], s["n_seeds"])[0])
        S = {(r["seed"], r["alpha"]): r.pop("S") for r in rows}[(0, 0.2)]
        test = ds.fresh(_HIST_M, seed=s["seed"] + 7).u @ S
    ev = clu.evaluate_b11(rows, m_test=s["m_test"], n=n, d=d)
    row = next(r for r in rows if r["seed"] == 0 and r["alpha"] == 0.2)
    return {"settings": s, "rows": rows, "evaluation": ev, "theory": clu.b11_theory(n, d),
            "hist": {"alpha": 0.2, "train": ds.u @ S, "test": test,
                     "var_pred": row["var_pred"], "signal_std": row["signal_std"]}}


@fig14.drawer
def _draw_fig14(data):
    plt = pyplot()
    s, h = data["settings"], data["hist"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.6))
    train, test = np.asarray(h["train"]), np.asarray(h["test"])
    bins = np.linspace(min(train.min(), test.min()), max(train.max(), test.max()), 60)
    a1.hist(train, bins=bins, density=True, histtype="step", color="C0",
            label=f"train (N={train.size}): std {train.std():.3f}")
    a1.hist(test, bins=bins, density=True, histtype="step", color="C3",
            label=f"fresh test ({test.size}): std {test.std():.3f}")
    x = np.linspace(bins[0], bins[-1], 400)
    sd = math.sqrt(h["var_pred"])
    a1.plot(x, stats.norm.pdf(x, loc=test.mean(), scale=sd), "k--", lw=0.8,
            label=f"N(., sigma_f^2 S1^2 + sigma_n^2|S_perp|^2), std {sd:.3f}")
    a1.axvspan(train.mean() - h["signal_std"], train.mean() + h["signal_std"], color="grey",
               alpha=0.15, label=f"mean +- sigma_f S1 = {h['signal_std']:.3f}")
    a1.set_xlabel(f"logit t = S_min . u  (nats), alpha={h['alpha']:g}, first draw")
    a1.set_ylabel("density")
    a1.set_title("test logits spread more than the training logits", fontsize=9)
    a1.legend(fontsize=7, loc="upper left")
    rows = data["rows"]
    al = np.array([r["alpha"] for r in rows])
    jit = 1.0 + 0.04 * (np.array([r["seed"] for r in rows]) - 1)
    a2.plot(al * jit, [r["train_std"] / r["signal_std"] for r in rows], "o", color="C0",
            label="train std / (sigma_f S1)")
    a2.plot(al * jit, [math.sqrt(r["test_var"]) / r["signal_std"] for r in rows], "s",
            color="C3", label="test std / (sigma_f S1)")
    th = data["theory"]
    a2.axhline(1.0, color="k", lw=0.8)
    a2.axhline(th["train"], color="C0", ls="--", lw=0.8,
               label=f"sqrt(1-lambda) = {th['train']:.3f} (linear response)")
    a2.axhline(th["test"], color="C3", ls="--", lw=0.8,
               label=f"sqrt(1+(d-1)/(N-d-1)) = {th['test']:.3f}")
    a2.set_xscale("log")
    a2.set_ylim(0.0, 1.15 * max(th["test"], max(math.sqrt(r["test_var"]) / r["signal_std"]
                                                for r in rows)))
    a2.set_xlabel("alpha (log scale; draws slightly offset)")
    a2.set_ylabel("logit std / (sigma_f S1)")
    a2.set_title("train < 1 < test for every alpha and draw", fontsize=9)
    a2.legend(fontsize=7)
    fig.suptitle(f"Fig. 14 (B11): N={s['n']}, d={s['d']} (lambda={s['d'] / s['n']:.2g}), "
                 f"mu_f={s['mu_f']:g}, sigma_f={s['sigma_f']:g}, sigma_n={s['sigma_n']:g}, "
                 f"f(t)=t^2, {s['n_seeds']} draws, {s['m_test']} test points each",
                 fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ fig 20
#: B12 settings: sigma_n = 1, alpha = 0.4, lambda = 0.7.
FIG20_SETTINGS = {
    "test": dict(n=100, d=70, n_seeds=2, seed=121),
    "default": dict(n=600, d=420, n_seeds=3, seed=121),
    "full": dict(n=2000, d=1400, n_seeds=3, seed=121),
}


@figure("20", "B12 sigma_f dependence (sigma_n=1, alpha=0.4): S1 ~ t*/mu_f constant, "
              "|S_perp| and C = sigma_n |S_perp|/S1 linear in small sigma_f",
        claims=("B12",))
def fig20(size: str = "default") -> dict:
    r"""Data of Fig. 20 (claim B12).

    Returns ``sigma_fs`` (grid, common random numbers per draw), ``small`` (mask of the
    linear range :data:`~numerics.claims.plateau.SIGMA_F_SMALL`), ``scans`` (per
    draw: ``S1``, ``Sperp``, ``C`` arrays, linear-response slope ``b0`` and the
    :func:`~numerics.claims.plateau.evaluate_b12` ``evaluation``), ``target``
    :math:`t^*(0.4)/\mu_f` and the settings.
    """
    s = dict(FIG20_SETTINGS[check_size(size, "fig20")])
    s.update(mu_f=1.0, sigma_n=1.0, alpha=0.4, regularizer="quadratic")
    with blas_single_thread():
        grid, small, scans = pl.b12_scans(s["n"], s["d"], n_seeds=s["n_seeds"], seed=s["seed"],
                                          alpha=s["alpha"], mu_f=s["mu_f"],
                                          sigma_n=s["sigma_n"])
    return {"settings": s, "sigma_fs": grid, "small": small, "scans": scans,
            "target": float(compile_binary("quadratic").target(s["alpha"])) / s["mu_f"],
            "b0_sq_theory": clu.inverse_wishart_trace(s["n"], s["d"])}


@fig20.drawer
def _draw_fig20(data):
    plt = pyplot()
    s = data["settings"]
    x = np.asarray(data["sigma_fs"], dtype=float)
    xs = x[np.asarray(data["small"], dtype=bool)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.6))
    for j, sc in enumerate(data["scans"]):
        col = f"C{j}"
        a1.plot(x, sc["S1"], "o-", ms=3, color=col, label=f"S1, draw {j}")
        a1.plot(x, sc["Sperp"], "s--", ms=3, color=col, label=f"|S_perp|, draw {j}")
        a2.plot(x, sc["C"], "o-", ms=3, color=col,
                label=f"draw {j}: R^2 (sigma_f<={xs.max():g}) = "
                      f"{sc['evaluation']['C fit R^2']:.5f}")
        a2.plot(x, sc["b0"] * x, ":", color=col, lw=1.0,
                label=f"b0 sigma_f, b0 = {sc['b0']:.3f} (linear response)")
    a1.axhline(data["target"], color="k", lw=0.8, ls="-.",
               label=f"t*(alpha)/mu_f = {data['target']:.4f} (sigma_f = 0, B7)")
    for ax in (a1, a2):
        ax.axvspan(0.0, float(xs.max()), color="grey", alpha=0.1)
        ax.set_xlabel("sigma_f (signal-direction noise), same draw rescaled")
        ax.legend(fontsize=7)
    a1.set_ylabel("S1 = S_min . e1 and |S_perp|")
    a1.set_title("S1 ~ constant, |S_perp| grows linearly for small sigma_f (shaded)",
                 fontsize=9)
    a2.set_ylabel("C = sigma_n |S_perp| / S1")
    a2.set_title(f"C linear in sigma_f; mean b0^2 theory (d-1)/(N-d-1) = "
                 f"{data['b0_sq_theory']:.3f}", fontsize=9)
    fig.suptitle(f"Fig. 20 (B12): N={s['n']}, d={s['d']}, mu_f={s['mu_f']:g}, "
                 f"sigma_n={s['sigma_n']:g}, alpha={s['alpha']:g}, f(t)=t^2, "
                 f"{s['n_seeds']} draws", fontsize=9)
    fig.tight_layout()
    return fig
