r"""Multiclass simplex geometry and claim M2 (simplex clustering; docs/theory.md §4).

The simplex targets :math:`Z^*` (:func:`vertex_targets`) are shared with M5
(:mod:`numerics.claims.multiclass_threshold`) and M7.

* **M2** (Fig. 7). Per-sample minimiser of the logit-regularised loss is the simplex
  target :math:`z^*_c` (M1), so for :math:`\alpha > 0` the training logits of each class
  cluster at its vertex; for :math:`\alpha = 0` GD follows the hard-margin SVM direction
  and the logits spread. Measure (scale free, so it applies to the :math:`\alpha = 0`
  direction too), on logits centred over classes (:math:`Pz = z - \bar z\mathbf 1`, the
  softmax-relevant part):

  .. math::
      \rho = \frac{\bigl(\frac1N\sum_i\|P z_i - \bar c_{y_i}\|^2\bigr)^{1/2}}
                  {\operatorname{mean}_{c\ne c'}\|\bar c_c - \bar c_{c'}\|},
      \qquad \bar c_c = \operatorname{mean}_{y_i = c} P z_i .

  For :math:`\alpha > 0` the vertex distance is also known in closed form,
  :math:`\|z^*_c - z^*_{c'}\| = \sqrt2\,(q_{high} - q_{low})`, and the class centroids are
  compared with the vertices themselves.
"""

from __future__ import annotations

import math

import numpy as np

from core.claims import CheckResult, register
from core.errors import InvalidParameterError
from core.validation import check_alpha

from numerics.compile.compiled import compile_multiclass
from core.validation import check_array as _check_array, check_int as _check_int
from numerics.models.multiclass import multiclass_signal_noise
from numerics.solve.multiclass_gradient_descent import multiclass_gradient_descent
from numerics.solve.multiclass_max_margin import multiclass_max_margin
from numerics.solve.multiclass import minimize_multiclass
from numerics.claims.clustering import blas_single_thread
from numerics.claims.implicit_bias_gd import perm_logit_functions

__all__ = ["M2_SIZES", "M2_ALPHA", "centred_logits", "clustering_ratio", "vertex_targets",
           "simplex_projection", "m2_runs", "m2_size_runs", "m2_figure_data", "check_m2"]

#: M2 (Fig. 7): K classes, N samples in d dimensions (lambda = d/N = 0.7 throughout),
#: seed of the draw and cross-entropy GD epochs for the alpha = 0 GD panel (0: none; the
#: SVM direction, the GD limit, is the alpha = 0 panel wherever its QP is small enough).
#: Paper ("full"): d=1400, N=2000. "default": same K and lambda, ~13x fewer samples and
#: dimensions (15 samples per class). "test" (the figure test): K = 3, where the Petrie
#: plane is the whole centred logit space.
M2_SIZES = {
    "test": dict(k=3, n=60, d=42, gd_epochs=2000, seed=1),
    "default": dict(k=10, n=150, d=105, gd_epochs=0, seed=3),
    "full": dict(k=10, n=2000, d=1400, gd_epochs=2000, seed=3),
}
#: M2's alpha > 0 (quadratic f) and the data's sigma_f, sigma_n (docs/theory.md §4 (M2)).
M2_ALPHA, M2_SIGMA_F, M2_SIGMA_N = 0.2, 0.1, 1.0


# ----------------------------------------------------------------------------- helpers
def centred_logits(Z):
    r""":math:`Pz = z - \operatorname{mean}_k(z_k)` row-wise (softmax ignores the mean)."""
    Z = np.asarray(Z, dtype=float)
    return Z - Z.mean(axis=1, keepdims=True)


def clustering_ratio(Z, y, k) -> dict:
    r"""Within-class RMS spread of the centred logits over the mean pairwise distance of
    the class centroids (:math:`\rho` of the module docstring), and the centroids."""
    Z = _check_array(Z, "Z", "clustering_ratio", ndim=2)
    y = np.asarray(y)
    k = _check_int(k, "k", "clustering_ratio", minimum=2)
    if Z.shape != (y.size, k):
        raise InvalidParameterError(
            f"The 'Z' parameter of clustering_ratio must have shape ({y.size}, {k}). Got "
            f"{Z.shape} instead.")
    P = centred_logits(Z)
    if np.any(np.bincount(y, minlength=k) == 0):
        raise InvalidParameterError(
            "clustering_ratio needs at least one sample of every class. Got counts "
            f"{np.bincount(y, minlength=k).tolist()!r}.")
    cent = np.array([P[y == c].mean(axis=0) for c in range(k)])
    spread = math.sqrt(float(np.mean(np.sum((P - cent[y]) ** 2, axis=1))))
    dists = [np.linalg.norm(cent[a] - cent[b]) for a in range(k) for b in range(a + 1, k)]
    return {"ratio": spread / float(np.mean(dists)), "spread": spread,
            "centroid_distance": float(np.mean(dists)), "centroids": cent}


