r"""Figures of claim B8 (grokking): Fig. 5 and the ``B8_grokking`` report figure of
:func:`numerics.claims.grokking.check_b8` -- the same picture, drawn from
:func:`numerics.claims.grokking.b8_figure_data` at :data:`numerics.claims.grokking.SIZES`.

:math:`\sigma_f = 0`, :math:`\lambda = 0.7`, full-batch GD from 0: train/test accuracy,
exact population error :math:`\Phi(-\mu_f S_1/\sigma_n\|S_\perp\|)` and population test
loss vs epoch for each :math:`\alpha > 0` and :math:`\alpha = 0`, with :math:`T_{gen}`
(error :math:`\le 10^{-6}`) and the delay :math:`T_{gen} - T_{train}` against the linear
time constant :math:`\tau = 1/(\eta\,\ell''(t^*)\lambda_{min}(U^\top U/N))` and its
power-law fit.
"""

from __future__ import annotations

import numpy as np

from numerics.claims import grokking as grok
from numerics.claims.clustering import blas_single_thread
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig5", "draw_b8"]


@figure("5", "B8 grokking: train/test accuracy, population error and test loss vs GD "
             "epoch (sigma_f=0, lambda=0.7) for each alpha > 0 and alpha=0",
        claims=("B8",))
def fig5(size: str = "default") -> dict:
    r"""Data of Fig. 5 (claim B8) at ``grokking.SIZES[size]``:
    :func:`numerics.claims.grokking.b8_figure_data` (``check_b8``'s figure data)."""
    setting = grok.SIZES[check_size(size, "fig5")]
    with blas_single_thread():
        res = grok.grokking_runs(setting)
    theory = grok.theory_table(res["data"].u, setting.alphas, setting.lr)
    return grok.b8_figure_data(res, setting, theory)


@claim_figure("B8_grokking")
@fig5.drawer
def draw_b8(data):
    """Accuracy, population error, population test loss vs epoch; delay vs alpha."""
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
    if data.get("fit") is not None:
        b, a0 = data["fit"]
        xs = np.array([al.min(), al.max()])
        ax_del.loglog(xs, np.exp(a0) * xs**b, "-", lw=0.8, label=f"fit: alpha^{b:.3f}")
    ax_del.set_xlabel("alpha (quadratic f = t^2)")
    ax_del.set_ylabel("epochs")
    ax_del.set_title(f"delay vs alpha (lambda_min = {data['lambda_min']:.3g})", fontsize=8)
    for ax in (ax_acc, ax_loss, ax_del):
        ax.legend(fontsize=6)
    ax_err.legend(fontsize=6)
    fig.suptitle(f"B8 grokking (Fig. 5): d={s['d']}, N={s['n']} (lambda={s['d'] / s['n']:.2g}), "
                 f"mu_f={s['mu_f']:g}, sigma_f=0, sigma_n={s['sigma_n']:g}, lr={s['lr']:g}; "
                 f"red dotted: paper's {s['paper_epochs']} epochs", fontsize=9)
    fig.tight_layout()
    return fig
