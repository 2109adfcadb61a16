r"""Training dynamics of a binary linear classifier: full-batch gradient descent (and Adam)
with a recorded trajectory (claims B1, B8).

Label-absorbed samples :math:`u_i` and logits :math:`t_i = S\cdot u_i`:

.. math::
    L(S) = \frac1N\sum_i \ell(S\cdot u_i),\qquad
    S_{k+1} = S_k - \frac{\eta}{N} U^\top \ell'(U S_k).

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

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import blas

from core.errors import InvalidParameterError
from core.validation import (COUNT, POSITIVE, Array, IsCallable, parameter_error, validate,
                             validate_params)

from numerics.models.signal_noise import BinaryDataset
from numerics.solve._training import (GRAM_MAX_N, METHOD, OPTIMIZER, THREADS, AdamState, adam_betas,
                                      blas_limit, call_checked, cosine, diverged, finite,
                                      log_epoch_grid, record_grid, refuse_adam_gram)

__all__ = ["Trajectory", "gradient_descent", "log_epoch_grid"]


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
        X = validate(f"{name}[0] (X)", data[0], Array(2), caller)
        y = validate(f"{name}[1] (y)", data[1], Array(1, (X.shape[0],)), caller)
        if not np.all(np.abs(y) == 1.0):
            raise parameter_error(f"{name}[1] (y)", float(y[np.abs(y) != 1.0][0]),
                                  "-1 or +1", caller)
        return y[:, None] * X
    return validate(name, data, Array(2), caller)


@validate_params({"loss": [IsCallable()], "dloss": [IsCallable()], "epochs": [COUNT],
                  "lr": [POSITIVE], "optimizer": OPTIMIZER, "method": METHOD, "eps": [POSITIVE],
                  "blas_threads": THREADS})
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
    refuse_adam_gram(optimizer, method, caller)
    b1, b2 = adam_betas(betas, caller)
    grid = record_grid(record_at, epochs, caller)
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
        ref = validate("reference", reference, Array(1, (d,)), caller)
        rn = float(np.linalg.norm(ref))
        if rn == 0.0:
            raise InvalidParameterError(
                f"The 'reference' parameter of {caller} must be non-zero. Got the zero vector.")
        ref = ref / rn
    S0 = np.zeros(d) if init is None else validate("init", init, Array(1, (d,)),
                                                   caller).copy()
    if method == "auto":
        method = "gram" if (optimizer == "gd" and n <= 4 * d and n <= GRAM_MAX_N) else "primal"

    R = grid.size
    rec = {key: np.full(R, np.nan) for key in (
        "train_loss", "train_accuracy", "test_loss", "test_accuracy", "weight_norm",
        "cosine", "logit_mean", "logit_std")}
    weights = np.empty((R, d))
    t = U @ S0
    call_checked(loss, "loss", caller, (n,), t)
    call_checked(dloss, "dloss", caller, (n,), t)

    def record(i, epoch, S, t):
        if not finite(t):
            diverged(caller, epoch, lr)
        rec["train_loss"][i] = float(np.mean(loss(t)))
        rec["train_accuracy"][i] = float(np.mean(t > 0.0))
        rec["logit_mean"][i] = float(np.mean(t))
        rec["logit_std"][i] = float(np.std(t))
        rec["weight_norm"][i] = float(np.linalg.norm(S))
        rec["cosine"][i] = cosine(S, ref)
        if U_test is not None:
            tt = U_test @ S
            rec["test_loss"][i] = float(np.mean(loss(tt)))
            rec["test_accuracy"][i] = float(np.mean(tt > 0.0))
        weights[i] = S

    with blas_limit(blas_threads):
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
                if not finite(t):
                    diverged(caller, epoch, lr)
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
            adam = AdamState(d, b1, b2, eps, lr) if optimizer == "adam" else None
            next_rec = grid[i] if i < R else -1
            for epoch in range(1, epochs + 1):
                np.dot(U, S, out=t)
                if not finite(t):
                    diverged(caller, epoch - 1, lr)
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
