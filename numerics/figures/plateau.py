r"""Figures of claim B6 (the α-insensitivity plateau): Figs. 2, 10, 13 and the
``B6_plateau`` report figure of :func:`numerics.claims.plateau.check_b6`.

All use the claim's sizes (:data:`numerics.claims.plateau.SIZES`), seeds and panels
(:func:`~numerics.claims.plateau.noise_panel`, :func:`~numerics.claims.plateau.gaussian_panel`,
:func:`~numerics.claims.plateau.d2_panel`; exact minimisers of the quadratic regulariser,
docs/theory.md §2). The measures are those of :func:`~numerics.claims.plateau.evaluate_b6`:

.. math::
    \text{flatness} = \max_{[10^{-3}, 0.9]}\cos - \min_{[10^{-3}, 0.9]}\cos, \qquad
    \text{jump} = \cos(S_{min}(10^{-5}), e_1) - \cos(\hat S, e_1).

* **2** (Fig. 2). :math:`\cos(S_{min}(\alpha), e_1)` vs :math:`\alpha` (log axis) for
  Student-t noise :math:`\nu \in \{2.1, 3, 20\}` (standardised; Gaussian for reference),
  :math:`\mu_f = \sigma_f = \sigma_n = 1`, :math:`\lambda = 2/3`, with the
  :math:`\alpha = 0` (max-margin) value; and :math:`\|S_{min}\|` against :math:`t^*(\alpha)`.
* **10** (Fig. 10). :math:`d = 2`: the angle between :math:`S_{min}(\alpha)` and the
  pure-quadratic minimiser :math:`S_{sq} \propto \hat\Sigma^{-1}\hat\mu` (B4),

  .. math:: \tan\theta(\alpha) = \frac{\|S_{min} - (S_{min}\cdot\hat s)\hat s\|}
                                       {S_{min}\cdot\hat s},\qquad \hat s = S_{sq}/\|S_{sq}\|,

  for several N down to :math:`\alpha = 10^{-5}` (geometric mean over draws). Both
  directions estimate the population Fisher direction :math:`e_1` at rate
  :math:`N^{-1/2}`, so :math:`\tan\theta = O(N^{-1/2})` uniformly in :math:`\alpha`.
* **13** (Fig. 13). Gaussian noise, :math:`\sigma_f = 0.5`, :math:`\sigma_n = 1`,
  :math:`\lambda = 0.1, 0.7, 0.9`: :math:`\cos(S_{min}, e_1)` vs :math:`\alpha` with the
  :math:`\alpha = 0` value.
* **B6_plateau** (report of ``logitreg verify``): the panels of Figs. 2 and 13 and the
  right panel of Fig. 10, from the check's own data.

The toy of Figs. 11-12 is in :mod:`numerics.figures.plateau_toy`.
"""

from __future__ import annotations

import math

import numpy as np

from numerics.compile.compiled import compile_binary
from numerics.claims import plateau as pl
from numerics.claims.clustering import blas_single_thread
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig2", "fig10", "fig13"]


def _noise_style(j, key):
    return ("grey" if key == "gaussian" else f"C{j}", ":" if key == "gaussian" else "-")


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


def _norm_panel(ax, alphas, panels, targets, style):
    r""":math:`\|S_{min}(\alpha)\|` (geometric mean over draws) against :math:`t^*(\alpha)`."""
    for j, (key, rec) in enumerate(panels.items()):
        ax.loglog(alphas, np.exp(np.log(np.asarray(rec["norm"])).mean(axis=0)), "o-", ms=3,
                  color=style(j, key)[0], label=key)
    t = np.asarray(targets)
    ref = np.exp(np.log(np.asarray(next(iter(panels.values()))["norm"])).mean(axis=0))
    ax.loglog(alphas, t * ref[-1] / t[-1], "k--", lw=0.8,
              label="t*(alpha), scaled to the first panel at alpha=0.9")
    ax.set_xlabel("alpha (log scale)")
    ax.set_ylabel("|S_min(alpha)|  (geometric mean over draws)")
    ax.set_title("the norm follows t*(alpha) over orders of magnitude", fontsize=9)
    ax.legend(fontsize=7)


def _d2_summary(tan) -> dict:
    r"""Per N of a :func:`~numerics.claims.plateau.d2_panel` (draws x alphas
    :math:`\tan\theta`): ``geo_mean`` over draws, per-draw ``max_tan`` and the ``slope`` of
    :func:`~numerics.claims.plateau.d2_slope`."""
    tan = {n: np.asarray(arr, dtype=float) for n, arr in tan.items()}
    return {"geo_mean": {n: np.exp(np.log(np.maximum(a, 1e-300)).mean(axis=0))
                         for n, a in tan.items()},
            "max_tan": {n: a.max(axis=1) for n, a in tan.items()},
            "slope": pl.d2_slope(pl.d2_log_max_stats({int(n): a for n, a in tan.items()}))}


