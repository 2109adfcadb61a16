r"""Training dynamics of a K-class linear classifier: full-batch gradient descent (and Adam)
with a recorded trajectory (claims M2, M7, G1).

Logits :math:`Z = X W^\top + \mathbf 1 b^\top`:

.. math::
    L(W, b) = \frac1N\sum_i \ell(z_i, y_i),\qquad
    W_{k+1} = W_k - \frac{\eta}{N} G_k^\top X,\ b_{k+1} = b_k - \frac{\eta}{N} G_k^\top\mathbf 1,
    \quad (G_k)_{ic} = \partial\ell(z_i, y_i)/\partial z_{ic}.

The logit-space iteration (``method="gram"``) of :mod:`numerics.solve.gradient_descent`
carries over with the kernel :math:`(XX^\top + \mathbf 1\mathbf 1^\top[\text{bias}])/N`
and BLAS ``dsymm``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import blas

from core.errors import InvalidParameterError, InvalidTypeError
from core.validation import (CLASS_COUNT, COUNT, POSITIVE, Array, Boolean, ClassLabels, IsCallable,
                             parameter_error, validate, validate_params)

from numerics.models.multiclass import MulticlassDataset
from numerics.solve._training import (GRAM_MAX_N, METHOD, OPTIMIZER, THREADS, AdamState, adam_betas,
                                      blas_limit, call_checked, cosine, diverged, finite,
                                      record_grid, refuse_adam_gram)

__all__ = ["MulticlassTrajectory", "multiclass_gradient_descent"]


@dataclass(frozen=True, eq=False)
class MulticlassTrajectory:
    r"""Multiclass training record (arrays aligned with ``epochs``).

    ``cosine`` is the Frobenius cosine of :math:`W_k` with the reference (NaN without
    one); ``subspace_fraction`` is :math:`\|W_k B_S\|_F/\|W_k\|_F` for the mean-span basis
    :math:`B_S`; ``logit_spread`` is the RMS distance of each sample's logits to its class
    mean logit vector (simplex clustering, M2); ``row_sum_norm`` is
    :math:`\|\sum_c w_c\|` (conserved at 0 by cross-entropy GD from 0, G1). Accuracy is
    argmax (ties go to the lower class index).
    """

    epochs: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    weight_norm: np.ndarray
    cosine: np.ndarray
    subspace_fraction: np.ndarray
    logit_spread: np.ndarray
    row_sum_norm: np.ndarray
    weights: np.ndarray = field(repr=False)
    biases: np.ndarray = field(repr=False)
    optimizer: str = "gd"
    lr: float = 0.1
    method: str = "primal"
    elapsed: float = 0.0

    @property
    def final_weights(self) -> np.ndarray:
        return self.weights[-1]


def _multiclass_xy(data, k, name, caller):
    if isinstance(data, MulticlassDataset):
        return np.ascontiguousarray(data.X), np.asarray(data.y, dtype=np.int64), data.k
    if not isinstance(data, tuple) or len(data) != 2:
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be (X, y) or a MulticlassDataset. "
            f"Got {type(data).__name__} instead.")
    if k is None:
        raise InvalidParameterError(
            f"The 'k' parameter of {caller} is required when {name} is (X, y). Got None.")
    X = validate(f"{name}[0] (X)", data[0], Array(2), caller)
    y = validate(f"{name}[1] (y)", data[1], ClassLabels(X.shape[0], k), caller)
    return X, y, k


def _logit_spread(Z, y, k):
    sq = 0.0
    for c in range(k):
        Zc = Z[y == c]
        if Zc.shape[0]:
            sq += float(np.sum((Zc - Zc.mean(axis=0)) ** 2))
    return math.sqrt(sq / Z.shape[0])


@validate_params({"loss": [IsCallable()], "grad": [IsCallable()], "epochs": [COUNT],
                  "k": [CLASS_COUNT, None], "lr": [POSITIVE], "optimizer": OPTIMIZER,
                  "bias": [Boolean()], "method": METHOD, "eps": [POSITIVE],
                  "blas_threads": THREADS})
def multiclass_gradient_descent(data, *, loss, grad, epochs, k=None, lr=0.1, optimizer="gd",
                                bias=True, record_at=None, test=None, reference=None,
                                subspace=None, init=None, method="auto",
                                betas=(0.9, 0.999), eps=1e-8,
                                blas_threads=None) -> MulticlassTrajectory:
    r"""Full-batch GD (or Adam) for a linear K-class model (M2, M7, G1).

    .. math::
        L(W, b) = \frac1N\sum_i \ell(z_i, y_i),\quad z_i = W x_i + b,\qquad
        \nabla_W L = \frac1N G^\top X,\ \nabla_b L = \frac1N G^\top\mathbf 1 .

    Parameters
    ----------
    data : (X, y) with integer labels (then ``k`` is required) or MulticlassDataset
    loss, grad : callable
        ``loss(Z, y)`` -> (N,) per-sample losses and ``grad(Z, y)`` -> (N, K) their
        gradients with respect to the logits Z (N, K).
    epochs, lr, optimizer, record_at, method, betas, eps
        As in :func:`gradient_descent`; ``gram`` uses :math:`(XX^\top + \mathbf 1
        \mathbf 1^\top[\text{bias}])/N` and BLAS ``dsymm``.
    bias : bool
        Train a bias b (G1's hard-margin SVM has none: use ``bias=False`` there).
    test : same forms as ``data``, optional
    reference : array (K, d), optional
        Reference weights for ``cosine`` (e.g. the multiclass hard-margin SVM).
    subspace : array (d, r), optional
        Orthonormal basis for ``subspace_fraction``; default the dataset's mean span.
    init : (W0, b0), optional
        Starting point (default zeros).
    blas_threads : int, optional
        As in :func:`gradient_descent`.
    """
    caller = "multiclass_gradient_descent"
    X, y, k = _multiclass_xy(data, k, "data", caller)
    n, d = X.shape
    refuse_adam_gram(optimizer, method, caller)
    b1, b2 = adam_betas(betas, caller)
    grid = record_grid(record_at, epochs, caller)
    X_test = y_test = None
    if test is not None:
        X_test, y_test, k_test = _multiclass_xy(test, k, "test", caller)
        if X_test.shape[1] != d or k_test != k:
            raise InvalidParameterError(
                f"The 'test' parameter of {caller} must have d={d} columns and K={k}. Got "
                f"shape {X_test.shape}, K={k_test} instead.")
    ref = None
    if reference is not None:
        ref = validate("reference", reference, Array(2, (k, d)), caller)
        rn = float(np.linalg.norm(ref))
        if rn == 0.0:
            raise InvalidParameterError(
                f"The 'reference' parameter of {caller} must be non-zero. Got zeros.")
        ref = ref / rn
    if subspace is None and isinstance(data, MulticlassDataset):
        subspace = data.basis
    if subspace is not None:
        subspace = validate("subspace", subspace, Array(2, (d, None)), caller)
    if init is None:
        W0, b0 = np.zeros((k, d)), np.zeros(k)
    else:
        if not isinstance(init, tuple) or len(init) != 2:
            raise parameter_error("init", init, "a pair (W0, b0)", caller)
        W0 = validate("init[0] (W0)", init[0], Array(2, (k, d)), caller).copy()
        b0 = validate("init[1] (b0)", init[1], Array(1, (k,)), caller).copy()
    if not bias:
        b0 = np.zeros(k)
    if method == "auto":
        # Measured at K=10, d=1400, N=2000: dsymm on the N x N kernel ~6-9 ms per epoch
        # against ~9-12 ms for the two N x d x K products; the kernel wins when N <= 2d.
        method = "gram" if (optimizer == "gd" and n <= 2 * d and n <= GRAM_MAX_N) else "primal"

    R = grid.size
    rec = {key: np.full(R, np.nan) for key in (
        "train_loss", "train_accuracy", "test_loss", "test_accuracy", "weight_norm",
        "cosine", "subspace_fraction", "logit_spread", "row_sum_norm")}
    weights = np.empty((R, k, d))
    biases = np.empty((R, k))
    Z = X @ W0.T + b0
    call_checked(loss, "loss", caller, (n,), Z, y)
    call_checked(grad, "grad", caller, (n, k), Z, y)

    def record(i, epoch, W, b, Z):
        if not finite(Z):
            diverged(caller, epoch, lr)
        rec["train_loss"][i] = float(np.mean(loss(Z, y)))
        rec["train_accuracy"][i] = float(np.mean(np.argmax(Z, axis=1) == y))
        rec["logit_spread"][i] = _logit_spread(Z, y, k)
        norm = float(np.linalg.norm(W))
        rec["weight_norm"][i] = norm
        rec["row_sum_norm"][i] = float(np.linalg.norm(W.sum(axis=0)))
        if ref is not None:
            rec["cosine"][i] = cosine(W, ref)
        if subspace is not None and norm > 0.0:
            rec["subspace_fraction"][i] = float(np.linalg.norm(W @ subspace)) / norm
        if X_test is not None:
            Zt = X_test @ W.T + b
            rec["test_loss"][i] = float(np.mean(loss(Zt, y_test)))
            rec["test_accuracy"][i] = float(np.mean(np.argmax(Zt, axis=1) == y_test))
        weights[i] = W
        biases[i] = b

    with blas_limit(blas_threads):
        start = time.perf_counter()
        i = 0
        if grid[0] == 0:
            record(0, 0, W0, b0, Z)
            i = 1
        next_rec = grid[i] if i < R else -1
        if method == "gram":
            Kmat = (X @ X.T).T
            if bias:
                Kmat += 1.0
            Kmat *= 1.0 / n
            Z = np.asfortranarray(Z)
            csum = np.zeros((n, k))
            symm = blas.dsymm
            for epoch in range(1, epochs + 1):
                Gz = np.asfortranarray(grad(Z, y))
                csum += Gz
                Z = symm(-lr, Kmat, Gz, beta=1.0, c=Z, overwrite_c=1)
                if not finite(Z):
                    diverged(caller, epoch, lr)
                if epoch == next_rec:
                    W = W0 - (lr / n) * (csum.T @ X)
                    b = b0 - (lr / n) * csum.sum(axis=0) if bias else b0
                    Z = np.asfortranarray(X @ W.T + b)
                    record(i, epoch, W, b, Z)
                    i += 1
                    next_rec = grid[i] if i < R else -1
        else:
            W, b = W0.copy(), b0.copy()
            gW = np.empty((k, d))
            Z = np.empty((n, k))
            adam_w = adam_b = None
            if optimizer == "adam":
                adam_w = AdamState((k, d), b1, b2, eps, lr)
                adam_b = AdamState(k, b1, b2, eps, lr)
            scale = lr / n
            for epoch in range(1, epochs + 1):
                np.dot(X, W.T, out=Z)
                Z += b
                if not finite(Z):
                    diverged(caller, epoch - 1, lr)
                Gz = grad(Z, y)
                np.dot(Gz.T, X, out=gW)
                gb = Gz.sum(axis=0)
                if adam_w is None:
                    gW *= scale
                    W -= gW
                    if bias:
                        b -= scale * gb
                else:
                    gW *= 1.0 / n
                    adam_w.step(W, gW)
                    if bias:
                        adam_b.step(b, gb / n)
                if epoch == next_rec:
                    np.dot(X, W.T, out=Z)
                    Z += b
                    record(i, epoch, W.copy(), b.copy(), Z)
                    i += 1
                    next_rec = grid[i] if i < R else -1
    return MulticlassTrajectory(epochs=grid, weights=weights, biases=biases,
                                optimizer=optimizer, lr=lr, method=method,
                                elapsed=time.perf_counter() - start, **rec)
