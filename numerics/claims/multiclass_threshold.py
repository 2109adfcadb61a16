r"""Claim M5: the multiclass threshold shift and the signal block of Prop. D.2
(docs/theory.md §4).

:math:`\sigma_f = 0`: every class-``c`` sample has the same signal part :math:`\mu_c`.
With bias the model is linear in :math:`\tilde x = (1, x)`; let
:math:`M = [\tilde\mu_1, \dots, \tilde\mu_K]` restricted to :math:`(1, \text{span } S)`
(:math:`K\times K`, invertible for affinely independent means) and :math:`Z^*` the
:math:`K\times K` matrix whose column ``c`` is the target :math:`z^*_c` (M1). Then
:math:`W_\perp = 0`, :math:`[b, W_S]M = Z^*` puts *every* sample on its target, hence is
a minimiser, and it is the only one iff :math:`[\mathbf 1, X]` has full column rank,
i.e. :math:`N \ge d + 1`: the threshold of perfect generalisation (test logits are
exactly the targets). Unregularised (GD :math:`\to` hard-margin SVM on :math:`\tilde x`):
perfect iff the SVM has class-centred :math:`W_\perp = 0`. Its KKT condition is an
independent linear feasibility problem (all :math:`N(K-1)` constraints are active at the
symmetric signal-only solution :math:`W^*`): find :math:`\lambda \ge 0` with
:math:`\sum_{ij}\lambda_{ij} v_{ij} = \operatorname{vec} W^*` over the Kesler vectors
:math:`v_{ij}` -- solved by LP (HiGHS) and compared draw by draw with the QP (clarabel).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from core.claims import CheckResult, register
from core.errors import InvalidParameterError

from numerics.models.multiclass import multiclass_signal_noise
from numerics.solve.multiclass_max_margin import multiclass_max_margin
from numerics.solve.separability import kesler_vectors
from numerics.solve.multiclass import minimize_multiclass
from numerics.claims._common import seeds
from numerics.claims.clustering import blas_single_thread
from numerics.claims.multiclass_geometry import vertex_targets

__all__ = ["M5_SIZES", "M5_SEED", "PERFECT_RTOL", "augmented_means", "signal_block_solution",
           "perp_ratio", "regularised_perfect", "svm_perfect", "kkt_lp_perfect",
           "transition_curves", "critical_ratio", "signal_block_errors", "m5_curves",
           "m5_figure_data", "check_m5"]

#: M5: Prop. D.2 cases (N, d, K, f), then the P(perfect) grid: dimensions ``ds``, N/d
#: ``ratios``, ``trials`` draws per point (max-margin), ``reg_trials`` of them for the
#: regularised minimiser (None: all; its step is deterministic, a rank condition), and
#: whether every max-margin verdict is cross-checked by the KKT LP (``lp``). "test" is
#: the threshold figure's test size (no Prop. D.2 cases).
M5_SIZES = {
    "test": dict(ds=[12], ratios=[0.8, 1.0, 1.1, 1.5, 2.0, 2.5, 3.0, 4.0], trials=8,
                 reg_trials=2, lp=True),
    "default": dict(cases=[(60, 20, 3, "quadratic"), (60, 20, 3, "label_smoothing"),
                           (60, 24, 4, "quadratic")],
                    ds=[12], ratios=[0.8, 1.0, 1.1, 2.0, 2.5, 3.0, 4.0], trials=8,
                    reg_trials=2, lp=True),
    "full": dict(cases=[(60, 20, 3, "quadratic"), (60, 20, 3, "label_smoothing"),
                        (60, 24, 4, "quadratic"), (100, 30, 5, "label_smoothing"),
                        (300, 100, 10, "quadratic")],
                 ds=[10, 20, 40], ratios=[0.8, 1.0, 1.1, 1.5, 2.0, 2.3, 2.6, 3.0, 3.5, 4.0],
                 trials=40, reg_trials=None, lp=True),
}
#: Seed of M5's K = 3 P(perfect) grid.
M5_SEED = 11


def augmented_means(means, k) -> np.ndarray:
    r""":math:`M` (K x K): column ``c`` is :math:`(1, \mu_c)` with :math:`\mu_c` in the
    first K-1 coordinates (where :func:`numerics.models.multiclass.simplex_means` puts the simplex)."""
    means = np.asarray(means, dtype=float)
    return np.vstack([np.ones(k), means[:, : k - 1].T])


def signal_block_solution(means, regularizer, k, alpha) -> np.ndarray:
    r"""Prop. D.2: :math:`[b, W_S] = Z^* M^{-1}` (K x K; column 0 is the bias)."""
    return vertex_targets(regularizer, k, alpha) @ np.linalg.inv(augmented_means(means, k))


def perp_ratio(W, k) -> float:
    r""":math:`\|W_\perp - \bar w_\perp\|_F / \|W_S - \bar w_S\|_F` (class-centred: only
    row differences affect predictions). 0 means perfect generalisation when
    :math:`\sigma_f = 0`."""
    W = np.asarray(W, dtype=float)
    Wc = W - W.mean(axis=0, keepdims=True)
    return float(np.linalg.norm(Wc[:, k - 1:]) / np.linalg.norm(Wc[:, : k - 1]))


#: perp_ratio below this counts as W_perp = 0: Newton and the polished QP solve to
#: ~1e-12 relative, while a genuine W_perp (N <= d, or separable noise) is O(0.1-1).
PERFECT_RTOL = 1e-8


def regularised_perfect(ds, *, regularizer="quadratic", alpha=0.2) -> bool:
    """The exact logit-regularised minimiser (with bias) has W_perp = 0."""
    sol = minimize_multiclass(ds.X, ds.y, regularizer, alpha, n_classes=ds.k)
    return perp_ratio(sol.coef, ds.k) <= PERFECT_RTOL


def _augmented(X):
    return np.column_stack([np.ones(X.shape[0]), X])


def svm_perfect(ds) -> bool:
    """The hard-margin SVM on (1, x) (GD limit with bias) has class-centred W_perp = 0."""
    svm = multiclass_max_margin(_augmented(ds.X), ds.y, ds.k)
    return perp_ratio(svm.W[:, 1:], ds.k) <= PERFECT_RTOL


def kkt_lp_perfect(ds) -> bool:
    r"""Independent route to :func:`svm_perfect`: the signal-only SVM :math:`W^*` (from
    the K augmented means alone) is the SVM of the data iff its KKT multipliers exist,
    :math:`\lambda \ge 0`, :math:`V^\top\lambda = \operatorname{vec}W^*` (every
    constraint is active at :math:`W^*` when :math:`\sigma_f = 0`); a feasibility LP."""
    k = ds.k
    Xa = _augmented(ds.X)
    mu = _augmented(ds.means)
    star = multiclass_max_margin(mu, np.arange(k), k).W  # K x (d+1), signal-only
    V = kesler_vectors(Xa, ds.y, k)
    margins = V @ star.ravel()
    if np.min(margins) < 1.0 - 1e-7:  # not even feasible: cannot be the SVM
        return False
    active = np.abs(margins - 1.0) <= 1e-7
    res = linprog(np.zeros(int(active.sum())), A_eq=V[active].T, b_eq=star.ravel(),
                  bounds=(0, None), method="highs")
    return bool(res.status == 0)


def _draw(n, d, k, seed):
    """A sigma_f = 0 draw with every class present (redrawn from the same seed stream)."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        ds = multiclass_signal_noise(n, d, k, sigma_f=0.0, sigma_n=1.0, seed=rng)
        if np.all(np.bincount(ds.y, minlength=k) > 0):
            return ds
    raise InvalidParameterError(f"N={n} is too small to contain all K={k} classes.")