def _d2_max_panel(ax, max_tan, slope):
    r""":math:`\max_\alpha\tan\theta` per draw against N, geometric mean and
    :math:`N^{-1/2}`."""
    ns = list(max_tan)
    nn = np.array([float(n) for n in ns])
    mx = [np.asarray(max_tan[n]) for n in ns]
    gm = np.array([10 ** np.mean(np.log10(m)) for m in mx])
    for x, m in zip(nn, mx):
        ax.loglog(np.full(m.shape, x), m, ".", color="grey", ms=4)
    ax.loglog(nn, gm, "o-", label=f"geometric mean; fitted slope {slope:.2f}")
    ax.loglog(nn, gm[0] * np.sqrt(nn[0] / nn), "k--", lw=0.8, label="N^(-1/2) (theory)")
    ax.set_xlabel("number of samples N  (d=2)")
    ax.set_ylabel("max over alpha of tan(theta)")
    ax.set_title("the plateau gets flatter with N like N^(-1/2)", fontsize=9)
    ax.legend(fontsize=7)


def _settings(size, caller, **keys):
    s = pl.SIZES[check_size(size, caller)]
    return {new: s[old] for new, old in keys.items()} | {"fine_alphas": s["fine_alphas"]}


# ------------------------------------------------------------------------------- fig 2
@figure("2", "B6 alpha-plateau, Student-t noise (nu=2.1, 3, 20; Gaussian for reference): "
             "cos(S_min, e1) vs alpha jumps from the alpha=0 max-margin value, then stays "
             "flat while |S_min| follows t*(alpha)", claims=("B6",))
def fig2(size: str = "default") -> dict:
    r"""Data of Fig. 2 (claim B6).

    Returns ``alphas``, ``targets`` :math:`t^*(\alpha)`, and ``panels``: noise law ->
    :func:`~numerics.claims.plateau.sweep_record` with (draws x alphas) arrays ``cos`` and
    ``norm``, per-draw ``cos0`` (:math:`\alpha = 0`: max-margin direction, or the logistic
    MLE if not separable), ``flatness``, ``jump``, ``separable``, ``limit_gap``
    (:math:`1 - \cos` to the whitened SVM at :data:`~numerics.claims.plateau.LIMIT_ALPHAS`)
    and ``svm_gap``; plus ``plateau_range`` and the settings.
    """
    s = _settings(size, "fig2", n="n", d="d", n_seeds="n_seeds")
    s.update(pl.NOISE_MODEL, seed=pl.SEEDS["noise"], regularizer="quadratic")
    alphas = pl.default_alphas(s["fine_alphas"])
    with blas_single_thread():
        panel = pl.noise_panel(s["n"], s["d"], pl.NOISES, alphas, n_seeds=s["n_seeds"],
                               seed=s["seed"], **pl.NOISE_MODEL)
    return {"settings": s, "alphas": alphas,
            "targets": compile_binary("quadratic").target(alphas),
            "plateau_range": pl.PLATEAU_RANGE, "limit_alphas": pl.LIMIT_ALPHAS,
            "panels": {k: pl.sweep_record(v) for k, v in panel.items()}}


