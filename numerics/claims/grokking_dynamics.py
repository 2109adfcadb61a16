r"""Gradient-descent runs of claim B8 (grokking) and their exact population quantities
(docs/theory.md §2; the claim and its verdict: :mod:`numerics.claims.grokking`).

Signal-plus-noise data with :math:`\sigma_f = 0`, full-batch GD from :math:`S = 0` on the
quadratic logit regulariser :math:`\ell(t) = (1-\alpha)\log(1+e^{-t}) + \alpha t^2`.

**Exact population error.** A test point is :math:`u = \mu_f e_1 + \sigma_n\xi`,
:math:`\xi\sim N(0, I_{d-1})` on :math:`e_1^\perp` (labels absorbed; with
:math:`\sigma_f = 0` nothing else is random), so :math:`S\cdot u \sim
N(\mu_f S_1, \sigma_n^2\|S_\perp\|^2)` and (Eq. 5 at :math:`\sigma_f = 0`, written as an
error so that it stays exact far in the tail)

.. math::
    \varepsilon(S) = \Phi(-m(S)),\qquad m(S) = \frac{\mu_f S_1}{\sigma_n\|S_\perp\|},
    \qquad
    L_{test}(S) = \mathbb E_Y\,\ell(\mu_f S_1 + \sigma_n\|S_\perp\| Y).

Both are evaluated along the trajectory without sampling (the error in closed form, the
loss by 200-node Gauss--Hermite); a sampled test set is recorded next to them.

**Delay (definition).** :math:`T_{train}`: first recorded epoch from which the train
accuracy is 1 at every later recorded epoch. :math:`T_{gen}`: the epoch at which
:math:`m(S_k)` crosses :math:`z = \Phi^{-1}(1-\varepsilon_{tol})`
(:math:`\varepsilon_{tol} = 10^{-6}`) for the last time, interpolated linearly in
:math:`\log k` between recorded epochs (:math:`m` is smooth in :math:`k`). The delay is
:math:`T_{gen} - T_{train}`. "Stays" is certified, not only observed: for convex
:math:`L` with :math:`\eta\,\sup\ell''\,\lambda_{max}(U^\top U/N) \le 2`, GD is
non-expansive towards :math:`S^*`, so :math:`\|S_k - S^*\|` never increases; once it is
below :math:`r_c = S_1^*/\sqrt{1 + (z\sigma_n/\mu_f)^2}` (the ball around :math:`S^*`
seen from 0 under the angle where :math:`m = z`), :math:`\varepsilon \le \varepsilon_{tol}`
forever. Runs stop at the end of the first chunk (geometric chunks) that is certified.

**Linear theory.** Near :math:`S^*` GD is linear,
:math:`S_{k} - S^* = (I - \eta\,\ell''(t^*)\,C)^k(S_0 - S^*)` with :math:`C = U^\top U/N`:
:func:`theory_table` gives the time constant :math:`\tau = 1/(\eta\ell''(t^*)\lambda_{min}(C))`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import special

from numerics.compile.compiled import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.gradient_descent import gradient_descent, log_epoch_grid
from numerics.solve.max_margin import max_margin_direction
from numerics.solve.population import gauss_hermite
from numerics.solve.binary import minimize_binary

__all__ = ["GrokkingSetting", "GrokkingRun", "REGULARIZER", "REDUCED", "FULL", "FULL_RUN",
           "margin_ratio", "margin_error", "population_error", "population_test_loss",
           "certified_radius", "chunk_bounds", "crossing_epoch", "first_stable", "run_alpha",
           "grokking_runs", "fit_power_law", "theory_table"]

REGULARIZER = "quadratic"


@dataclass(frozen=True)
class GrokkingSetting:
    """Parameters of one B8 experiment (the paper's: :data:`FULL`)."""

    d: int
    n: int
    mu_f: float
    max_epochs: int
    sigma_n: float = 1.0
    lr: float = 0.1
    alphas: tuple = (0.1, 0.03, 0.01, 0.003, 0.001)
    n_test: int = 10000
    tol: float = 1e-6
    record_num: int = 400
    first_chunk: int = 1000
    growth: float = 1.25
    seed: int = 5
    #: Epochs of the alpha = 0 run; None: as long as the longest alpha > 0 run.
    alpha0_epochs: int | None = None
    #: Processes for the independent runs (core.pool, one BLAS thread each; the numbers
    #: do not depend on it): every alpha > 0, and alpha = 0 when alpha0_epochs is fixed.
    workers: int = 1


REDUCED = GrokkingSetting(d=140, n=200, mu_f=0.3, max_epochs=200_000)
FULL = GrokkingSetting(d=1400, n=2000, mu_f=0.1, max_epochs=200_000, first_chunk=5000)
#: What ``full=True`` runs: the paper's setting, but alpha > 0 runs may go past the paper's
#: 200,000 epochs until certified (alpha = 0.003 and 0.001 need more: ~4.3e5 and ~9.7e5
#: epochs; ~2e6 epochs in all, ~35 min at ~1 ms per epoch; see the module notes).
FULL_RUN = replace(FULL, max_epochs=1_500_000, growth=1.5, alpha0_epochs=200_000, workers=2)


# ---- exact population quantities (sigma_f = 0) -------------------------------------------

def margin_ratio(W, *, mu_f, sigma_n=1.0) -> np.ndarray:
    r""":math:`m(S) = \mu_f S_1/(\sigma_n\|S_\perp\|)` for each row of ``W`` (inf when
    :math:`S_\perp = 0 < S_1`; :math:`-\infty` when :math:`S_\perp = 0 \ge S_1`: a zero
    logit counts as an error)."""
    W = np.atleast_2d(np.asarray(W, dtype=float))
    num = mu_f * W[:, 0]
    den = sigma_n * np.linalg.norm(W[:, 1:], axis=1)
    out = np.where(num > 0, np.inf, -np.inf)
    pos = den > 0
    out[pos] = num[pos] / den[pos]
    return out


def margin_error(margin):
    r"""The population error :math:`\Phi(-m)` of margin ratios ``m`` (:func:`margin_ratio`)."""
    return special.ndtr(-margin)


def population_error(W, *, mu_f, sigma_n=1.0) -> np.ndarray:
    r"""Exact test error :math:`\Phi(-m(S))` of each row of ``W`` on the :math:`\sigma_f = 0`
    model (no sampling).

    >>> float(population_error([1.0, 1.0], mu_f=1.0)[0])   # Phi(-1)
    0.1586...
    """
    return margin_error(margin_ratio(W, mu_f=mu_f, sigma_n=sigma_n))


def population_test_loss(W, alpha, *, mu_f, sigma_n=1.0, nodes=200,
                         regularizer=REGULARIZER) -> np.ndarray:
    r""":math:`\mathbb E\,\ell(\mu_f S_1 + \sigma_n\|S_\perp\|Y)`, :math:`Y\sim N(0,1)`, per
    row of ``W`` (Gauss--Hermite, as :func:`numerics.solve.population.population_loss`)."""
    W = np.atleast_2d(np.asarray(W, dtype=float))
    y, w = gauss_hermite(nodes)
    m = mu_f * W[:, :1]
    s = sigma_n * np.linalg.norm(W[:, 1:], axis=1)[:, None]
    return compile_binary(regularizer).loss(m + s * y[None, :], alpha) @ w


def certified_radius(s_star_1, *, mu_f, sigma_n=1.0, tol=1e-6) -> float:
    r"""Radius :math:`r_c = S^*_1/\sqrt{1 + (z\sigma_n/\mu_f)^2}` around
    :math:`S^* = S^*_1 e_1` inside which :math:`m(S) \ge z = \Phi^{-1}(1-\varepsilon_{tol})`.

    The smallest :math:`S_1/\|S_\perp\|` over the ball is the cotangent of its half-angle
    seen from 0, :math:`\sqrt{S_1^{*2} - r^2}/r`; setting :math:`\mu_f/\sigma_n` times it
    to :math:`z` gives :math:`r_c`.
    """
    z = float(special.ndtri(1.0 - tol))
    return float(s_star_1) / math.sqrt(1.0 + (z * sigma_n / mu_f) ** 2)


def chunk_bounds(max_epochs, first_chunk, growth=1.25) -> list:
    """Chunk ends ``round(first_chunk * growth**j)`` capped at ``max_epochs`` (a run may
    stop at any of them; each restart costs one Gram matrix).

    >>> chunk_bounds(3000, 1000, 1.5)
    [1000, 1500, 2250, 3000]
    """
    ends, e = [], float(first_chunk)
    while round(e) < max_epochs:
        if not ends or round(e) > ends[-1]:
            ends.append(int(round(e)))
        e *= growth
    return ends + [int(max_epochs)]


def crossing_epoch(epochs, values, level) -> float:
    r"""Epoch where ``values`` crosses ``level`` upwards for the last time, linear in
    :math:`\log k` between recorded epochs; NaN if it ends below ``level``; the first
    recorded epoch if it never is below."""
    epochs = np.asarray(epochs, dtype=float)
    v = np.asarray(values, dtype=float)
    if not v[-1] >= level:
        return math.nan
    below = np.nonzero(~(v >= level))[0]
    if below.size == 0:
        return float(epochs[0])
    j = below[-1]
    k0, k1 = epochs[j], epochs[j + 1]
    v0, v1 = v[j], v[j + 1]
    if k0 <= 0 or not np.isfinite(v0) or not np.isfinite(v1):
        return float(k1)
    frac = (level - v0) / (v1 - v0)
    return float(math.exp(math.log(k0) + frac * (math.log(k1) - math.log(k0))))


# ---- one gradient-descent run ------------------------------------------------------------

@dataclass
class GrokkingRun:
    r"""Record of one :math:`\alpha` (arrays aligned with ``epochs``); ``delay`` is
    :math:`T_{gen} - T_{train}` (module notes)."""

    alpha: float
    epochs: np.ndarray
    train_accuracy: np.ndarray
    train_loss: np.ndarray
    test_accuracy: np.ndarray       # sampled fresh test set
    test_loss: np.ndarray           # sampled fresh test set
    margin: np.ndarray              # m(S_k)
    error: np.ndarray               # exact population error
    pop_loss: np.ndarray            # exact population test loss
    distance: np.ndarray            # ||S_k - S*|| (NaN for alpha = 0)
    final_weights: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    s_star: np.ndarray | None = field(default=None, repr=False)
    certified_at: float = math.nan  # first recorded epoch with ||S - S*|| <= r_c
    t_train: float = math.nan
    t_gen: float = math.nan
    elapsed: float = 0.0

    @property
    def delay(self) -> float:
        return self.t_gen - self.t_train


def first_stable(epochs, flags) -> float:
    """First recorded epoch from which ``flags`` holds at every later one (NaN if not at the
    last)."""
    flags = np.asarray(flags, dtype=bool)
    if not flags[-1]:
        return math.nan
    bad = np.nonzero(~flags)[0]
    return float(epochs[0] if bad.size == 0 else epochs[bad[-1] + 1])


def _per_sample(fn, alpha):
    """``t -> fn(t, alpha)`` on arrays through the raw lambdified expression: the compiled
    wrapper's scalar/broadcast handling costs ~30 us per call, more than the N = 200 epoch
    itself (same expression; gradient_descent checks the output shape once)."""
    raw = getattr(fn, "__wrapped__", fn)
    return lambda t: raw(t, alpha)


def run_alpha(ds, alpha, setting: GrokkingSetting, *, test=None, horizon=None,
              converge_rtol=None, solver=None, blas_threads=1,
              regularizer=REGULARIZER) -> GrokkingRun:
    r"""GD for one :math:`\alpha` in geometric chunks (restarted from the last :math:`S`;
    GD is memoryless, so this equals one run), recording on a global log grid.

    :math:`\alpha > 0` stops at the first chunk end with :math:`\|S - S^*\| \le r_c`
    (certified, module notes) and, if ``converge_rtol`` is given, also
    :math:`\|S - S^*\| \le` ``converge_rtol`` :math:`\|S^*\|`; :math:`\alpha = 0` runs to
    ``horizon`` (default ``setting.max_epochs``). ``solver(U, alpha)`` returns
    :math:`S^*` (default: the exact Newton minimiser of ``regularizer``).
    """
    comp = compile_binary(regularizer)
    U = ds.u
    horizon = int(horizon or setting.max_epochs)
    s_star = r_c = None
    if alpha > 0:
        s_star = (solver or (lambda U_, a: minimize_binary(U_, regularizer, a).coef))(U, alpha)
        r_c = certified_radius(s_star[0], mu_f=setting.mu_f, sigma_n=setting.sigma_n,
                               tol=setting.tol)
    grid = log_epoch_grid(horizon, setting.record_num)
    parts, S, start, elapsed = [], None, 0, 0.0
    for end in chunk_bounds(horizon, setting.first_chunk, setting.growth):
        rec = grid[(grid >= start) & (grid <= end)]
        if start > 0:
            rec = rec[rec > start]
        rec = np.union1d(rec, [end]) - start
        tr = gradient_descent(
            U, loss=_per_sample(comp.loss, alpha), dloss=_per_sample(comp.dloss, alpha),
            epochs=end - start, lr=setting.lr, record_at=rec.astype(np.int64), test=test,
            init=S, blas_threads=blas_threads)
        elapsed += tr.elapsed
        parts.append((tr.epochs + start, tr))
        S, start = tr.final_weights, end
        if s_star is not None:
            dist = float(np.linalg.norm(S - s_star))
            if dist <= r_c and (converge_rtol is None
                                or dist <= converge_rtol * np.linalg.norm(s_star)):
                break
    cat = lambda key: np.concatenate([getattr(tr, key) for _, tr in parts])  # noqa: E731
    epochs = np.concatenate([e for e, _ in parts])
    W = np.concatenate([tr.weights for _, tr in parts])
    margin = margin_ratio(W, mu_f=setting.mu_f, sigma_n=setting.sigma_n)
    z = float(special.ndtri(1.0 - setting.tol))
    dist = (np.linalg.norm(W - s_star, axis=1) if s_star is not None
            else np.full(epochs.size, math.nan))
    inside = np.nonzero(dist <= r_c)[0] if s_star is not None else np.array([], int)
    certified = float(epochs[inside[0]]) if inside.size else math.nan
    run = GrokkingRun(
        alpha=float(alpha), epochs=epochs, train_accuracy=cat("train_accuracy"),
        train_loss=cat("train_loss"), test_accuracy=cat("test_accuracy"),
        test_loss=cat("test_loss"), margin=margin, error=margin_error(margin),
        pop_loss=population_test_loss(W, alpha, mu_f=setting.mu_f, sigma_n=setting.sigma_n,
                                      regularizer=regularizer),
        distance=dist, final_weights=S, weights=W, s_star=s_star, certified_at=certified,
        elapsed=elapsed)
    run.t_train = first_stable(epochs, run.train_accuracy >= 1.0)
    run.t_gen = crossing_epoch(epochs, margin, z)
    return run


def _run_task(ds, alpha, setting, test, horizon, converge_rtol, blas_threads, regularizer):
    """One independent run of :func:`grokking_runs` (module level: a pool task)."""
    return run_alpha(ds, alpha, setting, test=test, horizon=horizon,
                     converge_rtol=converge_rtol, blas_threads=blas_threads,
                     regularizer=regularizer)


def grokking_runs(setting: GrokkingSetting, *, blas_threads=1, solver=None,
                  regularizer=REGULARIZER) -> dict:
    r"""All runs of one setting: each :math:`\alpha > 0` (the largest also converged to
    :math:`\|S - S^*\| \le 10^{-4}\|S^*\|` for the end-state and tail-rate checks), then
    :math:`\alpha = 0` up to the longest of them. Returns ``{"data", "runs", "max_margin"}``."""
    ds = binary_signal_noise(setting.n, setting.d, mu_f=setting.mu_f, sigma_f=0.0,
                             sigma_n=setting.sigma_n, seed=setting.seed)
    test = ds.fresh(setting.n_test, seed=setting.seed + 1)
    a_max = max(setting.alphas)
    alphas = sorted(setting.alphas, reverse=True)
    tasks = [(ds, a, setting, test, None, 1e-4 if a == a_max else None, blas_threads,
              regularizer) for a in alphas]
    if setting.alpha0_epochs:  # alpha = 0 does not wait for the others' length
        alphas.append(0.0)
        tasks.append((ds, 0.0, setting, test, setting.alpha0_epochs, None, blas_threads,
                      REGULARIZER))
    # Spread over processes only what pickles by value (a built-in name, no custom solver).
    if setting.workers > 1 and len(tasks) > 1 and solver is None and \
            isinstance(regularizer, str):
        from core.pool import run_ordered

        done = run_ordered(_run_task, tasks, workers=min(setting.workers, len(tasks)))
    else:
        done = [run_alpha(t[0], t[1], t[2], test=t[3], horizon=t[4], converge_rtol=t[5],
                          blas_threads=t[6], regularizer=t[7],
                          solver=solver if t[1] > 0 else None) for t in tasks]
    runs = dict(zip(alphas, done))
    if 0.0 not in runs:
        horizon = max(int(r.epochs[-1]) for r in runs.values())
        runs[0.0] = run_alpha(ds, 0.0, setting, test=test, horizon=horizon,
                              blas_threads=blas_threads)
    mm = max_margin_direction(ds.u).direction
    return {"data": ds, "runs": runs, "max_margin": mm}


# ---- analysis ----------------------------------------------------------------------------

def fit_power_law(x, y):
    r"""Least squares :math:`\log y = a + b\log x`; returns ``(b, a, R^2)``."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    b, a = np.polyfit(lx, ly, 1)
    resid = ly - (a + b * lx)
    ss = float(np.sum((ly - ly.mean()) ** 2))
    return float(b), float(a), (1.0 - float(resid @ resid) / ss) if ss > 0 else math.nan


def theory_table(U, alphas, lr, regularizer=REGULARIZER) -> dict:
    r"""Per :math:`\alpha`: :math:`t^*`, :math:`\ell''(t^*)` and the linear time constant
    :math:`\tau = 1/(\eta\ell''(t^*)\lambda_{min}(C))`, :math:`C = U^\top U/N`."""
    comp = compile_binary(regularizer)
    lam = np.linalg.eigvalsh(U.T @ U / U.shape[0])
    out = {"lambda_min": float(lam[0]), "lambda_max": float(lam[-1])}
    for a in alphas:
        ts = float(comp.target(a))
        c2 = float(comp.d2loss(ts, a))
        out[a] = {"t_star": ts, "curvature": c2, "tau": 1.0 / (lr * c2 * lam[0]),
                  "rate": -math.log1p(-lr * c2 * lam[0])}
    return out
