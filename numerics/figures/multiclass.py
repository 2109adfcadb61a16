r"""Multiclass figures: 7 (M2), 8 (M7) and ``threshold-multiclass`` (M5).

Each ``compute(size)`` is the claim code of :mod:`numerics.claims.multiclass_geometry`,
:mod:`numerics.claims.multiclass_grokking` and :mod:`numerics.claims.multiclass_threshold`
and returns plain data (the figure's numbers and a ``settings`` dict); each drawer turns
that data into a matplotlib Figure.

* **7** (M2, Fig. 7). Training logits, centred over classes (:math:`Pz = z - \bar z\mathbf 1`)
  and projected on the Petrie plane of :math:`R^K` (vertex :math:`e_c \mapsto (\cos 2\pi c/K,
  \sin 2\pi c/K)`), for :math:`\alpha = 0.2` (exact minimiser, quadratic f) and
  :math:`\alpha = 0` (hard-margin SVM direction on :math:`(x, 1)`, the GD limit, and
  cross-entropy GD where it is run). The titles give the clustering measure

  .. math:: \rho = \frac{\text{RMS distance of } Pz_i \text{ to its class centroid}}
                       {\text{mean distance between class centroids}}

  (:func:`~numerics.claims.multiclass_geometry.clustering_ratio`), small when the
  classes sit at their simplex vertices :math:`z^*_c` (M1).
* **8** (M7, Fig. 8). :math:`\sigma_f = 0`, :math:`\lambda = d/N = 0.7`: train and test
  error (fresh test set), the exact population error upper bound and test loss vs the GD
  epoch for each :math:`\alpha`, with
  :math:`T_{train}` and :math:`T_{gen}` (error :math:`\le 10^{-6}` certified by the exact
  Gaussian population bound). :math:`\alpha > 0` generalises perfectly only long after it
  fits the training set; :math:`\alpha = 0` never does.
* **threshold-multiclass** (M5, Prop. D.2). :math:`\sigma_f = 0`: P(perfect
  generalisation) vs :math:`N/d` for the regularised minimiser (an exact step at
  :math:`N = d + 1`, the rank of :math:`[\mathbf 1, X]`) and for the multiclass max-margin
  classifier, K = 3 and K = 2 (the M5 check's report draws its K = 3 panel). For K = 2 the max-margin curve has a closed form: with
  :math:`\sigma_f = 0` the SVM on :math:`\tilde x = (1, x)` is the signal-only one iff
  (Gordan) the points :math:`y_i(1, \xi_i) \in R^d` are *not* homogeneously separable, so
  by Cover's count, conditioned on both classes being present,

  .. math:: P_{perfect}(N, d) = 1 - \frac{C(N, d) - 2}{2^N - 2},\qquad
            C(N, d) = 2\sum_{j<d}\binom{N-1}{j}.

Sizes: ``"test"`` (seconds; the tests check the claims on it), ``"default"`` and
``"full"`` (docs/theory.md §4: K = 10, d = 1400, N = 2000) come from the claims' own tables
(``M2_SIZES``, ``M7_SIZES``, ``M5_SIZES``), so ``logitreg figure`` at ``default``/``full``
draws what ``logitreg verify [--full] --report`` draws for the claim. The drawers are
registered for both: ``@figure(...).drawer`` and ``@claim_figure(NAME)`` (``NAME`` the
report figure of the claim check).
"""

from __future__ import annotations

import math

import numpy as np

from core.errors import InvalidParameterError

from numerics.claims import multiclass_geometry as geo
from numerics.claims import multiclass_grokking as grok
from numerics.claims import multiclass_threshold as thr
from numerics.claims.clustering import blas_single_thread
from numerics.claims.multiclass_grokking_dynamics import m7_runs
from numerics.solve.separability import cover_probability
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig7", "fig8", "fig_threshold_multiclass", "k2_perfect_probability"]


# ------------------------------------------------------------------------------- fig 7
_FIG7_PANELS = (("reg", "alpha=0.2 (exact minimiser)"),
                ("svm", "alpha=0 (max-margin direction)"),
                ("gd", "alpha=0 (cross-entropy GD)"))


@figure("7", "M2 simplex clustering: training logits projected on the simplex (Petrie) "
             "plane, alpha=0.2 vs alpha=0, with the clustering measure rho", claims=("M2",))
def fig7(size: str = "default") -> dict:
    r"""Data of Fig. 7 (claim M2) at ``M2_SIZES[size]``: projected centred training logits
    and :math:`\rho` (:func:`~numerics.claims.multiclass_geometry.m2_figure_data`)."""
    size = check_size(size, "fig7")
    return geo.m2_figure_data(geo.m2_size_runs(size), size)


