r"""Figures of claim B7 (threshold shift at :math:`\sigma_f = 0`, Prop. 5.1): Fig. 4,
``threshold-binary`` and the ``B7_threshold`` report figure of
:func:`numerics.claims.threshold.check_b7` (the same picture as ``threshold-binary``).

Data model (docs/theory.md §3), labels absorbed:
:math:`u = \mu_f e_1 + \sigma_n\xi_\perp`, :math:`\lambda = d/N`.

* **4** (B7, Prop. 5.1). :math:`\sigma_f = 0`, :math:`\alpha = 0.2`, :math:`N > d`: the
  minimiser collapses to :math:`S = (t^*/\mu_f)e_1`, so every training *and* test logit is

  .. math:: z = S\cdot x = y\,t^*,\qquad t^* = \arg\min_t \ell(t)\ (= 0.674832\ldots),

  whereas the max-margin direction (:math:`\alpha = 0`, rescaled to the same :math:`S_1`)
  has :math:`S_\perp \ne 0` and test logits :math:`y t^* + \sigma_n S_\perp\cdot\xi` spread
  around :math:`\pm t^*`. Third panel: :math:`\|S_\perp\|/S_1` vs :math:`N/d` (exactly 0
  from :math:`N = d` on for :math:`\alpha > 0`; from :math:`N \approx 2d` on for max-margin).
* **threshold-binary** and **B7_threshold** (B7, A3). P(perfect generalisation,
  :math:`S_\perp = 0`) vs :math:`N/d` for the :math:`\alpha = 0.2` minimiser (an exact
  step at :math:`N = d`), weight decay (never) and max-margin, with Cover's formula for
  the latter (the noise parts are not separable in :math:`D = d - 1` dimensions):

  .. math:: P_{perfect}(N, d) = 1 - 2^{1-N}\sum_{k<d-1}\binom{N-1}{k}.

  Sizes: :data:`numerics.claims.threshold.SIZES` (the check's).
"""

from __future__ import annotations

import numpy as np

from numerics.compile.compiled import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.claims import threshold as thr
from numerics.claims._common import seeds
from numerics.claims.clustering import blas_single_thread
from numerics.claims.grokking import population_error
from numerics.solve.max_margin import max_margin_direction
from numerics.solve.binary import minimize_binary
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig4", "fig_threshold_binary", "draw_b7", "FIG4_SIZES"]

#: B7 collapse. Histogram draw at lambda ~ 0.67 (max-margin noise separable w.h.p.);
#: scan of ||S_perp||/S_1 over N/d at a smaller d, several draws per point.
_SCAN_RATIOS = [0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 4.0]
FIG4_SIZES = {
    "test": dict(n=30, d=20, n_test=2000, scan_d=16, scan_ratios=_SCAN_RATIOS,
                 scan_draws=3, seed=4),
    "default": dict(n=300, d=200, n_test=10000, scan_d=40, scan_ratios=_SCAN_RATIOS,
                    scan_draws=6, seed=4),
    "full": dict(n=2000, d=1400, n_test=20000, scan_d=200, scan_ratios=_SCAN_RATIOS,
                 scan_draws=10, seed=4),
}


