r"""Training dynamics: full-batch gradient descent (and Adam) on linear classifiers.

Binary (claims B1, B8), with label-absorbed samples :math:`u_i` and logits
:math:`t_i = S\cdot u_i`:

.. math::
    L(S) = \frac1N\sum_i \ell(S\cdot u_i),\qquad
    S_{k+1} = S_k - \frac{\eta}{N} U^\top \ell'(U S_k).

Multiclass (claims M2, M7, G1), logits :math:`Z = X W^\top + \mathbf 1 b^\top`:

.. math::
    L(W, b) = \frac1N\sum_i \ell(z_i, y_i),\qquad
    W_{k+1} = W_k - \frac{\eta}{N} G_k^\top X,\ b_{k+1} = b_k - \frac{\eta}{N} G_k^\top\mathbf 1,
    \quad (G_k)_{ic} = \partial\ell(z_i, y_i)/\partial z_{ic}.

**Logit-space iteration** (``method="gram"``). Since every GD step moves the logits by a
fixed linear map of the per-sample gradients,

.. math::
    t_{k+1} = t_k - \eta\,\mathcal G\,\ell'(t_k),\quad \mathcal G = UU^\top/N,
    \qquad S_k = S_0 - \frac{\eta}{N} U^\top \sum_{j<k}\ell'(t_j),

one epoch costs a single symmetric mat-vec (BLAS ``dsymv`` reads one triangle: N²/2
numbers) instead of two N x d mat-vecs (2Nd numbers); the weights are rebuilt from the
running sum of :math:`\ell'` only at recorded epochs, where the logits are also re-synced
to :math:`U S_k` so rounding cannot drift. Measured at d=1400, N=2000 (see
``benchmarks/bench_dynamics.py``): ~0.6 ms per epoch against ~1.2-2.4 ms, i.e. the paper's
200,000-epoch grokking run (B8) in about two minutes. Adam is not linear in the
gradient, so it always iterates on the weights.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import blas

from core.errors import ConvergenceError, InvalidParameterError, InvalidTypeError

from numerics.models.data import BinaryDataset, MulticlassDataset, _check_array, _check_int, _check_real

__all__ = [
    "Trajectory",
    "MulticlassTrajectory",
    "log_epoch_grid",
    "gradient_descent",
    "multiclass_gradient_descent",
]

#: Above this many samples the N x N Gram matrix (8 N^2 bytes) is not formed.
_GRAM_MAX_N = 12000


def log_epoch_grid(epochs, num=60, *, include_zero=True) -> np.ndarray:
    r"""Unique integer epochs, log-spaced from 1 to ``epochs`` (plus 0 if asked).

    >>> log_epoch_grid(1000, 4).tolist()
    [0, 1, 10, 100, 1000]
    """
    caller = "log_epoch_grid"
    epochs = _check_int(epochs, "epochs", caller, minimum=1)
    num = _check_int(num, "num", caller, minimum=2)
    grid = np.unique(np.rint(np.logspace(0.0, math.log10(epochs), num)).astype(np.int64))
    grid[-1] = epochs
    return np.concatenate([[0], grid]) if include_zero else grid


def _check_grid(record_at, epochs, caller):
    if record_at is None:
        return log_epoch_grid(epochs)
    arr = np.asarray(record_at)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidParameterError(
            f"The 'record_at' parameter of {caller} must be a non-empty 1-d array of "
            f"integer epochs. Got {record_at!r} instead.")
    if arr.min() < 0 or arr.max() > epochs or np.any(np.diff(arr) <= 0):
        raise InvalidParameterError(
            f"The 'record_at' parameter of {caller} must be strictly increasing epochs in "
            f"[0, epochs={epochs}]. Got {record_at!r} instead.")
    return arr.astype(np.int64)


def _check_optimizer(optimizer, method, caller):
    if optimizer not in ("gd", "adam"):
        raise InvalidParameterError(
            f"The 'optimizer' parameter of {caller} must be 'gd' or 'adam'. Got "
            f"{optimizer!r} instead.")
    if method not in ("auto", "gram", "primal"):
        raise InvalidParameterError(
            f"The 'method' parameter of {caller} must be one of ('auto', 'gram', 'primal'). "
            f"Got {method!r} instead.")
    if optimizer == "adam" and method == "gram":
        raise InvalidParameterError(
            f"The 'method' parameter of {caller} cannot be 'gram' with optimizer='adam' "
            "(Adam is not linear in the gradient). Got 'gram'.")
    return method


def _check_callable(fn, name, caller):
    if not callable(fn):
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be callable. Got {fn!r} instead.")
    return fn


def _call_checked(fn, name, caller, shape, *args):
    out = np.asarray(fn(*args), dtype=np.float64)
    if out.shape != shape:
        raise InvalidParameterError(
            f"The {name!r} callable of {caller} must return per-sample values of shape "
            f"{shape}. Got shape {out.shape} instead.")
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            f"The {name!r} callable of {caller} returned non-finite values at the initial "
            "point.")
    return out


def _adam_settings(betas, eps, caller):
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"The 'betas' parameter of {caller} must be a pair. Got {betas!r} instead.") from None
    b1 = _check_real(b1, "betas[0]", caller, lower=0.0, upper=1.0, upper_open=True)
    b2 = _check_real(b2, "betas[1]", caller, lower=0.0, upper=1.0, upper_open=True)
    eps = _check_real(eps, "eps", caller, lower=0.0, lower_open=True)
    return b1, b2, eps


class _AdamState:
    """In-place Adam (Kingma & Ba) on a weight array: no allocation per step."""

    def __init__(self, shape, b1, b2, eps, lr):
        self.m = np.zeros(shape)
        self.v = np.zeros(shape)
        self.tmp = np.zeros(shape)
        self.b1, self.b2, self.eps, self.lr = b1, b2, eps, lr
        self.p1 = self.p2 = 1.0

    def step(self, w, g):
        b1, b2, tmp = self.b1, self.b2, self.tmp
        self.p1 *= b1
        self.p2 *= b2
        self.m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        self.m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        self.v *= b2
        self.v += tmp
        np.sqrt(self.v, out=tmp)
        tmp *= 1.0 / math.sqrt(1.0 - self.p2)
        tmp += self.eps
        np.divide(self.m, tmp, out=tmp)
        tmp *= self.lr / (1.0 - self.p1)
        w -= tmp


def _blas_limit(threads, caller):
    if threads is None:
        return contextlib.nullcontext()
    threads = _check_int(threads, "blas_threads", caller, minimum=1)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


#: Logits beyond this count as divergence: their squares (in any loss or in np.std) would
#: overflow float64, and no meaningful run gets there.
_LOGIT_MAX = 1e150


def _finite(z):
    # max(|z|) propagates NaN, so one reduction catches NaN, inf and runaway logits.
    return bool(np.max(np.abs(z)) < _LOGIT_MAX)


def _diverged(caller, epoch, lr):
    # Checked every epoch (~2 us against a ~0.5 ms mat-vec) so that a too-large step
    # stops with this error before inf - inf arithmetic can produce NaN warnings.
    raise ConvergenceError(
        f"{caller} diverged: logits non-finite or above {_LOGIT_MAX:g} after epoch "
        f"{epoch}; lower lr={lr!r}.",
        iterations=int(epoch))


def _cosine(a, b_unit):
    na = float(np.linalg.norm(a))
    return float(np.vdot(a, b_unit)) / na if na > 0.0 else math.nan


# --------------------------------------------------------------------------------------
# Binary.
# --------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Trajectory:
    r"""Binary training record on the epochs ``epochs`` (arrays aligned with it).

    ``cosine`` is :math:`\cos(S_k, r)` for the reference direction :math:`r` (default
    :math:`e_1`; NaN while :math:`S_k = 0`). ``train_accuracy`` counts :math:`t_i > 0`
    (a zero logit is an error). ``logit_mean``/``logit_std`` describe the training logits
    :math:`t_i` (logit clustering, B1). Test fields are NaN without a test set.
    ``weights`` holds :math:`S_k` at each recorded epoch, shape (R, d).
    """

    epochs: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    weight_norm: np.ndarray
    cosine: np.ndarray
    logit_mean: np.ndarray
    logit_std: np.ndarray
    weights: np.ndarray = field(repr=False)
    optimizer: str = "gd"
    lr: float = 0.1
    method: str = "primal"
    elapsed: float = 0.0

    @property
    def final_weights(self) -> np.ndarray:
        return self.weights[-1]


def _binary_u(data, name, caller):
    if isinstance(data, BinaryDataset):
        return np.ascontiguousarray(data.u)
    if isinstance(data, tuple):
        if len(data) != 2:
            raise InvalidParameterError(
                f"The {name!r} parameter of {caller} must be U, (X, y) or a BinaryDataset. "
                f"Got a tuple of length {len(data)} instead.")
        X = _check_array(data[0], f"{name}[0] (X)", caller, ndim=2)
        y = _check_array(data[1], f"{name}[1] (y)", caller, ndim=1, shape=(X.shape[0],))
        if not np.all(np.abs(y) == 1.0):
            bad = y[np.abs(y) != 1.0][0]
            raise InvalidParameterError(
                f"The labels {name}[1] of {caller} must be -1 or +1. Got {bad!r} instead.")
        return y[:, None] * X
    return _check_array(data, name, caller, ndim=2)


def gradient_descent(data, *, loss, dloss, epochs, lr=0.1, optimizer="gd", record_at=None,
                     test=None, reference=None, init=None, method="auto",
                     betas=(0.9, 0.999), eps=1e-8, blas_threads=None) -> Trajectory:
    r"""Full-batch GD (or Adam) on :math:`L(S) = \frac1N\sum_i\ell(S\cdot u_i)` (B1, B8).

    .. math::
        S_{k+1} = S_k - \eta\,\nabla L(S_k),\qquad
        \nabla L(S) = \frac1N\sum_i \ell'(S\cdot u_i)\,u_i .

    Parameters
    ----------
    data : array (N, d), (X, y) with y in {-1, +1}, or BinaryDataset
        Training samples (label-absorbed if an array).
    loss, dloss : callable
        Vectorised per-sample loss :math:`\ell(t)` and derivative :math:`\ell'(t)` mapping
        an (N,) array of logits to (N,) values; they must not overflow (e.g.
        ``np.logaddexp(0, -t)`` and ``-scipy.special.expit(-t)`` for cross-entropy).
    epochs : int
        Number of full-batch updates.
    lr : float
        Step size :math:`\eta > 0` (the paper's grokking run uses 0.1).
    optimizer : {"gd", "adam"}
    record_at : int array, optional
        Strictly increasing epochs in [0, epochs]; default :func:`log_epoch_grid`.
    test : same forms as ``data``, optional
        Held-out set for test loss and accuracy.
    reference : array (d,), optional
        Direction for ``cosine`` (default :math:`e_1`, the signal direction).
    init : array (d,), optional
        :math:`S_0` (default 0; GD is deterministic, so no seed is needed).
    method : {"auto", "gram", "primal"}
        Logit-space (see module docstring) or weight-space iteration. ``auto`` picks
        ``gram`` for GD when :math:`N \le 4d` (one N²/2 read vs 2Nd) and
        :math:`N \le 12000`.
    betas, eps : Adam constants.
    blas_threads : int, optional
        Cap on BLAS threads during the loop (threadpoolctl). On a shared, oversubscribed
        machine multithreaded mat-vecs spin and slow down up to ~6x (measured); 1 is then
        the safe choice. Default: leave the BLAS setting alone.

    Raises
    ------
    ConvergenceError
        If the logits become non-finite (step size too large).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import expit
    >>> tr = gradient_descent(np.array([[1.0, 0.5], [1.0, -0.5]]), epochs=100,
    ...     loss=lambda t: np.logaddexp(0, -t), dloss=lambda t: -expit(-t))
    >>> bool(tr.cosine[-1] > 0.999), float(tr.train_accuracy[-1])
    (True, 1.0)
    """
    caller = "gradient_descent"
    U = _binary_u(data, "data", caller)
    n, d = U.shape
    loss = _check_callable(loss, "loss", caller)
    dloss = _check_callable(dloss, "dloss", caller)
    epochs = _check_int(epochs, "epochs", caller, minimum=1)
    lr = _check_real(lr, "lr", caller, lower=0.0, lower_open=True)
    method = _check_optimizer(optimizer, method, caller)
    b1, b2, eps = _adam_settings(betas, eps, caller)
    grid = _check_grid(record_at, epochs, caller)
    U_test = None
    if test is not None:
        U_test = _binary_u(test, "test", caller)
        if U_test.shape[1] != d:
            raise InvalidParameterError(
                f"The 'test' parameter of {caller} must have d={d} columns. Got shape "
                f"{U_test.shape} instead.")
    if reference is None:
        ref = np.zeros(d)
        ref[0] = 1.0
    else:
        ref = _check_array(reference, "reference", caller, ndim=1, shape=(d,))
        rn = float(np.linalg.norm(ref))
        if rn == 0.0:
            raise InvalidParameterError(
                f"The 'reference' parameter of {caller} must be non-zero. Got the zero vector.")
        ref = ref / rn
    S0 = np.zeros(d) if init is None else _check_array(init, "init", caller, ndim=1,
                                                       shape=(d,)).copy()
    if method == "auto":
        method = "gram" if (optimizer == "gd" and n <= 4 * d and n <= _GRAM_MAX_N) else "primal"

    R = grid.size
    rec = {key: np.full(R, np.nan) for key in (
        "train_loss", "train_accuracy", "test_loss", "test_accuracy", "weight_norm",
        "cosine", "logit_mean", "logit_std")}
    weights = np.empty((R, d))
    t = U @ S0
    _call_checked(loss, "loss", caller, (n,), t)
    _call_checked(dloss, "dloss", caller, (n,), t)

    def record(i, epoch, S, t):
        if not _finite(t):
            _diverged(caller, epoch, lr)
        rec["train_loss"][i] = float(np.mean(loss(t)))
        rec["train_accuracy"][i] = float(np.mean(t > 0.0))
        rec["logit_mean"][i] = float(np.mean(t))
        rec["logit_std"][i] = float(np.std(t))
        rec["weight_norm"][i] = float(np.linalg.norm(S))
        rec["cosine"][i] = _cosine(S, ref)
        if U_test is not None:
            tt = U_test @ S
            rec["test_loss"][i] = float(np.mean(loss(tt)))
            rec["test_accuracy"][i] = float(np.mean(tt > 0.0))
        weights[i] = S

    with _blas_limit(blas_threads, caller):
        start = time.perf_counter()
        i = 0
        if grid[0] == 0:
            record(0, 0, S0, t)
            i = 1
        if method == "gram":
            # G is symmetric, so the transpose of the C-ordered product is the
            # Fortran-ordered array BLAS wants, at no copy.
            G = (U @ U.T).T
            G *= 1.0 / n
            t = np.asfortranarray(t)
            csum = np.zeros(n)
            symv = blas.dsymv
            next_rec = grid[i] if i < R else -1
            for epoch in range(1, epochs + 1):
                q = dloss(t)
                csum += q
                t = symv(-lr, G, q, beta=1.0, y=t, overwrite_y=1)
                if not _finite(t):
                    _diverged(caller, epoch, lr)
                if epoch == next_rec:
                    S = S0 - (lr / n) * (csum @ U)
                    t = np.asfortranarray(U @ S)
                    record(i, epoch, S, t)
                    i += 1
                    next_rec = grid[i] if i < R else -1
        else:
            S = S0.copy()
            g = np.empty(d)
            t = np.empty(n)
            scale = lr / n
            adam = _AdamState(d, b1, b2, eps, lr) if optimizer == "adam" else None
            next_rec = grid[i] if i < R else -1
            for epoch in range(1, epochs + 1):
                np.dot(U, S, out=t)
                if not _finite(t):
                    _diverged(caller, epoch - 1, lr)
                np.dot(dloss(t), U, out=g)
                if adam is None:
                    g *= scale
                    S -= g
                else:
                    g *= 1.0 / n
                    adam.step(S, g)
                if epoch == next_rec:
                    np.dot(U, S, out=t)
                    record(i, epoch, S.copy(), t)
                    i += 1
                    next_rec = grid[i] if i < R else -1
    return Trajectory(epochs=grid, weights=weights, optimizer=optimizer, lr=lr,
                      method=method, elapsed=time.perf_counter() - start, **rec)


# --------------------------------------------------------------------------------------
# Multiclass.
# --------------------------------------------------------------------------------------

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
    k = _check_int(k, "k", caller, minimum=2)
    X = _check_array(data[0], f"{name}[0] (X)", caller, ndim=2)
    y = np.asarray(data[1])
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise InvalidParameterError(
            f"The labels {name}[1] of {caller} must be an integer array of shape "
            f"({X.shape[0]},). Got dtype {y.dtype}, shape {y.shape} instead.")
    if y.min() < 0 or y.max() >= k:
        bad = y[(y < 0) | (y >= k)][0]
        raise InvalidParameterError(
            f"The labels {name}[1] of {caller} must lie in 0..{k - 1}. Got {bad!r}.")
    return X, y.astype(np.int64), k


def _logit_spread(Z, y, k):
    sq = 0.0
    for c in range(k):
        Zc = Z[y == c]
        if Zc.shape[0]:
            sq += float(np.sum((Zc - Zc.mean(axis=0)) ** 2))
    return math.sqrt(sq / Z.shape[0])


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
    loss = _check_callable(loss, "loss", caller)
    grad = _check_callable(grad, "grad", caller)
    epochs = _check_int(epochs, "epochs", caller, minimum=1)
    lr = _check_real(lr, "lr", caller, lower=0.0, lower_open=True)
    method = _check_optimizer(optimizer, method, caller)
    b1, b2, eps = _adam_settings(betas, eps, caller)
    grid = _check_grid(record_at, epochs, caller)
    if not isinstance(bias, bool):
        raise InvalidTypeError(
            f"The 'bias' parameter of {caller} must be a bool. Got {bias!r} instead.")
    X_test = y_test = None
    if test is not None:
        X_test, y_test, k_test = _multiclass_xy(test, k, "test", caller)
        if X_test.shape[1] != d or k_test != k:
            raise InvalidParameterError(
                f"The 'test' parameter of {caller} must have d={d} columns and K={k}. Got "
                f"shape {X_test.shape}, K={k_test} instead.")
    ref = None
    if reference is not None:
        ref = _check_array(reference, "reference", caller, ndim=2, shape=(k, d))
        rn = float(np.linalg.norm(ref))
        if rn == 0.0:
            raise InvalidParameterError(
                f"The 'reference' parameter of {caller} must be non-zero. Got zeros.")
        ref = ref / rn
    if subspace is None and isinstance(data, MulticlassDataset):
        subspace = data.basis
    if subspace is not None:
        subspace = _check_array(subspace, "subspace", caller, ndim=2, shape=(d, None))
    if init is None:
        W0, b0 = np.zeros((k, d)), np.zeros(k)
    else:
        if not isinstance(init, tuple) or len(init) != 2:
            raise InvalidParameterError(
                f"The 'init' parameter of {caller} must be a pair (W0, b0). Got {init!r}.")
        W0 = _check_array(init[0], "init[0] (W0)", caller, ndim=2, shape=(k, d)).copy()
        b0 = _check_array(init[1], "init[1] (b0)", caller, ndim=1, shape=(k,)).copy()
    if not bias:
        b0 = np.zeros(k)
    if method == "auto":
        # Measured at K=10, d=1400, N=2000: dsymm on the N x N kernel ~6-9 ms per epoch
        # against ~9-12 ms for the two N x d x K products; the kernel wins when N <= 2d.
        method = "gram" if (optimizer == "gd" and n <= 2 * d and n <= _GRAM_MAX_N) else "primal"

    R = grid.size
    rec = {key: np.full(R, np.nan) for key in (
        "train_loss", "train_accuracy", "test_loss", "test_accuracy", "weight_norm",
        "cosine", "subspace_fraction", "logit_spread", "row_sum_norm")}
    weights = np.empty((R, k, d))
    biases = np.empty((R, k))
    Z = X @ W0.T + b0
    _call_checked(loss, "loss", caller, (n,), Z, y)
    _call_checked(grad, "grad", caller, (n, k), Z, y)

    def record(i, epoch, W, b, Z):
        if not _finite(Z):
            _diverged(caller, epoch, lr)
        rec["train_loss"][i] = float(np.mean(loss(Z, y)))
        rec["train_accuracy"][i] = float(np.mean(np.argmax(Z, axis=1) == y))
        rec["logit_spread"][i] = _logit_spread(Z, y, k)
        norm = float(np.linalg.norm(W))
        rec["weight_norm"][i] = norm
        rec["row_sum_norm"][i] = float(np.linalg.norm(W.sum(axis=0)))
        if ref is not None:
            rec["cosine"][i] = _cosine(W, ref)
        if subspace is not None and norm > 0.0:
            rec["subspace_fraction"][i] = float(np.linalg.norm(W @ subspace)) / norm
        if X_test is not None:
            Zt = X_test @ W.T + b
            rec["test_loss"][i] = float(np.mean(loss(Zt, y_test)))
            rec["test_accuracy"][i] = float(np.mean(np.argmax(Zt, axis=1) == y_test))
        weights[i] = W
        biases[i] = b

    with _blas_limit(blas_threads, caller):
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
                if not _finite(Z):
                    _diverged(caller, epoch, lr)
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
                adam_w = _AdamState((k, d), b1, b2, eps, lr)
                adam_b = _AdamState(k, b1, b2, eps, lr)
            scale = lr / n
            for epoch in range(1, epochs + 1):
                np.dot(X, W.T, out=Z)
                Z += b
                if not _finite(Z):
                    _diverged(caller, epoch - 1, lr)
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
