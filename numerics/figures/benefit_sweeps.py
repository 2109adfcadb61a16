r"""Figures of the B10 machinery through the sweep engine: 16 (over :math:`\lambda`) and
17 (over :math:`\sigma_n`), on the signal-plus-noise model with :math:`\mu_f = 1`,
:math:`\sigma_f = 0.5`, :math:`\alpha = 0.4` (claim B10's; docs/theory.md §2-3).

* **16** (sweep over :math:`\lambda`). The exact accuracies (Eq. 5) of the
  :math:`\alpha = 0.4` minimiser and of the unregularised gradient-descent limit vs
  :math:`\lambda = d/N` at fixed :math:`N` and several fixed :math:`\sigma_n`; the
  regularised points coincide for every :math:`\sigma_n` (B9). Lines: the CGMT theory.
* **17** (sweep over :math:`\sigma_n`). Both accuracies and the gain
  :math:`A_{reg} - A_{unreg}` vs :math:`\sigma_n` at several fixed :math:`\lambda`, with
  :math:`\sigma_n^*(\lambda)`.

Both run :func:`numerics.sweep.benefit_diagram_sweep` (the ``benefit`` experiment, i.e.
:func:`numerics.claims.benefit.benefit_point` on seeded common random numbers).
"""

from __future__ import annotations

import math

import numpy as np

from numerics.asymptotics import predict, unregularised_accuracy
from numerics.claims import benefit
from numerics.claims.benefit import crossing
from numerics.claims.clustering import blas_single_thread
from numerics.sweep import benefit_diagram_sweep
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.benefit import benefit_family, benefit_theory

__all__ = ["fig16", "fig17", "FIG16_SIZES", "FIG17_SIZES"]

REGULARIZER = benefit.REGULARIZER
#: sigma_f of both figures (mu_f = 1: kappa = 2).
SIGMA_F = 0.5


def _grid(space, lo, hi, num) -> list:
    """``np.geomspace``/``np.linspace`` (``space``) rounded to 6 digits, as plain floats."""
    return [round(float(x), 6) for x in space(lo, hi, num)]


def _lam_of(n, lam) -> float:
    """The lambda = d/N actually simulated (the sweep spec rounds d = round(lam N))."""
    return int(round(lam * n)) / n


FIG16_SIZES = {
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
    s = dict(FIG16_SIZES[check_size(size, "fig16")])
    alpha, sigma_f = benefit.ALPHA, SIGMA_F
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


FIG17_SIZES = {
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
    s = dict(FIG17_SIZES[check_size(size, "fig17")])
    alpha, sigma_f = benefit.ALPHA, SIGMA_F
    with blas_single_thread():   # seed means: (len(lams), 1 sigma_f, len(sigma_ns))
        reg, unreg = benefit_diagram_sweep(s["n"], None, [sigma_f], s["sigma_ns"],
                                           lams=s["lams"], alpha=alpha, n_seeds=s["n_seeds"],
                                           seed=s["seed"], regularizer=REGULARIZER)
    reg, unreg = reg[:, 0], unreg[:, 0]
    lams = [_lam_of(s["n"], x) for x in s["lams"]]
    theory = benefit_theory(alpha, [(lam, sigma_f) for lam in lams])
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
        benefit_family(ax, sn, reg, unreg, th, i, col, s["alpha"], f"lambda={lam:.2g}")
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
