r"""Figures of claim B1 (logit clustering): Fig. 1 and the ``B1_logit_clustering`` report
figure of :func:`numerics.claims.clustering.check_b1`.

Both use the claim's sizes (:data:`numerics.claims.clustering.SIZES`) and draws
(:func:`~numerics.claims.clustering.b1_draws`): the quadratic regulariser
:math:`\ell(t) = (1-\alpha)\log(1+e^{-t}) + \alpha t^2` on the signal-plus-noise model
:math:`x = y\mu_f e_1 + \sigma_f\xi_f e_1 + \sigma_n\xi_\perp`, :math:`\lambda = 0.7`
(docs/theory.md §2-3).

* **1** (Fig. 1). Histograms of the training logits :math:`t_i = S\cdot u_i` of the
  exact minimiser for :math:`\alpha \in \{0.05, 0.2, 0.4\}`, with :math:`t^*(\alpha)`
  marked: they sit at :math:`t^*` with RMS spread at the geometric floor
  :math:`t^* r`, :math:`r = \|(I-P_U)\mathbf 1\|/\sqrt N`,

  .. math:: 1 \le \kappa = \frac{\mathrm{RMS}(t - t^*)}{t^* r} \le \kappa_{max}

  (:func:`~numerics.claims.clustering.clustering_at_minimum`). Against them the
  :math:`\alpha = 0` logits of cross-entropy gradient descent at several epochs:
  :math:`S_k \approx \hat S\log k`, so :math:`\min_i t_i` grows by :math:`\ln 10` per
  decade and the logits spread without bound.
* **B1_logit_clustering** (report of ``logitreg verify``). The training logits over
  :math:`t^*` for every convex built-in at :math:`\alpha = 0.2`, the :math:`\alpha = 0`
  growth, and :math:`\|S_k\|/\log k \to \|\hat S\|`.
"""

from __future__ import annotations

import numpy as np

from numerics.claims import clustering as clu
from numerics.claims.clustering import blas_single_thread
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig1"]


def _growth_panel(ax, gd):
    r""":math:`\|S_k\|`, :math:`\|\hat S\|\log k`, the smallest logit and the logit std of
    an :math:`\alpha = 0` GD record (:meth:`~numerics.claims.clustering.Growth.record`)."""
    e = np.asarray(gd["epochs"], dtype=float)
    ax.semilogx(e, gd["norm"], "o-", ms=3, label="|S_k|")
    ax.semilogx(e, gd["hat_norm"] * np.log(e), "k--", lw=0.8,
                label=f"|S_hat| log k  (|S_hat|={gd['hat_norm']:.3f}, hard-margin SVM)")
    ax.semilogx(e, gd["min_logit"], "s-", ms=3, label="min_i t_i")
    ax.semilogx(e, gd["logit_std"], "^-", ms=3, label="std_i t_i")


@figure("1", "B1 logit clustering: training logits of the exact minimiser sit at t* "
             "(alpha=0.05, 0.2, 0.4) while alpha=0 gradient descent spreads them like "
             "log(epoch)", claims=("B1",))