@claim_figure("M2_simplex_clustering")
@fig7.drawer
def _draw_fig7(data):
    plt = pyplot()

    s = data["settings"]
    k = s["k"]
    names = dict(_FIG7_PANELS)
    panels = list(data["panels"])
    y = np.asarray(data["labels"])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 4.6), squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, key in zip(axes[0], panels):
        P = np.asarray(data["points"][key])
        for c in range(k):
            ax.scatter(P[y == c, 0], P[y == c, 1], s=6, color=cmap(c % 10), alpha=0.6,
                       label=f"class {c}" if k <= 4 else None)
        if key == "reg":
            V = np.asarray(data["targets_2d"])
            ax.scatter(V[:, 0], V[:, 1], marker="x", s=70, color="k",
                       label="targets z*_c (M1)")
        if key == "reg" or k <= 4:
            ax.legend(fontsize=7, loc="upper right")
        ax.set_title(f"{names[key]}\nrho = {data['rho'][key]:.3f}", fontsize=9)
        ax.set_xlabel("logits projected on Petrie axis 1 (centred, nats)")
        ax.set_ylabel("logits projected on Petrie axis 2 (centred, nats)")
        ax.set_aspect("equal", adjustable="datalim")
    fig.suptitle(f"Fig. 7 (M2): simplex clustering of training logits, K={k}, d={s['d']}, "
                 f"N={s['n']}, sigma_f={s['sigma_f']}, sigma_n={s['sigma_n']}; "
                 f"rho = within-class RMS / centroid distance", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------- fig 8
@figure("8", "M7 multiclass grokking: train/test error, population error bound and test "
             "loss vs GD epoch (sigma_f=0, lambda=0.7) for several alpha and alpha=0",
        claims=("M7",))
def fig8(size: str = "default") -> dict:
    r"""Data of Fig. 8 (claim M7) at ``M7_SIZES[size]``
    (:func:`~numerics.claims.multiclass_grokking.m7_figure_data`)."""
    setting = grok.M7_SIZES[check_size(size, "fig8")]
    with blas_single_thread():
        res = m7_runs(setting)
    return grok.m7_figure_data(res, setting)


@claim_figure("M7_multiclass_grokking")
@fig8.drawer
def _draw_fig8(data):
    plt = pyplot()

    s = data["settings"]
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(16, 4.4))
    cmap = plt.get_cmap("viridis")
    runs = data["runs"]
    for j, r in enumerate(runs):
        a = r["alpha"]
        col = "k" if a == 0 else cmap(j / max(1, len(runs) - 1))
        e = np.asarray(r["epochs"], dtype=float)
        sel = e > 0
        a1.plot(e[sel], np.asarray(r["test_error"])[sel], color=col, label=f"test, alpha={a:g}")
        a1.plot(e[sel], np.asarray(r["train_error"])[sel], color=col, ls=":", lw=1.0,
                label=f"train, alpha={a:g}")
        a2.plot(e[sel], np.maximum(np.asarray(r["error_upper"])[sel], 1e-16), color=col,
                label=f"alpha={a:g}")
        a3.plot(e[sel], np.asarray(r["test_loss"])[sel], color=col, label=f"alpha={a:g}")
        if a > 0 and r["t_gen"] is not None and np.isfinite(r["t_gen"]):
            for ax in (a1, a2, a3):
                ax.axvline(r["t_gen"], color=col, lw=0.6, ls="--")
    a2.axhline(s["tol"], color="grey", lw=0.6, ls=":")
    for ax in (a1, a2, a3):
        ax.set_xscale("log")
        ax.set_xlabel(f"GD epoch (full batch, lr={s['lr']:g})")
    a2.set_yscale("log")
    a1.set_ylabel(f"classification error (test: {s['n_test']} fresh samples)")
    a2.set_ylabel("population error upper bound (K-1) Phi(-zeta)")
    a3.set_ylabel("test loss (cross-entropy part + alpha ||z||^2, nats)")
    a1.set_title("train (dotted) / test (solid) error; dashed: T_gen (error <= "
                 f"{s['tol']:g} certified)", fontsize=8)
    a2.set_title(f"exact population error bound; dotted: {s['tol']:g}", fontsize=8)
    a3.set_title("test loss on the fixed fresh test set", fontsize=8)
    a1.legend(fontsize=7, ncol=2)
    a3.legend(fontsize=7)
    fig.suptitle(f"Fig. 8 (M7): multiclass grokking, K={s['k']}, d={s['d']}, N={s['n']}, "
                 f"sigma_f=0, sigma_n={s['sigma_n']:g}, |mu_c|={s['mean_scale']:g}",
                 fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ threshold-multiclass
def k2_perfect_probability(n, d) -> float:
    r"""K = 2, :math:`\sigma_f = 0`, bias: probability that the max-margin classifier
    generalises perfectly, :math:`1 - (C(N, d) - 2)/(2^N - 2)` (module docstring; Cover's
    count for the points :math:`y_i(1, \xi_i) \in R^d`, both classes present).

    >>> k2_perfect_probability(24, 12)  # N = 2d: Cover's midpoint
    0.5000000...
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise InvalidParameterError(
            f"The 'n' parameter of k2_perfect_probability must be an integer >= 2. "
            f"Got {n!r} instead.")
    c = cover_probability(int(n), d)  # C(N, d) / 2^N
    tail = 2.0 ** (1 - int(n))          # 2 / 2^N: the two one-class labellings
    return float(1.0 - (c - tail) / (1.0 - tail))


#: Seed of the K = 2 P(perfect) grid (K = 3 uses M5's own seed).
_K2_SEED = 12


@figure("threshold-multiclass", "M5 finite-size threshold: P(perfect generalisation) vs "
        "N/d, regularised (step at N=d+1) vs multiclass max-margin, K=3 and K=2 with "
        "Cover's formula", claims=("M5",))
def fig_threshold_multiclass(size: str = "default") -> dict:
    r"""Data of the M5 threshold figure at ``M5_SIZES[size]``: for K = 3 (M5's own grid)
    and K = 2 the output of :func:`~numerics.claims.multiclass_threshold.m5_curves` (hits
    out of ``reg_trials``/``trials`` per N/d and d; ``n`` the sample sizes used) and, for
    K = 2, the exact max-margin curve :func:`k2_perfect_probability` at those N and on
    every integer N (``cover_n``, ``cover_p``)."""
    size = check_size(size, "fig_threshold_multiclass")
    with blas_single_thread():
        curves = {3: thr.m5_curves(size, k=3), 2: thr.m5_curves(size, k=2, seed=_K2_SEED)}
    data = thr.m5_figure_data(curves, size)
    s = data["settings"]
    for d in s["ds"]:
        n_all = list(range(2, int(math.ceil(max(s["ratios"]) * d)) + 1))
        data["k2_exact"][d] = {
            "at_points": [k2_perfect_probability(n, d) for n in curves[2]["n"][d]],
            "cover_n": n_all, "cover_p": [k2_perfect_probability(n, d) for n in n_all]}
    return data


@claim_figure("M5_threshold")
@fig_threshold_multiclass.drawer
def _draw_threshold_multiclass(data):
    plt = pyplot()

    s = data["settings"]
    ks = list(data["curves"])
    fig, axes = plt.subplots(1, len(ks), figsize=(6 * len(ks), 4.4), sharey=True,
                             squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, k in zip(axes[0], ks):
        c = data["curves"][k]
        rt = c["reg_trials"]
        for j, d in enumerate(c["d"]):
            x = np.asarray(c["n"][d], dtype=float) / d
            ax.plot(x, np.asarray(c["reg"][d]) / rt, "s-", ms=3, color=cmap(2 * j),
                    label=f"regularised alpha={s['alpha']}, d={d} ({rt} draws)")
            ax.plot(x, np.asarray(c["unreg"][d]) / c["trials"], "o--", ms=3,
                    color=cmap(2 * j + 1),
                    label=f"max-margin (alpha=0), d={d} ({c['trials']} draws)")
            if k == 2 and d in data["k2_exact"]:
                ex = data["k2_exact"][d]
                ax.plot(np.asarray(ex["cover_n"], dtype=float) / d, ex["cover_p"], "-",
                        color="k", lw=0.8, label=f"Cover: 1-(C(N,d)-2)/(2^N-2), d={d}")
        ax.axvline(1.0, color="grey", ls=":", lw=0.8)
        ax.set_xlabel(f"N / d  (K={k}, sigma_f=0, sigma_n={s['sigma_n']:g}, simplex means, "
                      f"bias)")
        ax.set_title(f"K = {k}", fontsize=9)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("P(perfect generalisation)  (fraction of draws)")
    fig.suptitle("M5 threshold shift: regularised minimiser perfect from N = d+1 (Prop. D.2); "
                 "max-margin needs more samples", fontsize=9)
    fig.tight_layout()
    return fig
