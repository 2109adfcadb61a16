r"""The statistics the probe shares with the real-data claims R1/R2 (docs/theory.md §5),
for arbitrary user data: the class-mean span and its projector, the orthogonal rescaling,
the effective noise amplitudes, paired accuracy differences and logit changes.

They follow :mod:`numerics.claims.realdata_data` and :mod:`numerics.claims.realdata`
definition for definition (the tests compare them on the same data); the probe keeps its
own copy because importing :mod:`numerics.claims` loads every claim module (about 5 s),
half of a digits-size probe's budget, and the probe sits beside the claims in the layers.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

__all__ = ["class_means", "span_basis", "orthogonal_projector", "rescale_orthogonal",
           "effective_noise", "paired_difference", "logit_change", "class_centred", "JUMP_Z"]

#: A jump counts as resolved beyond this many paired standard errors (R1's rule).
JUMP_Z = 3.0


def class_means(X, y, k) -> np.ndarray:
    """(K, d) class means."""
    return np.array([X[y == c].mean(axis=0) for c in range(k)])


def span_basis(means) -> np.ndarray:
    r"""Orthonormal basis (d, K−1) of :math:`S = \operatorname{span}\{\mu_c - \bar\mu\}`
    (the leading right singular vectors of the centred means)."""
    k = means.shape[0]
    _, _, Vt = linalg.svd(means - means.mean(axis=0), full_matrices=False)
    return Vt[: k - 1].T


def orthogonal_projector(X, y, k) -> np.ndarray:
    r""":math:`P_\perp = I - Q_SQ_S^\top` for the class-mean span of ``(X, y)`` (R2)."""
    Q = span_basis(class_means(X, y, k))
    return np.eye(X.shape[1]) - Q @ Q.T


def rescale_orthogonal(X, P_perp, gamma) -> np.ndarray:
    r"""Rows of ``X`` mapped by :math:`A_\gamma = (I - P_\perp) + \gamma P_\perp` (R2);
    :math:`A_\gamma^{-1} = A_{1/\gamma}`."""
    XP = X @ P_perp
    return X - XP + gamma * XP


def effective_noise(X, y, k) -> dict:
    r"""§5's effective amplitudes: per-direction RMS within-class spread inside the
    class-mean span S (``sigma_f``) and inside its complement (``sigma_n``), averaged
    over classes, divided by the mean pairwise centroid distance ``centroid_distance``:

    .. math::
        \sigma_f^{eff} = \frac1{KD}\sum_c\Bigl(\frac{\operatorname{mean}_{y_i=c}
            \|Q_S^\top r_i\|^2}{K-1}\Bigr)^{1/2},\qquad
        \sigma_n^{eff} = \frac1{KD}\sum_c\Bigl(\frac{\operatorname{mean}_{y_i=c}
            \|P_\perp r_i\|^2}{d-K+1}\Bigr)^{1/2},\qquad r_i = x_i - \mu_{y_i}.
    """
    d = X.shape[1]
    M = class_means(X, y, k)
    Q = span_basis(M)
    r = Q.shape[1]
    R = X - M[y]
    inside = np.sum((R @ Q) ** 2, axis=1)
    outside = np.maximum(np.sum(R * R, axis=1) - inside, 0.0)
    counts = np.bincount(y, minlength=k)
    sf = np.mean(np.sqrt(np.bincount(y, inside, minlength=k) / counts / r))
    sn = np.mean(np.sqrt(np.bincount(y, outside, minlength=k) / counts / (d - r)))
    diff = M[:, None, :] - M[None, :, :]
    iu = np.triu_indices(k, 1)
    D = float(np.mean(np.sqrt(np.sum(diff[iu] ** 2, axis=1))))
    return {"sigma_f": float(sf) / D, "sigma_n": float(sn) / D, "centroid_distance": D,
            "dim_S": r}


def paired_difference(pred_a, pred_b, y) -> tuple:
    r"""Accuracy difference :math:`A_b - A_a` on one test set and its paired (McNemar)
    standard error :math:`\sqrt{n_{01}+n_{10}-(n_{10}-n_{01})^2/n}/n`."""
    ra, rb = np.asarray(pred_a) == y, np.asarray(pred_b) == y
    n = ra.size
    n01, n10 = int(np.sum(ra & ~rb)), int(np.sum(~ra & rb))
    var = max(n01 + n10 - (n10 - n01) ** 2 / n, 0.0)
    return (n10 - n01) / n, math.sqrt(var) / n


def logit_change(logits, ref: int = 0) -> tuple:
    r"""``(max_j max|Z_j - Z_ref| / max|Z_ref|, max_j #labels changed)`` of (M, K) logit
    matrices against ``logits[ref]`` (M6, R2)."""
    base = logits[ref]
    scale = np.max(np.abs(base))
    labels = np.argmax(base, axis=1)
    diff = max(float(np.max(np.abs(z - base)) / scale) for z in logits)
    flips = max(int(np.sum(np.argmax(z, axis=1) != labels)) for z in logits)
    return diff, flips


def class_centred(W) -> np.ndarray:
    """``W`` with the mean row removed."""
    W = np.asarray(W, dtype=float)
    return W - W.mean(axis=0, keepdims=True)