@fig2.drawer
def _draw_fig2(data):
    plt = pyplot()
    s = data["settings"]
    alphas = np.asarray(data["alphas"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 4.8))
    _draw_plateau(a1, alphas, data["panels"], _noise_style)
    a1.set_title("cos to the signal direction: jump at alpha = 0, plateau for alpha > 0",
                 fontsize=9)
    a1.legend(fontsize=7)
    _norm_panel(a2, alphas, data["panels"], data["targets"], _noise_style)
    fig.suptitle(f"Fig. 2 (B6): Student-t noise (standardised, both xi_f and xi_perp), "
                 f"N={s['n']}, d={s['d']}, mu_f={s['mu_f']:g}, sigma_f={s['sigma_f']:g}, "
                 f"sigma_n={s['sigma_n']:g}, f(t)=t^2, {s['n_seeds']} draws", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ fig 13
@figure("13", "B6 alpha-plateau, Gaussian noise (sigma_f=0.5, sigma_n=1), lambda=d/N = "
              "0.1, 0.7, 0.9: cos(S_min, e1) vs alpha with the alpha=0 value",
        claims=("B6",))
def fig13(size: str = "default") -> dict:
    r"""Data of Fig. 13 (claim B6): as :func:`fig2` (``alphas``, ``targets``, ``panels``
    keyed ``"d=..."``, each with ``cos``, ``norm``, ``cos0``, ``flatness``, ``jump``,
    ``separable``, ``limit_gap``, ``svm_gap``) for Gaussian noise at several d."""
    s = _settings(size, "fig13", n="gauss_n", ds="gauss_ds", n_seeds="gauss_seeds")
    s.update(pl.GAUSS_MODEL, seed=pl.SEEDS["gaussian"], regularizer="quadratic")
    alphas = pl.default_alphas(s["fine_alphas"])
    with blas_single_thread():
        panel = pl.gaussian_panel(s["n"], s["ds"], alphas, n_seeds=s["n_seeds"],
                                  seed=s["seed"], **pl.GAUSS_MODEL)
    panels = {f"d={d}": pl.sweep_record(sweeps) for d, sweeps in panel.items()}
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
@figure("10", "B6 d=2 finite-N plateau: tan(theta) between S_min(alpha) and the "
              "pure-quadratic minimiser vs alpha (down to 1e-5) for several N",
        claims=("B6",))
def fig10(size: str = "default") -> dict:
    r"""Data of Fig. 10 (claim B6, :math:`d = 2`).

    Returns ``alphas`` (:func:`~numerics.claims.plateau.default_alphas`,
    :math:`10^{-5}..0.9`), ``tan`` (N -> (draws x alphas) array of
    :math:`\tan\theta(\alpha)`), ``geo_mean`` (N -> geometric mean over draws), ``max_tan``
    (N -> per-draw :math:`\max_\alpha\tan\theta`), ``slope`` (least-squares slope of the
    mean :math:`\log_{10}` max against :math:`\log_{10}N`; theory :math:`-1/2`) and the
    settings.
    """
    s = _settings(size, "fig10", ns="d2_ns", n_seeds="d2_seeds")
    s.update(pl.NOISE_MODEL, d=2, seed=pl.SEEDS["d2"], regularizer="quadratic")
    alphas = pl.default_alphas(s["fine_alphas"])
    with blas_single_thread():
        tan = pl.d2_panel(s["ns"], alphas, n_seeds=s["n_seeds"], seed=s["seed"],
                          **pl.NOISE_MODEL)
    return dict({"settings": s, "alphas": alphas, "tan": tan}, **_d2_summary(tan))


@fig10.drawer
def _draw_fig10(data):
    plt = pyplot()
    s = data["settings"]
    alphas = np.asarray(data["alphas"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.6))
    for j, n in enumerate(data["tan"]):
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
    _d2_max_panel(a2, data["max_tan"], data["slope"])
    fig.suptitle(f"Fig. 10 (B6): d=2, mu_f={s['mu_f']:g}, sigma_f={s['sigma_f']:g}, "
                 f"sigma_n={s['sigma_n']:g}, f(t)=t^2, alpha in [1e-5, 0.9]", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------- report figure B6
@claim_figure("B6_plateau")
def _draw_b6_report(data):
    r"""Report figure of :func:`~numerics.claims.plateau.check_b6`: the noise-law plateau
    and norms (Fig. 2), the Gaussian plateau (Fig. 13) and the d = 2 angles (Fig. 10)."""
    plt = pyplot()
    s = data["settings"]
    alphas = np.asarray(data["alphas"])
    fig, axes = plt.subplots(1, 4, figsize=(21, 4.6))
    _draw_plateau(axes[0], alphas, data["noise"], _noise_style)
    axes[0].set_title(f"noise laws: N={s['n']}, d={s['d']}, mu_f=sigma_f=sigma_n=1, "
                      f"{s['n_seeds']} draws", fontsize=8)
    axes[0].legend(fontsize=6)
    _norm_panel(axes[1], alphas, data["noise"], data["targets"], _noise_style)
    _draw_plateau(axes[2], alphas, data["gaussian"], lambda j, key: (f"C{j}", "-"))
    axes[2].set_title(f"Gaussian: N={s['gauss_n']}, sigma_f=0.5, sigma_n=1, "
                      f"{s['gauss_seeds']} draws per d", fontsize=8)
    axes[2].legend(fontsize=6)
    d2 = _d2_summary(data["d2"])
    _d2_max_panel(axes[3], d2["max_tan"], d2["slope"])
    fig.suptitle("B6: jump between alpha = 0 and alpha > 0, then plateau; f(t)=t^2",
                 fontsize=9)
    fig.tight_layout()
    return fig