def fig1(size: str = "default") -> dict:
    r"""Data of Fig. 1 (claim B1).

    Returns ``reg`` (one record per :math:`\alpha` in
    :data:`~numerics.claims.clustering.ALPHAS`: ``alpha``, ``target`` :math:`t^*`, training
    ``logits``, ``mean``, ``std``, ``rms`` :math:`=\mathrm{RMS}(t-t^*)`, floor ``r``,
    ``kappa``, ``kappa_max``, ``clustered``), ``r_asymptotic``
    :math:`\sqrt{(1-\lambda')\sigma_f^2/(\mu_f^2+\sigma_f^2)}`, :math:`\lambda' = (d-1)/(N-1)`,
    ``gd`` (:math:`\alpha = 0` cross-entropy GD on the second draw: ``epochs``, ``norm``
    :math:`\|S_k\|`, ``min_logit``, ``logit_std``, ``cosine`` to the hard-margin SVM
    :math:`\hat S`, ``hat_norm`` :math:`\|\hat S\|`, ``verdict`` of
    :func:`~numerics.claims.clustering.evaluate_growth`, ``snap_epochs`` and
    ``snap_logits``, the training logits at those epochs) and the settings.
    """
    s = dict(clu.SIZES[check_size(size, "fig1")], **clu.MODEL, regularizer="quadratic",
             lr=clu.LR)
    snaps = [e for e in (10, 100, 1000, 10_000, 100_000) if e < s["epochs"]][-3:]
    snaps.append(s["epochs"])
    with blas_single_thread():
        ds, gds = clu.b1_draws(s)
        reg = []
        for a in clu.ALPHAS:
            c = clu.clustering_at_minimum(ds.u, "quadratic", a)
            reg.append({"alpha": a, "target": c.target, "logits": c.logits, "mean": c.mean,
                        "std": c.std, "rms": c.rms, "r": c.r, "kappa": c.kappa,
                        "kappa_max": c.kappa_max, "clustered": c.clustered})
        growth = clu.unregularised_growth(gds.u, epochs=s["epochs"], lr=s["lr"],
                                          snapshots=snaps)
    gd = dict(growth.record(), verdict=clu.evaluate_growth(growth), snap_epochs=snaps,
              snap_logits=np.array([growth.snapshots[e] for e in snaps]))
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
    _growth_panel(a3, gd)
    a3.axhline(data["reg"][1]["rms"], color="C1", ls=":",
               label=f"alpha={data['reg'][1]['alpha']:g}: RMS(t-t*)")
    a3.set_xlabel("GD epoch k (alpha=0, full batch)")
    a3.set_ylabel("|S_k|, min logit, logit std  (nats)")
    per_dec = gd["verdict"]["min logit per decade (theory ln10=2.303)"]
    a3.set_title(f"logarithmic growth: min logit +{per_dec:.2f} per decade (ln 10 = 2.30)",
                 fontsize=9)
    a3.legend(fontsize=7)
    fig.suptitle(f"Fig. 1 (B1): N={s['n']}, d={s['d']} (GD: N={s['gd_n']}, d={s['gd_d']}), "
                 f"mu_f={s['mu_f']:g}, sigma_f={s['sigma_f']:g}, sigma_n={s['sigma_n']:g}, "
                 f"f(t)=t^2; floor r={data['reg'][0]['r']:.3f} "
                 f"(asymptotic {data['r_asymptotic']:.3f})", fontsize=9)
    fig.tight_layout()
    return fig


@claim_figure("B1_logit_clustering")
def _draw_b1_report(data):
    r"""Report figure of :func:`~numerics.claims.clustering.check_b1`: training logits over
    :math:`t^*` per convex built-in (:math:`\alpha = 0.2`), the :math:`\alpha = 0` growth
    and :math:`\|S_k\|/\log k` against :math:`\|\hat S\|`."""
    plt = pyplot()
    s, gd = data["settings"], data["growth"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    for name, h in data["histograms"].items():
        ax.hist(np.asarray(h["logits"]) / h["target"], bins=40, histtype="step", density=True,
                label=f"{name} (t*={h['target']:.2f}, kappa={h['kappa']:.2f})")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xlabel(f"training logit / t*   (alpha={s['alpha']:g})")
    ax.set_ylabel("density")
    ax.set_title(f"B1 alpha>0: N={s['n']}, d={s['d']}, mu_f={s['mu_f']:g}, "
                 f"sigma_f={s['sigma_f']:g}, sigma_n={s['sigma_n']:g}", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    _growth_panel(ax, gd)
    ax.set_xlabel(f"epoch k  (GD, alpha=0, lr={gd['lr']:g}, N={s['gd_n']}, d={s['gd_d']})")
    ax.set_ylabel("|S_k|, min logit, logit std  (nats)")
    ax.set_title("B1 alpha=0: logarithmic growth and spreading", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[2]
    e = np.asarray(gd["epochs"], dtype=float)
    ratio = np.asarray(gd["norm"]) / np.log(np.maximum(e, 2))
    ax.semilogx(e[e > 1], ratio[e > 1], "o-", ms=3, label="|S_k| / log k")
    ax.axhline(gd["hat_norm"], color="k", ls="--", lw=0.8, label="|S_hat|")
    ax.set_xlabel("epoch k")
    ax.set_ylabel("|S_k| / log k")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