def transition_curves(ds_list, ratios, trials, *, reg_trials=None, k=3, seed=0,
                      lp=True, regularizer="quadratic") -> dict:
    """P(perfect) vs N/d: regularised (alpha=0.2, quadratic; on the first ``reg_trials``
    of the ``trials`` draws, default all) and unregularised (SVM), with the LP/QP
    disagreement count."""
    reg_trials = trials if reg_trials is None else reg_trials
    out = {"d": list(ds_list), "ratios": list(ratios), "trials": trials,
           "reg_trials": reg_trials, "reg": {}, "unreg": {}, "disagree": 0, "lp_draws": 0}
    for d in ds_list:
        out["reg"][d], out["unreg"][d] = [], []
        for j, r in enumerate(ratios):
            n = max(k, int(round(r * d)))
            hr = hu = 0
            for t, s in enumerate(seeds(seed + 1000 * d + j, trials)):
                ds = _draw(n, d, k, s)
                if t < reg_trials:
                    hr += regularised_perfect(ds, regularizer=regularizer)
                qp = svm_perfect(ds)
                hu += qp
                if lp:
                    out["lp_draws"] += 1
                    out["disagree"] += qp != kkt_lp_perfect(ds)
            out["reg"][d].append(hr)
            out["unreg"][d].append(hu)
    return out