# ------------------------------------------------------------------------------- fig 4
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
    s = dict(FIG4_SIZES[check_size(size, "fig4")])
    alpha, reg = thr.ALPHA, thr.REGULARIZER
    mu_f, sigma_n = thr.MODEL["mu_f"], thr.MODEL["sigma_n"]
    t_star = float(compile_binary(reg).target(alpha))
    with blas_single_thread():
        ds = binary_signal_noise(s["n"], s["d"], mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n,
                                 seed=s["seed"])
        test = ds.fresh(s["n_test"], seed=s["seed"] + 1)
        S_reg = minimize_binary(ds.u, reg, alpha).coef
        mm = max_margin_direction(ds.u).direction
        S_mm = mm * (t_star / mu_f) / mm[0]
        scan = {"ratios": list(s["scan_ratios"]), "n": [], "reg": [], "mm": []}
        dd = s["scan_d"]
        for j, r in enumerate(s["scan_ratios"]):
            n = thr.sample_size(r, dd)
            scan["n"].append(n)
            reg_r, mm_r = [], []
            for sd in seeds(s["seed"] + 100 + j, s["scan_draws"]):
                u = binary_signal_noise(n, dd, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n,
                                        seed=sd).u
                reg_r.append(thr.s_perp_ratio(minimize_binary(u, reg, alpha).coef))
                mm_r.append(thr.s_perp_ratio(max_margin_direction(u).direction))
            scan["reg"].append(reg_r)
            scan["mm"].append(mm_r)
    logits = {k: {"train": ds.X @ S, "test": test.X @ S} for k, S in
              (("reg", S_reg), ("mm", S_mm))}
    dev = {part: float(np.max(np.abs(np.abs(logits["reg"][part]) - t_star)))
           for part in ("train", "test")}
    s.update(alpha=alpha, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n, regularizer=reg,
             cover_midpoint=thr.expected_critical_ratio(dd))
    return {"settings": s, "t_star": t_star, "logits": logits,
            "labels": {"train": ds.y, "test": test.y},
            "s_perp_ratio": {"reg": thr.s_perp_ratio(S_reg), "mm": thr.s_perp_ratio(S_mm)},
            "max_logit_deviation": {"reg": dev},
            "mm_population_error": float(population_error(S_mm, mu_f=mu_f,
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
    ax.axvline(s["cover_midpoint"], color="grey", ls="--", lw=0.8,
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


# ---------------------------------------------------------------------- threshold-binary
@figure("threshold-binary", "B7 finite-size threshold: P(perfect generalisation) vs N/d at "
        "sigma_f=0, regularised (step at N=d), weight decay and max-margin with Cover's "
        "formula", claims=("B7", "A3"))
def fig_threshold_binary(size: str = "default") -> dict:
    r"""Data of the B7 threshold figure at :data:`numerics.claims.threshold.SIZES`
    ``[size]``: :func:`numerics.claims.threshold.b7_figure_data` (the data of
    ``check_b7``'s report figure at the same size)."""
    return thr.b7_figure_data(thr.b7_curves(check_size(size, "fig_threshold_binary")))


@claim_figure("B7_threshold")
@fig_threshold_binary.drawer
def draw_b7(data):
    """P(perfect) vs N/d per d -- regularised (step at N=d), max-margin (Wilson 1-sigma
    bars) with Cover's formula on every integer N, weight decay."""
    plt = pyplot()
    s = data["settings"]
    fig, ax = plt.subplots(figsize=(8, 5))
    cmap = plt.get_cmap("tab10")
    t, tw = s["trials"], s["wd_trials"]
    for j, d in enumerate(s["ds"]):
        c = data["curves"][d]
        x = np.asarray(c["n"], dtype=float) / d
        col = cmap(j)
        ax.plot(x, np.asarray(c["reg"]) / t, "s-", ms=4, color=col, label=f"regularised, d={d}")
        p = np.asarray(c["unreg"]) / t
        iv = np.asarray(c["unreg_wilson"], dtype=float)
        # clipped: at 0 or all hits the Wilson bound equals p up to rounding (can be -1e-17)
        yerr = np.clip([p - iv[:, 0], iv[:, 1] - p], 0.0, None)
        ax.errorbar(x, p, yerr=yerr, fmt="o", mfc="none", ms=4,
                    color=col, label=f"max-margin, d={d} (Wilson 1-sigma)")
        ax.plot(x, np.asarray(c["wd"]) / tw, "x", color=col,
                label=f"weight decay, d={d} ({tw} draws)")
        ax.plot(np.asarray(c["cover_n"]) / d, c["cover_p"], "-", color=col,
                lw=0.8, alpha=0.8, label=f"Cover 1 - P_sep(N, d-1), d={d}")
    ax.axvline(1.0, color="grey", ls=":", lw=0.8)
    ax.axvline(2.0, color="grey", ls="--", lw=0.8)
    ax.set_xlabel(f"N / d  (sigma_f=0, sigma_n={s['sigma_n']:g}, mu_f={s['mu_f']:g}; "
                  f"alpha={s['alpha']}, gamma={s['gamma']}; {t} draws per point)")
    ax.set_ylabel("P(perfect generalisation) = P(S_perp = 0)")
    ax.legend(fontsize=6)
    fig.suptitle("B7/A3 threshold shift: logit regularisation perfect from N = d, "
                 "max-margin from N ~ 2(d-1) (Cover), weight decay never", fontsize=9)
    fig.tight_layout()
    return fig