def vertex_targets(regularizer, k, alpha) -> np.ndarray:
    r""":math:`Z^*` (K x K): column ``c`` is the simplex target of class ``c`` (M1)."""
    alpha = float(check_alpha(alpha, caller="vertex_targets", allow_zero=False))
    qh, ql = (float(v) for v in compile_multiclass(regularizer, k).targets(alpha))
    Z = np.full((k, k), ql)
    np.fill_diagonal(Z, qh)
    return Z


def simplex_projection(k) -> np.ndarray:
    r"""(2, K) Petrie-polygon projection of :math:`R^K`: vertex :math:`e_c \mapsto
    (\cos 2\pi c/K, \sin 2\pi c/K)` (a regular K-gon; used for the M2 figure)."""
    ang = 2 * np.pi * np.arange(k) / k
    return np.vstack([np.cos(ang), np.sin(ang)])


# ---------------------------------------------------------------------------------- M2
def m2_runs(n, d, k, *, sigma_f, sigma_n, alpha, seed, gd_epochs=0, regularizer="quadratic"):
    r"""Logits of one M2 draw: :math:`\alpha > 0` exact minimiser (quadratic f, with bias),
    :math:`\alpha = 0` hard-margin SVM on :math:`(x, 1)` (the GD limit with bias) and,
    if ``gd_epochs``, cross-entropy GD from 0 (the paper's recipe; needed at paper scale
    where the SVM QP is too large)."""
    ds = multiclass_signal_noise(n, d, k, sigma_f=sigma_f, sigma_n=sigma_n, seed=seed)
    out = {"data": ds}
    sol = minimize_multiclass(ds.X, ds.y, regularizer, alpha, n_classes=k)
    out["reg"] = ds.X @ sol.coef.T + sol.intercept
    out["reg_gradient_norm"] = sol.gradient_norm
    if gd_epochs == 0 or n * (k - 1) <= 4000:
        Xa = np.column_stack([ds.X, np.ones(n)])
        svm = multiclass_max_margin(Xa, ds.y, k)
        out["svm"] = Xa @ svm.direction.T
        out["svm_kkt"] = svm.kkt_residual
    if gd_epochs:
        loss, grad = perm_logit_functions("cross_entropy", k)
        tr = multiclass_gradient_descent(ds, loss=loss, grad=grad, epochs=gd_epochs, lr=0.1,
                                         record_at=np.array([gd_epochs]), blas_threads=1)
        out["gd"] = ds.X @ tr.weights[-1].T + tr.biases[-1]
        out["gd_train_accuracy"] = float(tr.train_accuracy[-1])
    return out


def m2_size_runs(size: str, regularizer="quadratic") -> dict:
    """:func:`m2_runs` at ``M2_SIZES[size]`` (one BLAS thread: reproducible)."""
    s = M2_SIZES[size]
    with blas_single_thread():
        return m2_runs(s["n"], s["d"], s["k"], sigma_f=M2_SIGMA_F, sigma_n=M2_SIGMA_N,
                       alpha=M2_ALPHA, seed=s["seed"], gd_epochs=s["gd_epochs"],
                       regularizer=regularizer)


