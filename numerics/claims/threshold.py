r"""Claim B7: logit regularisation halves the sample complexity (Prop. 5.1, THEORY.md §2).

Signal-plus-noise data with :math:`\sigma_f = 0`: :math:`u_i = \mu_f e_1 + \sigma_n y_i\xi_{\perp,i}`.

* Regularised (:math:`\alpha > 0`, any ``f``): the training minimiser is exactly
  :math:`(t^*/\mu_f)e_1` -- hence perfect generalisation -- iff the data matrix has full
  column rank, i.e. iff :math:`N \ge d`.
* Unregularised (gradient descent :math:`\Rightarrow` max-margin): the max-margin direction
  is :math:`e_1` iff the noise parts :math:`y_i\xi_{\perp,i}` are *not* homogeneously
  separable in :math:`D = d-1` dimensions, which Cover (1965) gives as
  :math:`P_{sep}(N, D) = 2^{1-N}\sum_{k<D}\binom{N-1}{k}`: the transition sits at
  :math:`N \approx 2D`.
* Weight decay (:math:`\gamma = 0.2`) never gives :math:`S_\perp = 0` (its gradient in
  :math:`S_\perp` at :math:`S_\perp = 0` is :math:`-\sigma(-t)\sigma_n\sum_i y_i\xi_i \ne 0`).

"Perfect generalisation" with :math:`\sigma_f = 0` means :math:`S_\perp = 0`: any
:math:`S_\perp \ne 0` misclassifies test points with positive probability. It is tested
as :math:`\|S_\perp\| \le 10^{-8}|S_1|` (Newton solves to ~1e-13 relative; a genuine
:math:`S_\perp` of the min-norm solution for :math:`N<d` is O(1)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.claims import CheckResult, register

from numerics.models.data import binary_signal_noise
from numerics.solve.maxmargin import cover_probability, is_linearly_separable
from numerics.solve.solvers import minimize_binary, minimize_weight_decay
from numerics.claims._common import binomial_interval, save_figure, seeds

__all__ = ["perfect_fraction", "threshold_curves", "ThresholdCurves", "check_b7",
           "s_perp_ratio", "is_perfect", "sample_size", "weight_decay_trials",
           "cover_perfect_probability", "evaluate_b7", "b7_verdict", "draw_b7"]

#: ||S_perp|| / |S_1| below this counts as S_perp = 0 (see module docstring).
PERFECT_RTOL = 1e-8
#: B7's tolerance on the critical N/d of max-margin against 2(d-1)/d (grid spacing 0.1-0.2).
CRITICAL_RATIO_TOL = 0.15


def s_perp_ratio(S) -> float:
    r""":math:`\|S_\perp\|/S_1` (``inf`` if :math:`S_1 \le 0`: never perfect)."""
    return float(np.linalg.norm(S[1:]) / S[0]) if S[0] > 0 else math.inf


def is_perfect(S) -> bool:
    """S_perp = 0 to :data:`PERFECT_RTOL` relative, with S_1 > 0 (perfect generalisation)."""
    return bool(s_perp_ratio(S) <= PERFECT_RTOL)


def sample_size(ratio, d) -> int:
    """The N simulated at ``N/d = ratio`` (at least 2)."""
    return max(2, int(round(ratio * d)))


def weight_decay_trials(trials) -> int:
    """Draws per point for the (slower, never perfect) weight-decay baseline."""
    return max(3, trials // 4)


def cover_perfect_probability(n, d) -> float:
    r"""B7, :math:`\sigma_f = 0`: probability that the max-margin classifier generalises
    perfectly, :math:`1 - P_{sep}(N, d-1)` (Cover's count for the noise parts in
    :math:`D = d - 1` dimensions).

    >>> cover_perfect_probability(22, 12)   # N = 2D: Cover's midpoint
    0.5
    """
    return 1.0 - cover_probability(int(n), int(d) - 1)


def regularised_solver(alpha=0.2, regularizer="quadratic"):
    """``U -> S``: the exact logit-regularised minimiser (the claim's subject)."""
    return lambda U: minimize_binary(U, regularizer, alpha).coef


def weight_decay_solver(gamma=0.2):
    """``U -> S``: the weight-decay baseline (App. E.4)."""
    return lambda U: minimize_weight_decay(U, gamma).coef


def perfect_fraction(solver, n, d, trials, *, sigma_n=1.0, mu_f=1.0, seed=0) -> int:
    """Number of ``trials`` seeded draws (sigma_f = 0) where ``solver(U)`` has S_perp = 0."""
    hits = 0
    for s in seeds(seed, trials):
        ds = binary_signal_noise(n, d, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n, seed=s)
        hits += is_perfect(solver(ds.u))
    return hits


def unregularised_perfect(n, d, trials, *, seed=0) -> int:
    """Draws where the max-margin direction is e_1: the noise part is not separable."""
    hits = 0
    for s in seeds(seed, trials):
        ds = binary_signal_noise(n, d, sigma_f=0.0, seed=s)
        hits += not is_linearly_separable(ds.u[:, 1:])
    return hits


@dataclass
class ThresholdCurves:
    """P(perfect) vs N/d for each d: regularised, unregularised (with Cover), weight decay."""

    d: list
    ratios: list
    trials: int
    regularised: dict
    unregularised: dict
    weight_decay: dict

    @property
    def wd_trials(self) -> int:
        """Draws per point of the weight-decay curves."""
        return weight_decay_trials(self.trials)

    def sizes(self, d) -> list:
        """The sample sizes N simulated for ``d`` (one per ratio)."""
        return [sample_size(r, d) for r in self.ratios]

    def critical_ratio(self, d, which="unregularised") -> float:
        """N/d where P(perfect) crosses 1/2 (linear interpolation)."""
        p = np.asarray(getattr(self, which)[d], dtype=float) / self.trials
        r = np.asarray(self.ratios, dtype=float)
        above = np.nonzero(p >= 0.5)[0]
        if above.size == 0:
            return float("inf")
        k = above[0]
        if k == 0:
            return float(r[0])
        return float(r[k - 1] + (0.5 - p[k - 1]) * (r[k] - r[k - 1]) / (p[k] - p[k - 1]))


def threshold_curves(ds_list, ratios, trials, *, solver=None, wd_solver=None, seed=0):
    """Finite-size transition curves of claim B7 (one seed stream per (d, N))."""
    solver = solver or regularised_solver()
    wd_solver = wd_solver or weight_decay_solver()
    reg, unreg, wd = {}, {}, {}
    for d in ds_list:
        reg[d], unreg[d], wd[d] = [], [], []
        for j, r in enumerate(ratios):
            n = sample_size(r, d)
            s = seed + 1000 * d + j
            reg[d].append(perfect_fraction(solver, n, d, trials, seed=s))
            unreg[d].append(unregularised_perfect(n, d, trials, seed=s))
            wd[d].append(perfect_fraction(wd_solver, n, d, weight_decay_trials(trials), seed=s))
    return ThresholdCurves(list(ds_list), list(ratios), trials, reg, unreg, wd)


def evaluate_b7(curves: ThresholdCurves) -> dict:
    """Verdict pieces of B7 from measured curves (separate so tests can feed bad curves)."""
    out = {"regularised step at N=d": True, "cover points outside 3-sigma": 0,
           "cover points": 0, "weight decay perfect draws": 0}
    for d in curves.d:
        for n, hits, un, wd in zip(curves.sizes(d), curves.regularised[d],
                                   curves.unregularised[d], curves.weight_decay[d]):
            expected = 1.0 if n >= d else 0.0
            if hits != expected * curves.trials:
                out["regularised step at N=d"] = False
            lo, hi = binomial_interval(un, curves.trials, z=3.0)
            p_cover = cover_perfect_probability(n, d)
            out["cover points"] += 1
            out["cover points outside 3-sigma"] += not (lo <= p_cover <= hi)
            out["weight decay perfect draws"] += wd
    ratios = [curves.critical_ratio(d) / 1.0 for d in curves.d]
    out["critical N/d unregularised (per d)"] = ", ".join(f"{x:.2f}" for x in ratios)
    out["critical ratio unreg/reg (largest d)"] = ratios[-1]
    return out


def expected_critical_ratio(d) -> float:
    """Cover's midpoint N = 2D = 2(d-1) in units of d."""
    return 2 * (d - 1) / d


def b7_verdict(curves: ThresholdCurves, ev=None) -> dict:
    """B7's pass rules on measured curves (``ev``: :func:`evaluate_b7`'s evidence, computed
    if not given): name -> bool; the claim holds iff all are true."""
    ev = evaluate_b7(curves) if ev is None else ev
    expected = expected_critical_ratio(curves.d[-1])
    ratio = ev["critical ratio unreg/reg (largest d)"]
    return {
        "regularised step at N=d": bool(ev["regularised step at N=d"]),
        # With z=3 Wilson intervals each point falls outside with prob ~0.3%; allow 1 in 13
        # points per d for lattice effects of small-N binomials, but no more.
        "max-margin follows Cover":
            ev["cover points outside 3-sigma"] <= max(1, ev["cover points"] // 13),
        "weight decay never perfect": ev["weight decay perfect draws"] == 0,
        # Grid spacing of 0.1-0.2 in N/d around the crossing.
        "critical ratio near 2(d-1)/d": abs(ratio - expected) <= CRITICAL_RATIO_TOL,
    }


def draw_b7(curves: ThresholdCurves, *, title=None, xlabel_note="sigma_f=0, sigma_n=1, mu_f=1"):
    """The B7 figure: P(perfect) vs N/d per d -- regularised (step at N=d), max-margin
    (Wilson 1-sigma bars) with Cover's formula on every integer N, weight decay.
    Returns the matplotlib Figure (not saved; the caller picks the backend)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    cmap = plt.get_cmap("tab10")
    t, tw = curves.trials, curves.wd_trials
    for j, d in enumerate(curves.d):
        x = np.asarray(curves.sizes(d), dtype=float) / d
        col = cmap(j)
        ax.plot(x, np.asarray(curves.regularised[d]) / t, "s-", ms=4, color=col,
                label=f"regularised, d={d}")
        hits = np.asarray(curves.unregularised[d])
        p = hits / t
        iv = np.array([binomial_interval(int(h), t, z=1.0) for h in hits])
        # clipped: at 0 or all hits the Wilson bound equals p up to rounding (can be -1e-17)
        yerr = np.clip([p - iv[:, 0], iv[:, 1] - p], 0.0, None)
        ax.errorbar(x, p, yerr=yerr, fmt="o", mfc="none", ms=4,
                    color=col, label=f"max-margin, d={d} (Wilson 1-sigma)")
        ax.plot(x, np.asarray(curves.weight_decay[d]) / tw, "x", color=col,
                label=f"weight decay, d={d} ({tw} draws)")
        n_all = np.arange(2, int(math.ceil(max(curves.ratios) * d)) + 1)
        ax.plot(n_all / d, [cover_perfect_probability(n, d) for n in n_all], "-", color=col,
                lw=0.8, alpha=0.8, label=f"Cover 1 - P_sep(N, d-1), d={d}")
    ax.axvline(1.0, color="grey", ls=":", lw=0.8)
    ax.axvline(2.0, color="grey", ls="--", lw=0.8)
    ax.set_xlabel(f"N / d  ({xlabel_note}; {t} draws per point)")
    ax.set_ylabel("P(perfect generalisation) = P(S_perp = 0)")
    ax.legend(fontsize=6)
    fig.suptitle(title or "B7: regularised perfect from N = d, max-margin from N ~ 2(d-1) "
                          "(Cover), weight decay never", fontsize=9)
    fig.tight_layout()
    return fig


@register("B7", "sigma_f=0: alpha>0 generalises perfectly iff N>=d; max-margin needs N~2d (Cover)")
def check_b7(full: bool = False, report_dir=None, *, solver=None) -> CheckResult:
    ds_list = [25, 50, 100, 200] if full else [20, 40]
    ratios = [0.5, 0.8, 0.95, 1.0, 1.1, 1.4, 1.7, 1.9, 2.0, 2.1, 2.3, 2.6, 3.0]
    trials = 100 if full else 24
    curves = threshold_curves(ds_list, ratios, trials, solver=solver)
    ev = evaluate_b7(curves)
    figures = []
    if report_dir is not None:
        import matplotlib
        matplotlib.use("Agg")
        figures = save_figure(draw_b7(curves), report_dir, "B7_threshold")
    expected_ratio = expected_critical_ratio(ds_list[-1])
    passed = all(b7_verdict(curves, ev).values())
    return CheckResult(
        "B7", "threshold shift N=2d -> N=d", ev,
        "regularised: exact step (S_perp=0 to 1e-8 rel); max-margin within 3-sigma Wilson "
        f"intervals of Cover; critical ratio within {CRITICAL_RATIO_TOL} of 2(d-1)/d="
        f"{expected_ratio:.3f} (grid spacing 0.1-0.2 in N/d); weight decay never perfect",
        passed, figures=figures)
