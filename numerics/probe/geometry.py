r"""Geometry of a user's embeddings (docs/theory.md §5): the class-mean span, the effective
noise amplitudes :math:`\sigma_f^{eff}, \sigma_n^{eff}` with bootstrap standard errors,
and the Fisher discriminant subspace with principal cosines against a probe.

* **Effective noise** is :func:`numerics.probe._stats.effective_noise` (the
  definition of §5, as in :mod:`numerics.claims.realdata_data`) on the standardised training set. Its standard error is the standard
  deviation over ``n_boot`` bootstrap resamples drawn *within* each class (class sizes
  kept), so the class-mean span is re-estimated in each resample.
* **Fisher subspace**: the top K−1 generalised eigenvectors of
  :math:`(S_B, S_W)` (as ``fisher_subspace`` of :mod:`numerics.claims.multiclass`; for K = 2 the
  direction :math:`S_W^{-1}(\mu_1-\mu_0)`), computed in the range of :math:`S_W`
  (eigenvalues above 1e-10 of the largest), as scikit-learn's ``svd`` LDA solver does:
  with a singular :math:`S_W` (pixels constant within every class of a digits split) the
  generalised problem has no finite solution along its null space. Its sampling scale is the smallest principal
  cosine between the full-data subspace and those of ``n_boot_fisher`` bootstrap
  resamples (median reported): a probe whose cosine to the Fisher subspace is above it
  agrees with LDA to within the resolution the sample allows.
* **Principal cosines** between the row space of the class-centred probe weights
  :math:`W - \bar w` (dimension K−1) and the Fisher subspace:
  :math:`\cos\theta_1 \ge \dots \ge \cos\theta_{K-1}` (:func:`scipy.linalg.subspace_angles`).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from numerics.probe._stats import class_centred, effective_noise

__all__ = ["class_bootstrap", "noise_amplitudes", "fisher_subspace", "fisher",
           "principal_cosines"]

#: Eigenvalues of S_W below this fraction of the largest count as zero.
_SW_RCOND = 1e-10


def class_bootstrap(y, k, rng) -> np.ndarray:
    """Indices of one bootstrap resample drawn within each class (sizes kept)."""
    parts = [rng.choice(np.flatnonzero(y == c), size=int(np.sum(y == c)), replace=True)
             for c in range(k)]
    return np.concatenate(parts)


def noise_amplitudes(X, y, k, *, n_boot: int, rng) -> dict:
    r""":math:`\sigma_f^{eff}`, :math:`\sigma_n^{eff}`, their ratio and the mean pairwise
    centroid distance ``D`` with bootstrap standard errors (``*_se``), ``dim_S`` and the
    singular values of the centred class means (``span_singular_values``)."""
    eff = effective_noise(X, y, k)
    means = np.array([X[y == c].mean(axis=0) for c in range(k)])
    sv = linalg.svdvals(means - means.mean(axis=0))[:k - 1]
    boots = []
    for _ in range(n_boot):
        idx = class_bootstrap(y, k, rng)
        e = effective_noise(X[idx], y[idx], k)
        boots.append((e["sigma_f"], e["sigma_n"], e["sigma_n"] / e["sigma_f"],
                      e["centroid_distance"]))
    B = np.array(boots).reshape(-1, 4)
    se = B.std(axis=0, ddof=1) if n_boot > 1 else np.full(4, np.nan)
    return {"sigma_f": eff["sigma_f"], "sigma_n": eff["sigma_n"],
            "ratio": eff["sigma_n"] / eff["sigma_f"], "centroid_distance": eff["centroid_distance"],
            "sigma_f_se": float(se[0]), "sigma_n_se": float(se[1]), "ratio_se": float(se[2]),
            "centroid_distance_se": float(se[3]), "dim_S": eff["dim_S"], "n_boot": n_boot,
            "span_singular_values": sv.tolist()}


def principal_cosines(W, F) -> np.ndarray:
    r"""Principal cosines (descending) between the row space of the class-centred ``W``
    (K, d) and the column space of ``F`` (d, m)."""
    C = class_centred(W)
    _, s, Vt = linalg.svd(C, full_matrices=False)
    basis = Vt[: F.shape[1]].T
    return np.sort(np.cos(linalg.subspace_angles(basis, F)))[::-1]


def fisher_subspace(X, y, k) -> np.ndarray:
    r"""Orthonormal basis (d, K−1) of the Fisher subspace (module notes): with
    :math:`S_W = E\Lambda E^\top` restricted to its range, the top K−1 eigenvectors u of
    :math:`\Lambda^{-1/2}E^\top S_BE\Lambda^{-1/2}` give the directions
    :math:`E\Lambda^{-1/2}u`."""
    n = X.shape[0]
    mu = X.mean(axis=0)
    means = np.array([X[y == c].mean(axis=0) for c in range(k)])
    pi = np.bincount(y, minlength=k) / n
    R = X - means[y]
    SW = R.T @ R / n
    Mc = (means - mu) * np.sqrt(pi)[:, None]
    lam, E = linalg.eigh(SW)
    keep = lam > _SW_RCOND * lam.max()
    Wh = E[:, keep] / np.sqrt(lam[keep])
    Bc = Mc @ Wh  # S_B = Mc^T Mc, so the whitened S_B is Bc^T Bc
    _, _, Vt = linalg.svd(Bc, full_matrices=False)
    dirs = Wh @ Vt[: k - 1].T
    return linalg.orth(dirs)


def fisher(X, y, k, *, n_boot: int, rng) -> dict:
    r"""Fisher subspace ``F`` (d, K−1) of the training set and its bootstrap stability
    (module notes): ``F``, ``stability_median``/``stability_min`` (smallest principal
    cosine to bootstrap subspaces), ``n_boot``."""
    F = fisher_subspace(X, y, k)
    worst = []
    for _ in range(n_boot):
        idx = class_bootstrap(y, k, rng)
        Fb = fisher_subspace(X[idx], y[idx], k)
        worst.append(float(np.cos(np.max(linalg.subspace_angles(F, Fb)))))
    return {"F": F, "stability_median": float(np.median(worst)) if worst else float("nan"),
            "stability_min": float(np.min(worst)) if worst else float("nan"), "n_boot": n_boot}
