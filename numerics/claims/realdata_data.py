r"""The real data sets of claims R1 and R2 (docs/theory.md §5, App. E.6.1 adapted to offline
data): splits, the class-mean span and its orthogonal rescaling, effective noise.

The paper probes frozen ResNet-18 CIFAR-10 features (1000 train / 9000 test, 512
features, :math:`\lambda = d/N \approx 0.5`). Offline we use the real data sets shipped
inside scikit-learn, with the same ratio :math:`\lambda = d/N = 1/2` (``N = 2d`` training
samples, the rest is the test set; stratified split, fixed seed):

==============  =====  ===  =======  ==========================================
name            K      d    N train  source
==============  =====  ===  =======  ==========================================
digits-3v8      2      64   128      ``load_digits``, the confusable pair 3 vs 8
digits-10       10     64   128      ``load_digits``, all ten classes
breast_cancer   2      30   60       ``load_breast_cancer``
wine            3      13   26       ``load_wine``
==============  =====  ===  =======  ==========================================

Features are standardised with the training mean and standard deviation; features that
are constant on the training set (blank pixels of the digits) are dropped, so ``d`` below
counts the kept ones and :math:`[\mathbf 1, X_{train}]` has full column rank
(:math:`N > d`, the regime of B9/M6).

**Orthogonal rescaling (R2).** :math:`P_\perp` projects onto the orthogonal complement of
:math:`S = \operatorname{span}\{\mu_c - \bar\mu\}` (train class means);
:math:`A_\gamma = (I - P_\perp) + \gamma P_\perp` is invertible for :math:`\gamma > 0`.

**Effective noise amplitudes** (Sec. 5). With :math:`Q_S` an orthonormal basis of
:math:`S` (dimension :math:`K-1`), residuals :math:`r_i = x_i - \mu_{y_i}` and
:math:`D` the mean pairwise centroid distance,

.. math::
    \sigma_f^{eff} = \frac1{KD}\sum_c\Bigl(\frac{\operatorname{mean}_{y_i=c}
        \|Q_S^\top r_i\|^2}{K-1}\Bigr)^{1/2},\qquad
    \sigma_n^{eff} = \frac1{KD}\sum_c\Bigl(\frac{\operatorname{mean}_{y_i=c}
        \|P_\perp r_i\|^2}{d-K+1}\Bigr)^{1/2},

i.e. per-direction RMS standard deviations. For the binary model of Sec. 3
(centroids :math:`\pm\mu_f e_1`, :math:`D = 2\mu_f`) this gives
:math:`\sigma_f/(2\mu_f)` and :math:`\sigma_n/(2\mu_f)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.errors import InvalidParameterError

from core.validation import check_array as _check_array, check_int as _check_int, check_real as _check_real
from numerics.models.multiclass import mean_span as _mean_span

__all__ = ["DATASETS", "RealSplit", "load_split", "check_labels", "orthogonal_projector",
           "rescale_orthogonal", "effective_noise", "dataset_noise"]

#: Data sets and training sizes: N = 2 d_raw, i.e. lambda = 1/2 as for the paper's
#: 512 ResNet features and 1000 training images (fixed before looking at any result).
DATASETS = {"digits-3v8": 128, "digits-10": 128, "breast_cancer": 60, "wine": 26}


@dataclass(frozen=True)
class RealSplit:
    r"""A fixed train/test split of a scikit-learn data set, standardised on train.

    ``X_train`` (N, d), ``X_test`` (M, d) (train-constant features dropped), labels in
    ``0..K-1``; ``d_raw`` is the number of features before dropping.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    k: int
    d_raw: int
    seed: int

    @property
    def n(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def d(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def lam(self) -> float:
        r""":math:`\lambda = d/N` with the kept features."""
        return self.d / self.n


def _raw(name):
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    if name not in DATASETS:
        raise InvalidParameterError(
            f"The 'name' parameter of load_split must be one of {', '.join(DATASETS)}. "
            f"Got {name!r} instead.")
    if name.startswith("digits"):
        data = load_digits()
        X, y = data.data.astype(float), data.target.astype(np.int64)
        if name == "digits-3v8":
            keep = (y == 3) | (y == 8)
            X, y = X[keep], (y[keep] == 8).astype(np.int64)
        return X, y
    data = load_breast_cancer() if name == "breast_cancer" else load_wine()
    return data.data.astype(float), data.target.astype(np.int64)


def load_split(name: str, n_train=None, *, seed: int = 0) -> RealSplit:
    r"""Stratified split of data set ``name`` with ``n_train`` training samples (default
    :data:`DATASETS`), standardised with the training mean and standard deviation.

    >>> s = load_split("wine")
    >>> (s.k, s.n, s.d, s.X_test.shape[0])
    (3, 26, 13, 152)
    """
    from sklearn.model_selection import train_test_split

    caller = "load_split"
    X, y = _raw(name)
    n_train = DATASETS[name] if n_train is None else n_train
    k = int(y.max()) + 1
    n_train = _check_int(n_train, "n_train", caller, minimum=2 * k)
    if n_train > X.shape[0] - k:
        raise InvalidParameterError(
            f"The 'n_train' parameter of {caller} must leave at least {k} test samples of "
            f"the {X.shape[0]} in {name!r}. Got {n_train!r} instead.")
    seed = _check_int(seed, "seed", caller, minimum=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, train_size=n_train, stratify=y,
                                          random_state=seed)
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    keep = sd > 0
    Xtr = (Xtr[:, keep] - mu[keep]) / sd[keep]
    Xte = (Xte[:, keep] - mu[keep]) / sd[keep]
    return RealSplit(name, Xtr, ytr, Xte, yte, k, X.shape[1], seed)


def check_labels(X, y, k, caller):
    """``(X, y, k)`` validated for ``caller``: X (N, d) finite, y N integer labels holding
    every class ``0..k-1``."""
    X = _check_array(X, "X", caller, ndim=2)
    k = _check_int(k, "k", caller, minimum=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise InvalidParameterError(
            f"The 'y' parameter of {caller} must be {X.shape[0]} integer labels. Got dtype "
            f"{y.dtype} and shape {y.shape} instead.")
    counts = np.bincount(y, minlength=k) if y.size and y.min() >= 0 else None
    if counts is None or counts.size != k or np.any(counts == 0):
        raise InvalidParameterError(
            f"The 'y' parameter of {caller} must hold every label 0..{k - 1} at least once. "
            f"Got labels {sorted(set(y.tolist()))[:12]!r} instead.")
    return X, y.astype(np.int64), k


def _class_means(X, y, k):
    return np.array([X[y == c].mean(axis=0) for c in range(k)])


def _signal_basis(means, caller):
    r"""Orthonormal basis (d, K-1) of the span :math:`S` of the centred class ``means``
    (:func:`numerics.models.multiclass.mean_span`; affinely independent means required)."""
    k, d = means.shape
    if k - 1 > d:
        raise InvalidParameterError(
            f"{caller} needs K - 1 <= d for K = {k} class means in d = {d} dimensions.")
    try:
        return _mean_span(means, caller)[0]
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"{caller} needs the {k} class means of (X, y) to be affinely independent "
            f"(dim S = K - 1): {exc}") from None


def orthogonal_projector(X, y, k) -> np.ndarray:
    r""":math:`P_\perp = I - Q_SQ_S^\top`, the projector onto the orthogonal complement
    of the span :math:`S` of the centred class means of ``(X, y)`` (R2)."""
    X, y, k = check_labels(X, y, k, "orthogonal_projector")
    Q = _signal_basis(_class_means(X, y, k), "orthogonal_projector")
    return np.eye(X.shape[1]) - Q @ Q.T


def rescale_orthogonal(X, P_perp, gamma) -> np.ndarray:
    r""":math:`x \mapsto (I - P_\perp)x + \gamma P_\perp x` row-wise (R2); invertible for
    :math:`\gamma > 0` with inverse :math:`A_{1/\gamma}`.

    >>> P = np.diag([0.0, 1.0])
    >>> rescale_orthogonal([[1.0, 1.0]], P, 3.0).tolist()
    [[1.0, 3.0]]
    """
    caller = "rescale_orthogonal"
    X = _check_array(X, "X", caller, ndim=2)
    P = _check_array(P_perp, "P_perp", caller, ndim=2, shape=(X.shape[1], X.shape[1]))
    gamma = _check_real(gamma, "gamma", caller, lower=0.0, lower_open=True)
    XP = X @ P  # P is symmetric
    return X - XP + gamma * XP


def effective_noise(X, y, k) -> dict:
    r"""Effective :math:`\sigma_f^{eff}, \sigma_n^{eff}` (module docstring): class-averaged
    per-direction RMS standard deviations inside :math:`S` and :math:`S^\perp`, divided by
    the mean pairwise centroid distance ``D`` (also returned, with ``dim_S``)."""
    X, y, k = check_labels(X, y, k, "effective_noise")
    d = X.shape[1]
    M = _class_means(X, y, k)
    Q = _signal_basis(M, "effective_noise")
    r = Q.shape[1]
    if r >= d:
        raise InvalidParameterError(
            f"effective_noise needs dim S < d; got dim S = {r} for d = {d}.")
    R = X - M[y]
    inside = np.sum((R @ Q) ** 2, axis=1)
    outside = np.sum(R * R, axis=1) - inside
    sf = np.mean([math.sqrt(inside[y == c].mean() / r) for c in range(k)])
    sn = np.mean([math.sqrt(max(outside[y == c].mean(), 0.0) / (d - r)) for c in range(k)])
    D = float(np.mean([np.linalg.norm(M[a] - M[b]) for a in range(k) for b in range(a + 1, k)]))
    return {"sigma_f": float(sf) / D, "sigma_n": float(sn) / D, "centroid_distance": D,
            "dim_S": r}


def dataset_noise(name: str) -> dict:
    """:func:`effective_noise` of the whole data set ``name`` (standardised on itself,
    constant features dropped): a property of the data set, not of one split."""
    X, y = _raw(name)
    sd = X.std(axis=0)
    X = (X[:, sd > 0] - X[:, sd > 0].mean(axis=0)) / sd[sd > 0]
    return effective_noise(X, y, int(y.max()) + 1)
