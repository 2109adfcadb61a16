r"""Figures of claim B11 (train vs test logit spread): Fig. 14 and the
``B11_train_test_spread`` report figure of
:func:`numerics.claims.train_test_spread.check_b11`.

Both use the claim's sizes (:data:`numerics.claims.train_test_spread.SIZES`):
:math:`\lambda = 0.7`, :math:`\sigma_f = 0.5`, quadratic ``f`` (docs/theory.md §2). The
test variance is exactly :math:`\sigma_f^2S_1^2 + \sigma_n^2\|S_\perp\|^2`, and

.. math::
    \frac{\mathrm{std}_{train}}{\sigma_fS_1} \approx \sqrt{1-\lambda} < 1 <
    \frac{\mathrm{std}_{test}}{\sigma_fS_1} \approx \sqrt{1 + \frac{d-1}{N-d-1}}.

* **14** (Fig. 14). Histograms of train and fresh-test logits (first draw,
  :math:`\alpha = 0.2`) and per :math:`\alpha` the ratios :math:`\mathrm{std}/(\sigma_f S_1)`.
* **B11_train_test_spread** (report of ``logitreg verify``). The same ratios, and the
  training ratio over a scan of :math:`\lambda` against :math:`\sqrt{1-\lambda}`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from numerics.models.signal_noise import binary_signal_noise
from numerics.claims import train_test_spread as tts
from numerics.claims._common import seeds
from numerics.claims.clustering import blas_single_thread
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig14"]

#: Test logits kept for the histogram (the variances use all m_test).
_HIST_M = 5000


@figure("14", "B11 train vs test logit spread at lambda=0.7: train std < sigma_f S1 < "
              "test std, test variance = sigma_f^2 S1^2 + sigma_n^2 |S_perp|^2",
        claims=("B11",))
def fig14(size: str = "default") -> dict:
    r"""Data of Fig. 14 (claim B11).

    Returns ``rows`` (per draw and :math:`\alpha`, from
    :func:`~numerics.claims.train_test_spread.spread_rows`: ``S1``, ``Sperp``,
    ``train_std``, ``signal_std`` :math:`\sigma_fS_1`, ``var_pred``, ``test_var``,
    ``test_mean``), ``evaluation``
    (:func:`~numerics.claims.train_test_spread.evaluate_b11`), ``theory``
    (:math:`\sqrt{1-\lambda}` and :math:`\sqrt{1+(d-1)/(N-d-1)}`), ``hist`` (first draw,
    :math:`\alpha = 0.2`: ``train`` and ``test`` logits, ``var_pred``, ``signal_std``) and
    the settings.
    """
    s = dict(tts.SIZES[check_size(size, "fig14")], **tts.MODEL, regularizer="quadratic",
             alphas=tts.ALPHAS, seed=tts.SEED)
    n, d = s["n"], s["d"]
    with blas_single_thread():
        rows = tts.spread_rows(n, d, tts.ALPHAS, n_seeds=s["n_seeds"], seed=s["seed"],
                               m_test=s["m_test"], sigma_f=s["sigma_f"], mu_f=s["mu_f"],
                               sigma_n=s["sigma_n"], keep_S=True)
        ds = binary_signal_noise(n, d, mu_f=s["mu_f"], sigma_f=s["sigma_f"],
                                 sigma_n=s["sigma_n"], seed=seeds(s["seed"], s["n_seeds"])[0])
        S = {(r["seed"], r["alpha"]): r.pop("S") for r in rows}[(0, 0.2)]
        test = ds.fresh(_HIST_M, seed=s["seed"] + 7).u @ S
    ev = tts.evaluate_b11(rows, m_test=s["m_test"], n=n, d=d)
    row = next(r for r in rows if r["seed"] == 0 and r["alpha"] == 0.2)
    return {"settings": s, "rows": rows, "evaluation": ev, "theory": tts.b11_theory(n, d),
            "hist": {"alpha": 0.2, "train": ds.u @ S, "test": test,
                     "var_pred": row["var_pred"], "signal_std": row["signal_std"]}}


def _ratio_panel(ax, rows, theory):
    r"""Train and test :math:`\mathrm{std}/(\sigma_fS_1)` per (draw, :math:`\alpha`) of
    ``rows`` with the linear-response values ``theory``."""
    al = np.array([r["alpha"] for r in rows])
    jit = 1.0 + 0.04 * (np.array([r["seed"] for r in rows]) - 1)
    ax.plot(al * jit, [r["train_std"] / r["signal_std"] for r in rows], "o", color="C0",
            label="train std / (sigma_f S1)")
    ax.plot(al * jit, [math.sqrt(r["test_var"]) / r["signal_std"] for r in rows], "s",
            color="C3", label="test std / (sigma_f S1)")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.axhline(theory["train"], color="C0", ls="--", lw=0.8,
               label=f"sqrt(1-lambda) = {theory['train']:.3f} (linear response)")
    ax.axhline(theory["test"], color="C3", ls="--", lw=0.8,
               label=f"sqrt(1+(d-1)/(N-d-1)) = {theory['test']:.3f}")
    ax.set_xscale("log")
    ax.set_ylim(0.0, 1.15 * max(theory["test"], max(math.sqrt(r["test_var"]) / r["signal_std"]
                                                    for r in rows)))
    ax.set_xlabel("alpha (log scale; draws slightly offset)")
    ax.set_ylabel("logit std / (sigma_f S1)")
    ax.set_title("train < 1 < test for every alpha and draw", fontsize=9)
    ax.legend(fontsize=7)


def _title(s):
    return (f"N={s['n']}, d={s['d']} (lambda={s['d'] / s['n']:.2g}), mu_f={s['mu_f']:g}, "
            f"sigma_f={s['sigma_f']:g}, sigma_n={s['sigma_n']:g}, f(t)=t^2, "
            f"{s['n_seeds']} draws, {s['m_test']} test points each")


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
    _ratio_panel(a2, data["rows"], data["theory"])
    fig.suptitle("Fig. 14 (B11): " + _title(s), fontsize=9)
    fig.tight_layout()
    return fig


@claim_figure("B11_train_test_spread")
def _draw_b11_report(data):
    r"""Report figure of :func:`~numerics.claims.train_test_spread.check_b11`: the
    train/test ratios per :math:`\alpha` and the :math:`\lambda` scan of the training
    ratio against :math:`\sqrt{1-\lambda}`."""
    plt = pyplot()
    s, scan = data["settings"], data["scan"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.4))
    _ratio_panel(a1, data["rows"], data["theory"])
    a2.errorbar(scan["lambda"], scan["mean"], yerr=scan["sem"], fmt="o",
                label=f"train std / (sigma_f S1), alpha={scan['alpha']:g} (mean +- SE)")
    fine = np.linspace(0, 0.95, 100)
    a2.plot(fine, np.sqrt(1 - fine), "k--", lw=0.8, label="sqrt(1-lambda) (linear response)")
    a2.set_xlabel(f"lambda = d/N  (N={s['scan_n']})")
    a2.set_ylabel("train std / (sigma_f S1)")
    a2.set_title("lambda scan (evidence only: leading order in sigma_f/mu_f)", fontsize=9)
    a2.legend(fontsize=7)
    fig.suptitle("B11: " + _title(s), fontsize=9)
    fig.tight_layout()
    return fig