def critical_ratio(ratios, hits, trials) -> float:
    """N/d where P(perfect) first crosses 1/2 (linear interpolation)."""
    p = np.asarray(hits, dtype=float) / trials
    r = np.asarray(ratios, dtype=float)
    above = np.nonzero(p >= 0.5)[0]
    if above.size == 0:
        return float("inf")
    i = above[0]
    if i == 0:
        return float(r[0])
    return float(r[i - 1] + (0.5 - p[i - 1]) * (r[i] - r[i - 1]) / (p[i] - p[i - 1]))


def signal_block_errors(n, d, k, regularizer, alpha, *, seed, n_test=2000) -> dict:
    r"""Prop. D.2 on one draw: :math:`[b, W_S]` vs :math:`Z^*M^{-1}`, :math:`W_\perp`,
    fresh test logits vs the targets, fresh test accuracy."""
    ds = _draw(n, d, k, seed)
    sol = minimize_multiclass(ds.X, ds.y, regularizer, alpha, n_classes=k)
    ref = signal_block_solution(ds.means, regularizer, k, alpha)
    got = np.column_stack([sol.intercept, sol.coef[:, : k - 1]])
    test = ds.fresh(n_test, seed=seed + 1)
    Zt = test.X @ sol.coef.T + sol.intercept
    Zs = vertex_targets(regularizer, k, alpha)
    return {"block_err": float(np.linalg.norm(got - ref) / np.linalg.norm(ref)),
            "perp": float(np.linalg.norm(sol.coef[:, k - 1:]) / np.linalg.norm(ref)),
            "test_logit_err": float(np.max(np.abs(Zt - Zs.T[test.y]))
                                    / (Zs[0, 0] - Zs[1, 0])),
            "test_accuracy": float(np.mean(np.argmax(Zt, axis=1) == test.y))}


def m5_curves(size: str, *, k: int = 3, seed: int = M5_SEED, regularizer="quadratic") -> dict:
    """:func:`transition_curves` on the grid of ``M5_SIZES[size]`` for ``k`` classes, with
    ``n`` (d -> the sample sizes used)."""
    s = M5_SIZES[size]
    curves = transition_curves(s["ds"], s["ratios"], s["trials"], reg_trials=s["reg_trials"],
                               k=k, seed=seed, lp=s["lp"], regularizer=regularizer)
    curves["n"] = {d: [max(k, int(round(r * d))) for r in s["ratios"]] for d in s["ds"]}
    return curves


def m5_figure_data(curves_by_k: dict, size: str) -> dict:
    """Data of the M5 threshold picture (report figure ``M5_threshold``, figure
    ``threshold-multiclass``): K -> :func:`m5_curves`, the settings, and ``k2_exact``
    (filled by the figure for K = 2: Cover's closed form)."""
    s = {key: v for key, v in M5_SIZES[size].items() if key != "cases"}
    s.update(sigma_f=0.0, sigma_n=1.0, alpha=0.2, regularizer="quadratic", means="simplex",
             ks=list(curves_by_k))
    return {"settings": s, "curves": dict(curves_by_k), "k2_exact": {}}


@register("M5", "sigma_f=0, alpha>0, N>d: the multiclass minimiser generalises perfectly, "
                "[b, W_S] M = Z* (Prop. D.2); max-margin needs more samples")