def m2_figure_data(runs, size: str, regularizer="quadratic") -> dict:
    r"""Data of the M2 picture (Fig. 7, report figure ``M2_simplex_clustering``) from
    :func:`m2_size_runs` at ``size``: centred training logits projected on the Petrie
    plane.

    Returns ``points`` (panel -> (N, 2) projections), ``rho`` (panel -> :math:`\rho`),
    ``labels``, ``targets_2d`` (the projected targets :math:`Pz^*_c`), the closed-form
    vertex distance :math:`\sqrt2(q_{high} - q_{low})`, the largest distance of an
    :math:`\alpha > 0` class centroid from its vertex (in vertex distances) and the
    settings. Panels: ``reg`` (:math:`\alpha > 0`), ``svm`` (:math:`\alpha = 0` limit,
    when the QP is small enough), ``gd`` (:math:`\alpha = 0` cross-entropy GD, if run).
    """
    s = dict(M2_SIZES[size])
    k = s["k"]
    y = runs["data"].y
    proj = simplex_projection(k)
    targets = vertex_targets(regularizer, k, M2_ALPHA)
    panels = [key for key in ("reg", "svm", "gd") if key in runs]
    rho, points = {}, {}
    for key in panels:
        rho[key] = clustering_ratio(runs[key], y, k)["ratio"]
        points[key] = centred_logits(runs[key]) @ proj.T
    reg = clustering_ratio(runs["reg"], y, k)
    vdist = math.sqrt(2.0) * float(targets[0, 0] - targets[1, 0])
    offset = float(np.max(np.linalg.norm(reg["centroids"] - centred_logits(targets.T),
                                         axis=1))) / vdist
    s.update(sigma_f=M2_SIGMA_F, sigma_n=M2_SIGMA_N, alpha=M2_ALPHA,
             regularizer=getattr(regularizer, "name", regularizer),
             means="simplex", gd_lr=0.1)
    return {"settings": s, "panels": panels, "labels": y, "points": points, "rho": rho,
            "targets_2d": centred_logits(targets.T) @ proj.T,
            "vertex_distance": vdist, "centroid_offset": offset,
            "svm_kkt_residual": runs.get("svm_kkt", math.nan),
            "gd_train_accuracy": runs.get("gd_train_accuracy", math.nan)}


@register("M2", "alpha>0 clusters each class's training logits at its simplex vertex; "
                "alpha=0 (max-margin direction) spreads them")
def check_m2(full: bool = False, regularizer=None) -> CheckResult:
    r"""M2 at ``M2_SIZES["full" if full else "default"]``: :math:`\rho` and the centroid
    offsets against the closed-form vertices; the picture's data as
    ``M2_simplex_clustering``. The quadratic f, or ``regularizer`` (a
    ``theory.Regularizer`` with a K-class form)."""
    size = "full" if full else "default"
    s = M2_SIZES[size]
    k, alpha, n, d = s["k"], M2_ALPHA, s["n"], s["d"]
    reg_f = "quadratic" if regularizer is None else regularizer
    runs = m2_size_runs(size, reg_f)
    y = runs["data"].y
    targets = vertex_targets(reg_f, k, alpha)
    reg = clustering_ratio(runs["reg"], y, k)
    vert = centred_logits(targets.T)  # row c: centred target of class c
    vdist = math.sqrt(2.0) * float(targets[0, 0] - targets[1, 0])
    off = float(np.max(np.linalg.norm(reg["centroids"] - vert, axis=1))) / vdist
    spread_v = reg["spread"] / vdist
    f_label = "quadratic f" if regularizer is None else f"f = {regularizer.source[-1]}"
    ev = {"setting": f"K={k} d={d} N={n} sigma_f=0.1 sigma_n=1 alpha={alpha} ({f_label})",
          "alpha>0: rho (spread / centroid distance)": reg["ratio"],
          "alpha>0: spread / vertex distance sqrt(2)(q_high - q_low)": spread_v,
          "alpha>0: max |centroid - vertex| / vertex distance": off,
          "alpha>0: Newton gradient norm": runs["reg_gradient_norm"]}
    zero = []
    for key in ("svm", "gd"):
        if key in runs:
            r0 = clustering_ratio(runs[key], y, k)
            ev[f"alpha=0 ({key}): rho"] = r0["ratio"]
            zero.append(r0["ratio"])
    if "svm_kkt" in runs:
        ev["alpha=0 SVM KKT residual"] = runs["svm_kkt"]
    if "gd_train_accuracy" in runs:
        ev["alpha=0 GD train accuracy"] = runs["gd_train_accuracy"]
    sep = min(zero) / reg["ratio"]
    ev["separation: min rho(alpha=0) / rho(alpha>0)"] = sep
    # Thresholds (not tuned to the run): a cluster is "at its vertex" when its RMS spread
    # is below a quarter of the vertex distance and its centroid within a quarter of it
    # (clusters then do not overlap); "spread" means alpha=0's rho is >= 2x alpha>0's.
    passed = spread_v <= 0.25 and off <= 0.25 and reg["ratio"] <= 0.25 and sep >= 2.0
    return CheckResult(
        "M2", "simplex clustering of training logits", ev,
        "alpha>0: spread and centroid offset <= 1/4 of the closed-form vertex distance "
        "sqrt(2)(q_high-q_low) (M1 targets); rho(alpha=0)/rho(alpha>0) >= 2",
        bool(passed), data={"M2_simplex_clustering": m2_figure_data(runs, size, reg_f)})
