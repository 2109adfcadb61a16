r"""Gradient descent and its exact analysis for claim M7 (multiclass grokking; docs/theory.md
§4); the claim and its check are :mod:`numerics.claims.multiclass_grokking`.

Simplex signal-plus-noise data with :math:`\sigma_f = 0`, full-batch GD on :math:`(W, b)`
from 0 with the quadratic logit regulariser
:math:`\ell(z, c) = (1-\alpha)(\operatorname{lse}(z) - z_c) + \alpha\|z\|^2`
(:func:`multiclass_logit_functions`, compiled from SymPy).

**Exact population error.** A test point of class ``c`` has logits
:math:`z = W_S\mu_c + b + W_\perp\xi`, :math:`\xi \sim N(0, \sigma_n^2 I)`, so each
pairwise logit difference is Gaussian with mean :math:`m_{cj} = (\tilde w_c - \tilde
w_j)\cdot\tilde\mu_c` and standard deviation :math:`s_{cj} = \sigma_n\|w_{\perp c} -
w_{\perp j}\|`. With :math:`\zeta(W) = \min_{c\ne j} m_{cj}/s_{cj}`,

.. math::
    \frac1K\max_{c,j}\Phi(-m_{cj}/s_{cj}) \;\le\; \varepsilon(W) \;\le\; (K-1)\Phi(-\zeta),

both evaluated without sampling along the trajectory (a fresh test set is recorded too).

**Certificate.** GD on a convex L-smooth loss with :math:`\eta L \le 2` is non-expansive
towards the minimiser :math:`W^*` of Prop. D.2 (:func:`star_weights`), and inside the
Frobenius ball :math:`r_c = g^*/(\sqrt2(\|\tilde\mu\| + z_{tol}\sigma_n))` around
:math:`\tilde W^*` (:math:`g^* = q_{high} - q_{low}`; Cauchy--Schwarz on
:math:`m_{cj}, s_{cj}`) the upper bound stays :math:`\le (K-1)\Phi(-z_{tol})`; runs stop at
the first chunk end inside it (:func:`run_alpha`).

**Linearisation.** Near :math:`W^*` GD is linear with the Hessian :math:`\mathcal H =
\frac1N\sum_i H^*_{y_i}\otimes\tilde x_i\tilde x_i^\top` (:math:`H^*_c` the per-sample
Hessian at the target; :func:`hessian_at_star`), so the tail decays at
:math:`-\log(1-\eta\lambda_{min}(\mathcal H))`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy import special

import theory
from core.errors import InvalidParameterError
from core.validation import check_alpha

from numerics.compile._primitives import NUMPY_PRIMITIVES
from numerics.models.multiclass import multiclass_signal_noise
from numerics.solve.multiclass_gradient_descent import multiclass_gradient_descent
from numerics.solve.multiclass_max_margin import multiclass_max_margin
from numerics.claims.multiclass_geometry import vertex_targets
from numerics.claims.multiclass_threshold import signal_block_solution

__all__ = ["REGULARIZER", "M7Setting", "M7Run", "multiclass_logit_functions",
           "pairwise_margins", "error_bounds", "star_weights", "certified_radius",
           "hessian_at_star", "run_alpha", "m7_runs"]

#: The logit regulariser f of M7.
REGULARIZER = "quadratic"


@dataclass(frozen=True)
class M7Setting:
    """Parameters of one M7 experiment (sizes: ``M7_SIZES`` of
    :mod:`numerics.claims.multiclass_grokking`)."""

    k: int
    d: int
    n: int
    alphas: tuple
    lr: float
    max_epochs: int
    sigma_n: float = 1.0
    mean_scale: float = 1.0
    n_test: int = 4000
    tol: float = 1e-6
    first_chunk: int = 1000
    growth: float = 2.0
    record_per_chunk: int = 30
    seed: int = 4
    #: Processes for the independent alpha > 0 runs (core.pool, one BLAS thread each;
    #: the numbers do not depend on it). The paper size uses one per alpha.
    workers: int = 1


# ----------------------------------------------------------------------- compiled loss
#: Logits beyond this would overflow exp() in the elementary softmax below.
_Z_MAX = 700.0


@functools.lru_cache(maxsize=16)
def _class_free_gradient(regularizer, k, alpha):
    r"""Lambdified :math:`\nabla_z[(1-\alpha)\operatorname{lse}(z) + \alpha f(z)]` and
    the full class-0 loss, in elementary form (one CSE'd function for all K components)."""
    z = theory.logit_symbols(k)
    f = theory.get_regularizer(regularizer).multiclass(k)
    free = (1 - alpha) * theory.LogSumExp(*z) + alpha * f
    grad = [theory.to_elementary(sp.diff(free, zi)) for zi in z]
    der = theory.derive_multiclass(theory.get_regularizer(regularizer), k)
    mods = [NUMPY_PRIMITIVES, "numpy"]
    return (sp.lambdify(z, grad, modules="numpy", cse=True),
            sp.lambdify(z, der.loss.subs(theory.ALPHA, alpha), modules=mods, cse=True))


def multiclass_logit_functions(regularizer, k, alpha):
    r"""``(loss(Z, y), grad(Z, y))`` of :math:`\ell(z, y) = (1-\alpha)(\operatorname{lse}(z)
    - z_y) + \alpha f(z)` for :func:`numerics.solve.multiclass_gradient_descent.multiclass_gradient_descent`.

    The gradient splits into the class-free part :math:`\nabla[(1-\alpha)\operatorname{lse}
    + \alpha f]`, lambdified from SymPy (elementary softmax: valid for
    :math:`|z| < 700`, checked), minus :math:`(1-\alpha)e_y`; the loss is
    :func:`theory.derive_multiclass`'s class-0 loss (stable primitives) with columns 0 and
    :math:`y_i` swapped (f is permutation symmetric)."""
    alpha = float(check_alpha(alpha, caller="multiclass_logit_functions"))
    f_grad, f_loss = _class_free_gradient(regularizer, k, alpha)
    state = {}

    def _labels(y):
        if state.get("y") is not y:
            rows = np.arange(y.size)
            P = np.tile(np.arange(k), (y.size, 1))
            P[rows, 0] = y
            P[rows, y] = 0
            state.update(y=y, perm=P, onehot=(1.0 - alpha) * np.eye(k)[y])
        return state

    def loss(Z, y):
        Zp = np.take_along_axis(Z, _labels(y)["perm"], axis=1)
        return np.asarray(f_loss(*Zp.T), dtype=float)

    def grad(Z, y):
        if np.max(np.abs(Z)) >= _Z_MAX:
            raise InvalidParameterError(
                f"multiclass_logit_functions: logits reached {np.max(np.abs(Z)):.3g} >= "
                f"{_Z_MAX}; the elementary softmax would overflow.")
        G = np.column_stack(np.broadcast_arrays(*f_grad(*Z.T)))
        G -= _labels(y)["onehot"]
        return G
    return loss, grad


# ------------------------------------------------------------------ population error
def pairwise_margins(W, b, means, k, sigma_n):
    r""":math:`m_{cj}` and :math:`s_{cj}` (K x K; diagonal NaN) for weights ``W`` (K, d)."""
    mu = np.asarray(means)[:, : k - 1]
    Ws, Wp = W[:, : k - 1], W[:, k - 1:]
    Zc = mu @ Ws.T + b  # row c: mean logits of class c
    m = np.diagonal(Zc)[:, None] - Zc  # m[c, j] = z_c - z_j at mu_c
    diff = Wp[:, None, :] - Wp[None, :, :]
    s = sigma_n * np.linalg.norm(diff, axis=2)
    np.fill_diagonal(m, np.nan)
    np.fill_diagonal(s, np.nan)
    return m, s


def error_bounds(W, b, means, k, sigma_n):
    r"""``(lower, upper, zeta)`` of the population error (module docstring)."""
    m, s = pairwise_margins(W, b, means, k, sigma_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(s > 0, m / s, np.where(m > 0, np.inf, -np.inf))
    np.fill_diagonal(ratio, np.inf)
    pair = special.ndtr(-ratio)
    zeta = float(np.min(ratio))
    lower = float(np.max(pair)) / k
    upper = min(1.0, float(np.mean(np.sum(pair, axis=1))))
    return lower, upper, zeta


def star_weights(means, k, alpha):
    """Augmented :math:`\\tilde W^* = [b, W]` (K x (d+1)) of Prop. D.2 (W_perp = 0)."""
    d = np.asarray(means).shape[1]
    blk = signal_block_solution(means, REGULARIZER, k, alpha)
    out = np.zeros((k, d + 1))
    out[:, : k] = blk
    return out


def certified_radius(k, alpha, mean_scale, sigma_n, tol):
    r""":math:`r_c = g^*/(\sqrt2(\|\tilde\mu\| + z_{tol}\sigma_n))`, :math:`\|\tilde\mu\| =
    \sqrt{1 + s^2}` for simplex means of norm ``s``."""
    Z = vertex_targets(REGULARIZER, k, alpha)
    g = float(Z[0, 0] - Z[1, 0])
    z = float(special.ndtri(1.0 - tol / (k - 1)))
    return g / (math.sqrt(2.0) * (math.sqrt(1.0 + mean_scale ** 2) + z * sigma_n)), z


@functools.lru_cache(maxsize=8)
def _hessian_function(k):
    der = theory.derive_multiclass(theory.get_regularizer(REGULARIZER), k)
    z = theory.logit_symbols(k)
    return sp.lambdify((*z, theory.ALPHA), sp.hessian(der.loss, z),
                       modules=[NUMPY_PRIMITIVES, "numpy"])


def hessian_at_star(X, y, k, alpha, *, centred=True):
    r"""Hessian of the mean loss in :math:`\tilde W` (row-major vec) at :math:`W^*`, where
    every sample sits on its target: :math:`\mathcal H = \frac1N\sum_i H^*_{y_i}\otimes
    \tilde x_i\tilde x_i^\top`, :math:`H^*_c` compiled from theory at the target logits.

    With ``centred`` it is restricted to :math:`\sum_k\tilde w_k = 0`, where GD from 0
    stays: the class-sum of the gradient is :math:`2\alpha\sum_k z_k` (CE's part sums to
    0), which vanishes while :math:`\sum_k\tilde w_k = 0`; the excluded direction
    :math:`\mathbf 1 \otimes v` would otherwise set :math:`\lambda_{min} = 2\alpha\,
    \lambda_{min}(\tilde X^\top\tilde X/N)` without ever being excited."""
    f = _hessian_function(k)
    T = vertex_targets(REGULARIZER, k, alpha)
    H0 = np.asarray(f(*T[:, 0], alpha), dtype=float)  # class 0 at its target
    Xa = np.column_stack([np.ones(X.shape[0]), X])
    n, p = Xa.shape
    out = np.zeros((k * p, k * p))
    for c in range(k):
        Pc = np.eye(k)
        Pc[[0, c]] = Pc[[c, 0]]
        Xc = Xa[y == c]
        out += np.kron(Pc @ H0 @ Pc, Xc.T @ Xc) / n
    if centred:
        Bk = np.linalg.qr(np.eye(k)[:, : k - 1] - 1.0 / k)[0]  # orthonormal, sums to 0
        B = np.kron(Bk, np.eye(p))
        out = B.T @ out @ B
    return out


# ------------------------------------------------------------------------------- runs
@dataclass
class M7Run:
    alpha: float
    epochs: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    test_loss: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    zeta: np.ndarray
    distance: np.ndarray
    elapsed: float
    star: np.ndarray = None
    W_end: np.ndarray = None
    t_train: float = math.nan
    t_gen: float = math.nan
    certified_at: float = math.nan

    @property
    def delay(self) -> float:
        return self.t_gen - self.t_train


def _first_stable(epochs, flag):
    bad = np.nonzero(~np.asarray(flag))[0]
    if bad.size == 0:
        return float(epochs[0])
    if bad[-1] == len(flag) - 1:
        return math.nan
    return float(epochs[bad[-1] + 1])


def _crossing(epochs, values, level):
    """Last upward crossing of ``level`` (log-interpolated in the epoch), NaN if none."""
    v = np.asarray(values)
    above = v >= level
    if not above[-1]:
        return math.nan
    below = np.nonzero(~above)[0]
    if below.size == 0:
        return float(epochs[0])
    i = below[-1]
    e0, e1 = max(epochs[i], 1), epochs[i + 1]
    v0, v1 = v[i], v[i + 1]
    if not np.isfinite(v0):
        return float(e1)
    frac = (level - v0) / (v1 - v0) if np.isfinite(v1) and v1 != v0 else 1.0
    return float(math.exp(math.log(e0) + frac * (math.log(e1) - math.log(e0))))


def run_alpha(ds, test, alpha, setting: M7Setting, *, horizon=None,
              converge_rtol=None) -> M7Run:
    """GD chunks from 0 (geometrically growing) until certified inside r_c (alpha > 0;
    and, with ``converge_rtol``, until ||W - W*|| <= converge_rtol ||W*||),
    ``max_epochs``, or ``horizon`` (alpha = 0)."""
    k = setting.k
    loss, grad = multiclass_logit_functions(REGULARIZER, k, alpha)
    star = star_weights(ds.means, k, alpha) if alpha > 0 else None
    r_c, _ = certified_radius(k, alpha, setting.mean_scale, setting.sigma_n, setting.tol) \
        if alpha > 0 else (math.nan, None)
    W, b = np.zeros((k, ds.d)), np.zeros(k)
    done, chunk = 0, setting.first_chunk
    limit = horizon or setting.max_epochs
    rec = {key: [] for key in ("epochs", "train_accuracy", "test_accuracy", "test_loss",
                               "lower", "upper", "zeta", "distance")}
    elapsed, certified = 0.0, math.nan
    while done < limit:
        chunk = min(chunk, limit - done)
        grid = np.unique(np.rint(np.logspace(0, math.log10(chunk),
                                             setting.record_per_chunk)).astype(np.int64))
        tr = multiclass_gradient_descent(ds, loss=loss, grad=grad, epochs=chunk,
                                         lr=setting.lr, test=test, init=(W, b),
                                         record_at=grid, blas_threads=1)
        elapsed += tr.elapsed
        for j, e in enumerate(tr.epochs):
            Wj, bj = tr.weights[j], tr.biases[j]
            lo, up, zeta = error_bounds(Wj, bj, ds.means, k, setting.sigma_n)
            rec["epochs"].append(done + int(e))
            rec["train_accuracy"].append(tr.train_accuracy[j])
            rec["test_accuracy"].append(tr.test_accuracy[j])
            rec["test_loss"].append(tr.test_loss[j])
            rec["lower"].append(lo)
            rec["upper"].append(up)
            rec["zeta"].append(zeta)
            dist = (float(np.linalg.norm(np.column_stack([bj, Wj]) - star))
                    if star is not None else math.nan)
            rec["distance"].append(dist)
        W, b = tr.weights[-1].copy(), tr.biases[-1].copy()
        done += chunk
        chunk = int(chunk * setting.growth)
        if star is not None and rec["distance"][-1] <= r_c:
            certified = certified if np.isfinite(certified) else float(done)
            if converge_rtol is None or \
                    rec["distance"][-1] <= converge_rtol * np.linalg.norm(star):
                break
    run = M7Run(alpha=float(alpha), elapsed=elapsed, certified_at=certified, star=star,
                W_end=np.column_stack([b, W]),
                **{key: np.asarray(v, dtype=float) for key, v in rec.items()})
    z_tol = certified_radius(k, max(alpha, 0.01), setting.mean_scale, setting.sigma_n,
                             setting.tol)[1]
    run.t_train = _first_stable(run.epochs, run.train_accuracy >= 1.0)
    run.t_gen = _crossing(run.epochs, run.zeta, z_tol)
    return run


def _run_positive(ds, test, alpha, setting, converge_rtol):
    """One alpha > 0 run (module level: a pool task)."""
    return run_alpha(ds, test, alpha, setting, converge_rtol=converge_rtol)


def m7_runs(setting: M7Setting) -> dict:
    """All runs of a setting: each alpha > 0 (the largest converged to 1e-4 for the tail
    rate), then alpha = 0 up to the longest of them; plus the SVM limit of alpha = 0."""
    ds = multiclass_signal_noise(setting.n, setting.d, setting.k, sigma_f=0.0,
                                 sigma_n=setting.sigma_n, mean_scale=setting.mean_scale,
                                 seed=setting.seed)
    test = ds.fresh(setting.n_test, seed=setting.seed + 1)
    a_max = max(setting.alphas)
    alphas = sorted(setting.alphas, reverse=True)
    tasks = [(ds, test, a, setting, 1e-4 if a == a_max else None) for a in alphas]
    if setting.workers > 1 and len(tasks) > 1:
        from core.pool import run_ordered

        done = run_ordered(_run_positive, tasks, workers=min(setting.workers, len(tasks)))
    else:
        done = [_run_positive(*t) for t in tasks]
    runs = dict(zip(alphas, done))
    horizon = max(int(r.epochs[-1]) for r in runs.values())
    runs[0.0] = run_alpha(ds, test, 0.0, setting, horizon=horizon)
    # The structured solver takes the paper's K=10, N=2000 problem (18,000 constraints).
    Xa = np.column_stack([ds.X, np.ones(setting.n)])
    svm = multiclass_max_margin(Xa, ds.y, setting.k)
    return {"data": ds, "runs": runs, "svm": svm}