def check_m5(full: bool = False, regularizer=None) -> CheckResult:
    r"""M5 at ``M5_SIZES["full" if full else "default"]``: Prop. D.2 on its cases, the
    regularised step at N = d + 1 and the later max-margin threshold on its grid; the
    picture's data as ``M5_threshold``. With ``regularizer`` (a ``theory.Regularizer``
    with a K-class form) every case, the control and the curves use it at alpha = 0.2."""
    size = "full" if full else "default"
    s = M5_SIZES[size]
    cases, ratios, trials = s["cases"], s["ratios"], s["trials"]
    ev, ok = {}, {}
    alphas = {"quadratic": 0.2, "label_smoothing": 0.1}
    reg_f = "quadratic" if regularizer is None else regularizer
    if regularizer is not None:
        cases = [(n, d, k, regularizer) for n, d, k in dict.fromkeys(c[:3] for c in cases)]
        alphas = {regularizer: 0.2}
    worst = {"block_err": 0.0, "perp": 0.0, "test_logit_err": 0.0}
    acc = 1.0
    with blas_single_thread():
        for j, (n, d, k, reg) in enumerate(cases):
            r = signal_block_errors(n, d, k, reg, alphas[reg], seed=50 + j)
            worst = {key: max(worst[key], r[key]) for key in worst}
            acc = min(acc, r["test_accuracy"])
        ctrl = signal_block_errors(20, 20, 3, reg_f, 0.2, seed=7)  # N = d < d + 1
        # The regularised step is deterministic (a rank condition): 2 draws per point
        # at default size, all of them at full size.
        curves = m5_curves(size, regularizer=reg_f)
    ev["Prop. D.2 cases (N, d, K, f); alpha 0.2 quadratic, 0.1 label smoothing"
       if regularizer is None else "Prop. D.2 cases (N, d, K, f); alpha 0.2"] = \
        "; ".join(f"({n}, {d}, {k}, {getattr(f, 'name', f)})" for n, d, k, f in cases)
    ev["max |[b, W_S] - Z* M^-1| / |Z* M^-1|"] = worst["block_err"]
    ev["max |W_perp| / |Z* M^-1|"] = worst["perp"]
    ev["max |test logit - target| / (q_high - q_low)"] = worst["test_logit_err"]
    ev["min fresh test accuracy (2000 samples)"] = acc
    ev["control N = d = 20: |W_perp| rel, max |test logit - target| rel"] = \
        f"{ctrl['perp']:.3f}, {ctrl['test_logit_err']:.3f}"
    # Newton stops at |grad| <= 1e-10 on O(1) data: the solution is good to ~1e-10.
    ok["[b, W_S] = Z* M^-1, W_perp = 0, test logits = targets (1e-8)"] = \
        max(worst.values()) <= 1e-8 and acc == 1.0
    # (Its error probability is > 0 but may be below 1/2000: the test is on logits.)
    ok["control N <= d: W_perp != 0, test logits off target"] = \
        ctrl["perp"] > 1e-3 and ctrl["test_logit_err"] > 1e-3
    step = True
    rt = curves["reg_trials"]
    for d in curves["d"]:
        for n, h in zip(curves["n"][d], curves["reg"][d]):
            step &= h == (rt if n >= d + 1 else 0)
        ev[f"d={d}: regularised perfect / {rt}"] = ", ".join(map(str, curves["reg"][d]))
        ev[f"d={d}: max-margin perfect / {trials}"] = ", ".join(map(str, curves["unreg"][d]))
        ev[f"d={d}: critical N/d regularised, max-margin"] = "{:.2f}, {:.2f}".format(
            critical_ratio(curves["ratios"], curves["reg"][d], rt),
            critical_ratio(curves["ratios"], curves["unreg"][d], trials))
    ev["N/d grid"] = ", ".join(map(str, ratios))
    ev["QP vs KKT-LP disagreements / draws"] = f"{curves['disagree']} / {curves['lp_draws']}"
    ok["regularised: exact step at N = d + 1 (rank of [1, X])"] = step
    ok["max-margin verdicts: QP = independent KKT LP on every draw"] = curves["disagree"] == 0
    crit = [critical_ratio(curves["ratios"], curves["unreg"][d], trials) for d in curves["d"]]
    ev["max-margin critical N/d (largest d)"] = crit[-1]
    # The shift: max-margin needs at least twice the samples (binary: Cover's N = 2d; the
    # multiclass value is measured, no closed form here).
    ok["max-margin threshold >= 2x the regularised one"] = all(c >= 2.0 for c in crit)
    ev.update({f"ok: {k_}": v for k_, v in ok.items()})
    return CheckResult(
        "M5", "multiclass threshold shift and the signal block of Prop. D.2", ev,
        "Prop. D.2 to 1e-8 (Newton |grad| <= 1e-10), every fresh test point on its target; "
        "regularised P(perfect) is exactly 0 / 1 below / from N = d+1; QP and KKT-LP agree "
        "on every draw; max-margin P(perfect) crosses 1/2 at N/d >= 2",
        all(ok.values()), data={"M5_threshold": m5_figure_data({3: curves}, size)})
