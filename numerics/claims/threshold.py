r"""Claim B7: logit regularisation halves the sample complexity (Prop. 5.1, docs/theory.md §2).

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

Everything B7 decides lives here: the sizes (:data:`SIZES`), the outcome of one draw
(:func:`threshold_outcome`, also the sweep's ``threshold`` experiment), Cover's curve
(:func:`cover_perfect_probability`), the critical ratio and the verdict; the check
returns the curves as ``data["B7_threshold"]`` (drawn by :mod:`numerics.figures.threshold`,
which is also ``logitreg figure threshold-binary``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.claims import CheckResult, register

from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.separability import cover_probability, is_linearly_separable
from numerics.solve.binary import minimize_binary
from numerics.solve.weight_decay import minimize_weight_decay
from numerics.claims._common import admissible_alpha, binomial_interval, seeds
from numerics.claims.clustering import blas_single_thread

__all__ = ["SIZES", "MODEL", "ALPHA", "GAMMA", "REGULARIZER", "SEED", "PERFECT_RTOL",
           "perfect_fraction", "threshold_curves", "ThresholdCurves", "check_b7",
           "s_perp_ratio", "is_perfect", "max_margin_perfect", "threshold_outcome",
           "sample_size", "weight_decay_trials", "cover_perfect_probability", "cover_outside",
           "half_crossing", "expected_critical_ratio", "evaluate_b7", "b7_verdict",
           "b7_figure_data"]

#: ``||S_perp|| / |S_1|`` below this counts as S_perp = 0 (see module docstring).
PERFECT_RTOL = 1e-8
#: B7's tolerance on the critical N/d of max-margin against 2(d-1)/d (grid spacing 0.1-0.2).
CRITICAL_RATIO_TOL = 0.15

_RATIOS = [0.5, 0.8, 0.95, 1.0, 1.1, 1.4, 1.7, 1.9, 2.0, 2.1, 2.3, 2.6, 3.0]
#: Sizes of claim B7 (check: "default", ``--full``: "full"; the threshold-binary figure
#: also "test"): dimensions ``ds``, sample sizes ``N = round(ratio d)`` and ``trials``
#: draws per point (weight decay: :func:`weight_decay_trials`).
SIZES = {
    "test": dict(ds=[12], ratios=[0.5, 0.8, 0.9, 1.0, 1.1, 1.5, 2.0, 2.5, 3.0, 4.0], trials=16),
    "default": dict(ds=[20, 40], ratios=_RATIOS, trials=24),
    "full": dict(ds=[25, 50, 100, 200], ratios=_RATIOS, trials=100),
}
#: The model of B7 (sigma_f = 0), its regulariser and the weight-decay baseline.
MODEL = dict(mu_f=1.0, sigma_n=1.0)
ALPHA, GAMMA, REGULARIZER = 0.2, 0.2, "quadratic"
#: Base seed of the draws (one seed stream per (d, N), :func:`threshold_curves`).
SEED = 0


def s_perp_ratio(S) -> float:
    r""":math:`\|S_\perp\|/S_1` (``inf`` if :math:`S_1 \le 0`: never perfect)."""
    return float(np.linalg.norm(S[1:]) / S[0]) if S[0] > 0 else math.inf


def is_perfect(S) -> bool:
    """S_perp = 0 to :data:`PERFECT_RTOL` relative, with S_1 > 0 (perfect generalisation)."""
    return bool(s_perp_ratio(S) <= PERFECT_RTOL)


def max_margin_perfect(u) -> bool:
    r"""Max-margin generalises perfectly (its direction is :math:`e_1`) iff the noise parts
    :math:`u_{i,\perp}` are not linearly separable (LP test, no QP solved)."""
    return not is_linearly_separable(u[:, 1:])


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


def cover_outside(hits, trials, n, d) -> bool:
    """Whether Cover's probability lies outside the 3-sigma Wilson interval of ``hits``
    max-margin perfect draws out of ``trials`` at ``(N, d)`` (B7, A3)."""
    lo, hi = binomial_interval(hits, trials, z=3.0)
    return not (lo <= cover_perfect_probability(n, d) <= hi)


def regularised_solver(alpha=ALPHA, regularizer=REGULARIZER):
    """``U -> S``: the exact logit-regularised minimiser (the claim's subject)."""
    return lambda U: minimize_binary(U, regularizer, alpha).coef


def weight_decay_solver(gamma=GAMMA):
    """``U -> S``: the weight-decay baseline (App. E.4)."""
    return lambda U: minimize_weight_decay(U, gamma).coef


def threshold_outcome(u, method="regularised", *, alpha=ALPHA, gamma=GAMMA,
                      regularizer=REGULARIZER) -> dict:
    r"""B7 on one :math:`\sigma_f = 0` draw ``u``: ``perfect`` (1 if ``method`` generalises
    perfectly, else 0) and ``s_perp_ratio`` (:math:`\|S_\perp\|/S_1`; ``None`` for
    ``"max_margin"``, decided by :func:`max_margin_perfect` without solving the QP).
    ``method``: ``"regularised"`` (:math:`\alpha`, ``regularizer``), ``"max_margin"`` or
    ``"weight_decay"`` (:math:`\gamma`)."""
    if method == "max_margin":
        return {"perfect": int(max_margin_perfect(u)), "s_perp_ratio": None}
    solve = regularised_solver(alpha, regularizer) if method == "regularised" \
        else weight_decay_solver(gamma)
    S = solve(u)
    return {"perfect": int(is_perfect(S)), "s_perp_ratio": s_perp_ratio(S)}


def _draws(n, d, trials, seed, *, mu_f, sigma_n):
    for s in seeds(seed, trials):
        yield binary_signal_noise(n, d, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n, seed=s).u


def perfect_fraction(solver, n, d, trials, *, sigma_n=1.0, mu_f=1.0, seed=0) -> int:
    """Number of ``trials`` seeded draws (sigma_f = 0) where ``solver(U)`` has S_perp = 0."""
    return sum(is_perfect(solver(u)) for u in _draws(n, d, trials, seed, mu_f=mu_f,
                                                     sigma_n=sigma_n))


def unregularised_perfect(n, d, trials, *, sigma_n=1.0, mu_f=1.0, seed=0) -> int:
    """Draws where the max-margin direction is e_1: the noise part is not separable."""
    return sum(max_margin_perfect(u) for u in _draws(n, d, trials, seed, mu_f=mu_f,
                                                     sigma_n=sigma_n))


def half_crossing(x, p, *, never=math.inf, at_start=None) -> float:
    r"""The :math:`x` where the fraction ``p`` first reaches 1/2, interpolated linearly
    between grid points; ``never`` if it does not, ``at_start`` (default ``x[0]``) if it
    already does at ``x[0]``.

    >>> half_crossing([1.0, 2.0], [0.0, 1.0])
    1.5
    """
    p = np.asarray(p, dtype=float)
    above = np.nonzero(p >= 0.5)[0]
    if above.size == 0:
        return never
    k = above[0]
    if k == 0:
        return float(x[0]) if at_start is None else at_start
    return float(x[k - 1] + (0.5 - p[k - 1]) * (x[k] - x[k - 1]) / (p[k] - p[k - 1]))


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
        return half_crossing(np.asarray(self.ratios, dtype=float), p)


def threshold_curves(ds_list, ratios, trials, *, solver=None, wd_solver=None, seed=SEED):
    """Finite-size transition curves of claim B7 (one seed stream per (d, N))."""
    solver = solver or regularised_solver()
    wd_solver = wd_solver or weight_decay_solver()
    reg, unreg, wd = {}, {}, {}
    for d in ds_list:
        reg[d], unreg[d], wd[d] = [], [], []
        for j, r in enumerate(ratios):
            n = sample_size(r, d)
            s = seed + 1000 * d + j
            reg[d].append(perfect_fraction(solver, n, d, trials, seed=s, **MODEL))
            unreg[d].append(unregularised_perfect(n, d, trials, seed=s, **MODEL))
            wd[d].append(perfect_fraction(wd_solver, n, d, weight_decay_trials(trials), seed=s,
                                          **MODEL))
    return ThresholdCurves(list(ds_list), list(ratios), trials, reg, unreg, wd)


def expected_regularised_hits(n, d, trials) -> int:
    """Prop. 5.1: every draw is perfect from N = d on, none below."""
    return trials if n >= d else 0


def evaluate_b7(curves: ThresholdCurves) -> dict:
    """Verdict pieces of B7 from measured curves (separate so tests can feed bad curves)."""
    out = {"regularised step at N=d": True, "cover points outside 3-sigma": 0,
           "cover points": 0, "weight decay perfect draws": 0}
    for d in curves.d:
        for n, hits, un, wd in zip(curves.sizes(d), curves.regularised[d],
                                   curves.unregularised[d], curves.weight_decay[d]):
            if hits != expected_regularised_hits(n, d, curves.trials):
                out["regularised step at N=d"] = False
            out["cover points"] += 1
            out["cover points outside 3-sigma"] += cover_outside(un, curves.trials, n, d)
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


def b7_figure_data(curves: ThresholdCurves, *, seed=SEED) -> dict:
    r"""What the B7 figure draws (``data["B7_threshold"]``, figure ``threshold-binary``):
    per ``d``, ``n`` (sample sizes), hits out of ``trials`` for ``reg`` and ``unreg``
    (max-margin; ``unreg_wilson``: its 1-sigma Wilson interval), out of ``wd_trials`` for
    ``wd`` (weight decay), ``cover`` (Cover's :math:`P_{perfect}` at those N),
    ``cover_n``/``cover_p`` (on every integer N), ``critical`` (N/d where the max-margin
    fraction crosses 1/2); and the settings."""
    out = {}
    for d in curves.d:
        ns = curves.sizes(d)
        n_all = list(range(2, int(math.ceil(max(curves.ratios) * d)) + 1))
        out[d] = {"n": ns, "reg": list(curves.regularised[d]),
                  "unreg": list(curves.unregularised[d]), "wd": list(curves.weight_decay[d]),
                  "unreg_wilson": [binomial_interval(int(h), curves.trials, z=1.0)
                                   for h in curves.unregularised[d]],
                  "cover": [cover_perfect_probability(n, d) for n in ns],
                  "cover_n": n_all,
                  "cover_p": [cover_perfect_probability(n, d) for n in n_all],
                  "critical": curves.critical_ratio(d)}
    settings = dict(ds=list(curves.d), ratios=list(curves.ratios), trials=curves.trials,
                    wd_trials=curves.wd_trials, seed=seed, alpha=ALPHA, gamma=GAMMA,
                    regularizer=REGULARIZER, sigma_f=0.0, **MODEL)
    return {"settings": settings, "curves": out}


def b7_curves(size: str, *, solver=None) -> ThresholdCurves:
    """The B7 curves at ``SIZES[size]`` (one BLAS thread: reproducible)."""
    s = SIZES[size]
    with blas_single_thread():
        return threshold_curves(s["ds"], s["ratios"], s["trials"], solver=solver)


@register("B7", "sigma_f=0: alpha>0 generalises perfectly iff N>=d; max-margin needs N~2d (Cover)")
def check_b7(full: bool = False, *, solver=None, regularizer=None) -> CheckResult:
    r"""Claim B7 at :data:`SIZES` ``"default"`` (``full``: ``"full"``) with ``solver``
    (default: the exact :math:`\alpha = 0.2` minimiser of the quadratic regulariser, or of
    ``regularizer``, a ``theory.Regularizer``); ``data["B7_threshold"]``:
    :func:`b7_figure_data`."""
    if regularizer is not None and solver is None:
        solver = regularised_solver(admissible_alpha(regularizer, ALPHA), regularizer)
    curves = b7_curves("full" if full else "default", solver=solver)
    ev = evaluate_b7(curves)
    expected_ratio = expected_critical_ratio(curves.d[-1])
    passed = all(b7_verdict(curves, ev).values())
    return CheckResult(
        "B7", "threshold shift N=2d -> N=d", ev,
        "regularised: exact step (S_perp=0 to 1e-8 rel); max-margin within 3-sigma Wilson "
        f"intervals of Cover; critical ratio within {CRITICAL_RATIO_TOL} of 2(d-1)/d="
        f"{expected_ratio:.3f} (grid spacing 0.1-0.2 in N/d); weight decay never perfect",
        passed, data={"B7_threshold": _labelled(b7_figure_data(curves), regularizer)})


def _labelled(data: dict, regularizer) -> dict:
    """Figure data naming the user's regulariser (when one was given) in its settings."""
    if regularizer is not None:
        data["settings"]["regularizer"] = f"{regularizer.name}: f(t) = {regularizer.binary}"
    return data
