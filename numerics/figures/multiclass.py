r"""Multiclass figures (issue 7): 7 (M2), 8 (M7) and ``threshold-multiclass`` (M5).

Each ``compute(size)`` reuses the claim code of :mod:`numerics.claims.multiclass_geometry`
and :mod:`numerics.claims.multiclass_grokking` and returns plain data (the figure's
numbers and a ``settings`` dict); each drawer turns that data into a matplotlib Figure.

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
  error (fresh test set) and test loss vs the GD epoch for each :math:`\alpha`, with
  :math:`T_{train}` and :math:`T_{gen}` (error :math:`\le 10^{-6}` certified by the exact
  Gaussian population bound). :math:`\alpha > 0` generalises perfectly only long after it
  fits the training set; :math:`\alpha = 0` never does.
* **threshold-multiclass** (M5, Prop. D.2). :math:`\sigma_f = 0`: P(perfect
  generalisation) vs :math:`N/d` for the regularised minimiser (an exact step at
  :math:`N = d + 1`, the rank of :math:`[\mathbf 1, X]`) and for the multiclass max-margin
  classifier, K = 3 and K = 2. For K = 2 the max-margin curve has a closed form: with
  :math:`\sigma_f = 0` the SVM on :math:`\tilde x = (1, x)` is the signal-only one iff
  (Gordan) the points :math:`y_i(1, \xi_i) \in R^d` are *not* homogeneously separable, so
  by Cover's count, conditioned on both classes being present,

  .. math:: P_{perfect}(N, d) = 1 - \frac{C(N, d) - 2}{2^N - 2},\qquad
            C(N, d) = 2\sum_{j<d}\binom{N-1}{j}.

Sizes: ``"test"`` (seconds; the tests check the claims on it), ``"default"`` (what
``logitreg figure`` draws, under 25 s each on one core) and ``"full"`` (THEORY.md Sec. 4:
K = 10, d = 1400, N = 2000).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from core.errors import InvalidParameterError

from numerics.claims import multiclass_geometry as geo
from numerics.claims import multiclass_grokking as grok
from numerics.claims.clustering import blas_single_thread
from numerics.solve.maxmargin import cover_probability
from numerics.figures._registry import check_size, figure, pyplot

__all__ = ["fig7", "fig8", "fig_threshold_multiclass", "k2_perfect_probability"]



# ------------------------------------------------------------------------------- fig 7
#: M2 settings: lambda = d/N = 0.7, sigma_f = 0.1, sigma_n = 1, alpha = 0.2 (THEORY.md).
#: "test" uses K = 3 (where the Petrie plane is the whole centred logit space).
FIG7_SETTINGS = {
    "test": dict(k=3, n=60, d=42, gd_epochs=2000, seed=1),
    "default": dict(k=10, n=200, d=140, gd_epochs=2000, seed=3),
    "full": dict(k=10, n=2000, d=1400, gd_epochs=2000, seed=3),
}
_FIG7_PANELS = (("reg", "alpha=0.2 (exact minimiser)"),
                ("svm", "alpha=0 (max-margin direction)"),
                ("gd", "alpha=0 (cross-entropy GD)"))


@figure("7", "M2 simplex clustering: training logits projected on the simplex (Petrie) "
             "plane, alpha=0.2 vs alpha=0, with the clustering measure rho", claims=("M2",))
def fig7(size: str = "default") -> dict:
    r"""Data of Fig. 7 (claim M2): projected centred training logits and :math:`\rho`.

    Returns ``points`` (panel -> (N, 2) projections), ``rho`` (panel -> :math:`\rho`),
    ``labels``, ``targets_2d`` (the projected targets :math:`Pz^*_c`), the closed-form
    vertex distance :math:`\sqrt2(q_{high} - q_{low})`, the largest distance of an
    :math:`\alpha > 0` class centroid from its vertex (in vertex distances) and the
    settings. Panels: ``reg`` (:math:`\alpha = 0.2`), ``svm`` (:math:`\alpha = 0` limit,
    when the QP is small enough), ``gd`` (:math:`\alpha = 0` cross-entropy GD).
    """
    s = dict(FIG7_SETTINGS[check_size(size, "fig7")])
    k, alpha = s["k"], 0.2
    with blas_single_thread():
        runs = geo.m2_runs(s["n"], s["d"], k, sigma_f=0.1, sigma_n=1.0, alpha=alpha,
                           seed=s["seed"], gd_epochs=s["gd_epochs"])
    y = runs["data"].y
    proj = geo.simplex_projection(k)
    targets = geo.vertex_targets("quadratic", k, alpha)
    panels = [key for key, _ in _FIG7_PANELS if key in runs]
    rho, points = {}, {}
    for key in panels:
        rho[key] = geo.clustering_ratio(runs[key], y, k)["ratio"]
        points[key] = geo.centred_logits(runs[key]) @ proj.T
    reg = geo.clustering_ratio(runs["reg"], y, k)
    vdist = math.sqrt(2.0) * float(targets[0, 0] - targets[1, 0])
    offset = float(np.max(np.linalg.norm(reg["centroids"] - geo.centred_logits(targets.T),
                                         axis=1))) / vdist
    s.update(sigma_f=0.1, sigma_n=1.0, alpha=alpha, regularizer="quadratic",
             means="simplex", gd_lr=0.1)
    return {"settings": s, "panels": panels, "labels": y, "points": points, "rho": rho,
            "targets_2d": geo.centred_logits(targets.T) @ proj.T,
            "vertex_distance": vdist, "centroid_offset": offset,
            "svm_kkt_residual": runs.get("svm_kkt", math.nan),
            "gd_train_accuracy": runs.get("gd_train_accuracy", math.nan)}


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
#: "test": K=3, d=28, N=40 (lambda = 0.7, weak signal |mu_c| = 0.3 as in the default);
#: "default" is M7's reduced setting; "full" the paper's (K=10, d=1400, N=2000).
FIG8_SETTINGS = {
    "test": grok.M7Setting(k=3, d=28, n=40, alphas=(0.1, 0.05), lr=1.0, max_epochs=40_000,
                           mean_scale=0.3, n_test=2000, first_chunk=500, seed=2),
    "default": grok.REDUCED,
    "full": grok.FULL,
}


@figure("8", "M7 multiclass grokking: train/test error and test loss vs GD epoch "
             "(sigma_f=0, lambda=0.7) for several alpha and alpha=0", claims=("M7",))
def fig8(size: str = "default") -> dict:
    r"""Data of Fig. 8 (claim M7): one record per :math:`\alpha` (largest first, 0 last)
    with ``epochs``, ``train_error``, ``test_error`` (fresh test set of ``n_test``),
    ``test_loss``, the exact population error bounds ``error_lower``/``error_upper``
    (:func:`~numerics.claims.multiclass_grokking.error_bounds`), ``t_train``
    (train accuracy 1 from then on), ``t_gen`` (error :math:`\le 10^{-6}` from then on,
    certified) and ``certified_at``."""
    setting = FIG8_SETTINGS[check_size(size, "fig8")]
    with blas_single_thread():
        res = grok.m7_runs(setting)
    runs = []
    for a in sorted(res["runs"], reverse=True):
        r = res["runs"][a]
        runs.append({"alpha": float(a), "epochs": r.epochs,
                     "train_error": 1.0 - r.train_accuracy,
                     "test_error": 1.0 - r.test_accuracy, "test_loss": r.test_loss,
                     "error_lower": r.lower, "error_upper": r.upper,
                     "t_train": r.t_train, "t_gen": r.t_gen, "certified_at": r.certified_at})
    settings = dataclasses.asdict(setting)
    settings.update(sigma_f=0.0, regularizer=grok.REGULARIZER, means="simplex")
    return {"settings": settings, "runs": runs}


@fig8.drawer
def _draw_fig8(data):
    plt = pyplot()

    s = data["settings"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.4))
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
        a2.plot(e[sel], np.asarray(r["test_loss"])[sel], color=col, label=f"alpha={a:g}")
        if a > 0 and r["t_gen"] is not None and np.isfinite(r["t_gen"]):
            for ax in (a1, a2):
                ax.axvline(r["t_gen"], color=col, lw=0.6, ls="--")
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.set_xlabel(f"GD epoch (full batch, lr={s['lr']:g})")
    a1.set_ylabel(f"classification error (test: {s['n_test']} fresh samples)")
    a2.set_ylabel("test loss (cross-entropy part + alpha ||z||^2, nats)")
    a1.set_title("train (dotted) / test (solid) error; dashed: T_gen (error <= 1e-6 "
                 "certified)", fontsize=8)
    a2.set_title("test loss on the fixed fresh test set", fontsize=8)
    a1.legend(fontsize=7, ncol=2)
    a2.legend(fontsize=7)
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


#: M5 settings. "full" is M5's full grid (d = 10, 20, 40; 40 draws per point).
FIGM5_SETTINGS = {
    "test": dict(ds=[12], ratios=[0.8, 1.0, 1.1, 1.5, 2.0, 2.5, 3.0, 4.0], trials=8,
                 reg_trials=2, lp=True),
    "default": dict(ds=[16], ratios=sorted([1.1] + [0.5 + 0.25 * i for i in range(15)]),
                    trials=30, reg_trials=3, lp=False),
    "full": dict(ds=[10, 20, 40], ratios=[0.8, 1.0, 1.1, 1.5, 2.0, 2.3, 2.6, 3.0, 3.5, 4.0],
                 trials=40, reg_trials=None, lp=True),
}


@figure("threshold-multiclass", "M5 finite-size threshold: P(perfect generalisation) vs "
        "N/d, regularised (step at N=d+1) vs multiclass max-margin, K=3 and K=2 with "
        "Cover's formula", claims=("M5",))
def fig_threshold_multiclass(size: str = "default") -> dict:
    r"""Data of the M5 threshold figure: for K = 3 and K = 2 the output of
    :func:`~numerics.claims.multiclass_geometry.transition_curves` (hits out of
    ``reg_trials``/``trials`` per N/d and d; ``n`` the sample sizes used) and, for K = 2,
    the exact max-margin curve :func:`k2_perfect_probability` at those N and on every
    integer N (``cover_n``, ``cover_p``)."""
    s = dict(FIGM5_SETTINGS[check_size(size, "fig_threshold_multiclass")])
    curves = {}
    with blas_single_thread():
        for k, seed in ((3, 11), (2, 12)):
            c = geo.transition_curves(s["ds"], s["ratios"], s["trials"],
                                      reg_trials=s["reg_trials"], k=k, seed=seed,
                                      lp=s["lp"])
            c["n"] = {d: [max(k, int(round(r * d))) for r in s["ratios"]] for d in s["ds"]}
            curves[k] = c
    cover = {}
    for d in s["ds"]:
        n_all = list(range(2, int(math.ceil(max(s["ratios"]) * d)) + 1))
        cover[d] = {"at_points": [k2_perfect_probability(n, d) for n in curves[2]["n"][d]],
                    "cover_n": n_all,
                    "cover_p": [k2_perfect_probability(n, d) for n in n_all]}
    s.update(sigma_f=0.0, sigma_n=1.0, alpha=0.2, regularizer="quadratic", means="simplex",
             ks=[3, 2])
    return {"settings": s, "curves": curves, "k2_exact": cover}


@fig_threshold_multiclass.drawer
def _draw_threshold_multiclass(data):
    plt = pyplot()

    s = data["settings"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    cmap = plt.get_cmap("tab10")
    for ax, k in zip(axes, (3, 2)):
        c = data["curves"][k]
        rt = c["reg_trials"]
        for j, d in enumerate(c["d"]):
            x = np.asarray(c["n"][d], dtype=float) / d
            ax.plot(x, np.asarray(c["reg"][d]) / rt, "s-", ms=3, color=cmap(2 * j),
                    label=f"regularised alpha={s['alpha']}, d={d} ({rt} draws)")
            ax.plot(x, np.asarray(c["unreg"][d]) / c["trials"], "o--", ms=3,
                    color=cmap(2 * j + 1),
                    label=f"max-margin (alpha=0), d={d} ({c['trials']} draws)")
            if k == 2:
                ex = data["k2_exact"][d]
                ax.plot(np.asarray(ex["cover_n"], dtype=float) / d, ex["cover_p"], "-",
                        color="k", lw=0.8, label=f"Cover: 1-(C(N,d)-2)/(2^N-2), d={d}")
        ax.axvline(1.0, color="grey", ls=":", lw=0.8)
        ax.set_xlabel(f"N / d  (K={k}, sigma_f=0, sigma_n={s['sigma_n']:g}, simplex means, "
                      f"bias)")
        ax.set_title(f"K = {k}", fontsize=9)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("P(perfect generalisation)  (fraction of draws)")
    fig.suptitle("M5 threshold shift: regularised minimiser perfect from N = d+1 (Prop. D.2); "
                 "max-margin needs more samples", fontsize=9)
    fig.tight_layout()
    return fig
