r"""Claim B6: the α-insensitivity plateau (Sec. 3.4; docs/theory.md §2).

**B6.** With the quadratic logit regulariser, :math:`\cos(S_{min}(\alpha), e_1)` changes
abruptly between :math:`\alpha = 0` (gradient-descent limit: the hard-margin SVM
:math:`\hat S` on separable data) and the smallest :math:`\alpha > 0`, then barely moves
across :math:`\alpha \in [10^{-3}, 0.9]`, while :math:`\|S_{min}\| \approx` scale of
:math:`t^*(\alpha)` changes by orders of magnitude. Measured quantities:

.. math::
    \text{flatness} = \max_{\alpha\in[10^{-3},0.9]}\cos - \min_{\alpha\in[10^{-3},0.9]}\cos,
    \qquad
    \text{jump} = \cos(S_{min}(\alpha_{min}), e_1) - \cos(\hat S, e_1).

*Why there is a jump (derived here, checked numerically).* As :math:`\alpha\to 0^+`,
:math:`t^* \sim \log(1/\alpha)\to\infty`; writing :math:`S = Tw` with margins
:math:`Uw \ge 1`, the cross-entropy term enforces the margins while the regulariser
:math:`\alpha T^2\sum_i (w\cdot u_i)^2` breaks the tie, so

.. math::
    \lim_{\alpha\to 0^+}\frac{S_{min}(\alpha)}{\|S_{min}(\alpha)\|} \propto
    \arg\min_w\{\, w^\top U^\top U w : Uw \ge 1\,\}
    = R^{-1}\,\mathrm{SVM}(Q),\quad U = QR,

the hard-margin SVM *in the whitened coordinates* :math:`Q` (the non-centred second
moment :math:`\tilde\Sigma = U^\top U/N` as metric, cf. B13), not the Euclidean one. It
is invariant under invertible maps of the inputs, as B9's equivariance demands of any
limit of :math:`S_{min}`; the Euclidean SVM is not. The angle closes like
:math:`1/\log(1/\alpha)` (the analogue of the :math:`1/\log t` rate of G1). For a
separable draw the jump is therefore the angle between two different max-margin
classifiers; it is large when many points must be separated (:math:`\lambda \gtrsim
1/2`) and small when the data are barely separable.

*Plateau and noise law.* For a Gaussian population every convex loss has its minimiser
along :math:`\Sigma^{-1}\mu` (B3/B4), so the population plateau is exactly flat; at finite
N the empirical direction depends on :math:`\alpha` through the sample. Heavy tails
(Student-t, small :math:`\nu`) break the Gaussian argument, so the paper expects flatness
ordered :math:`\nu = 2.1 > 3 > 20 >` Gaussian. For :math:`d = 2` (Fig. 10) the angle
:math:`\theta` between :math:`S_{min}(\alpha)` and the pure-quadratic minimiser
(:math:`\propto \hat\Sigma^{-1}\hat\mu`, B4) shrinks like :math:`N^{-1/2}`.

Claim B12 (the :math:`\sigma_f` dependence) lives in :mod:`numerics.claims.sigma_f`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.claims import CheckResult, register

from numerics.compile.compiled import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.max_margin import max_margin_direction
from numerics.solve.separability import is_linearly_separable
from numerics.solve.squared import minimize_squared
from numerics.claims._common import mean_and_sem, seeds
from numerics.claims.clustering import blas_single_thread, exact_solver
from numerics.claims.invariance import unregularised_direction

__all__ = ["SIZES", "SEEDS", "NOISE_MODEL", "GAUSS_MODEL", "PLATEAU_RANGE", "LIMIT_ALPHAS",
           "NOISES", "default_alphas", "whitened_max_margin", "AlphaSweep", "alpha_sweep",
           "sweep_record", "noise_panel", "gaussian_panel", "evaluate_b6", "nu_ordering",
           "tan_angle", "quadratic_angle_curve", "quadratic_angle_sweep", "d2_panel",
           "d2_log_max_stats", "d2_slope", "check_b6"]

#: The plateau is measured over this alpha range (docs/theory.md §2 (B6), Figs 2 and 13).
PLATEAU_RANGE = (1e-3, 0.9)
#: alpha values approaching 0+ used to follow the limit direction (whitened SVM).
LIMIT_ALPHAS = (1e-3, 1e-5, 1e-8)

#: Noise laws of Fig. 2 (Student-t standardised to unit variance, both xi_f and xi_perp)
#: plus the Gaussian reference.
NOISES = {"student_t nu=2.1": dict(noise_f="student_t", noise_n="student_t", df=2.1),
          "student_t nu=3": dict(noise_f="student_t", noise_n="student_t", df=3.0),
          "student_t nu=20": dict(noise_f="student_t", noise_n="student_t", df=20.0),
          "gaussian": {}}
#: Models of the three panels: Student-t/Gaussian laws and d = 2 at mu_f = sigma_f =
#: sigma_n = 1 (Figs. 2, 10), the Gaussian lambda scan at sigma_f = 0.5 (Fig. 13).
NOISE_MODEL = dict(mu_f=1.0, sigma_f=1.0, sigma_n=1.0)
GAUSS_MODEL = dict(mu_f=1.0, sigma_f=0.5, sigma_n=1.0)

#: Sizes of claim B6 (check: "default", ``--full``: "full"; Figs. 2, 10, 13 also "test"):
#: the alpha grid (:func:`default_alphas` of ``fine_alphas``); the noise-law panel
#: (n, d, n_seeds); the Gaussian panel (gauss_n, gauss_ds, gauss_seeds); the d = 2 panel
#: (d2_ns, d2_seeds).
SIZES = {
    "test": dict(fine_alphas=False, n=150, d=100, n_seeds=4, gauss_n=150,
                 gauss_ds=(15, 105, 135), gauss_seeds=4, d2_ns=(100, 1000, 10_000),
                 d2_seeds=4),
    "default": dict(fine_alphas=False, n=300, d=200, n_seeds=5, gauss_n=200,
                    gauss_ds=(20, 140, 180), gauss_seeds=3, d2_ns=(100, 1000, 10_000),
                    d2_seeds=12),
    "full": dict(fine_alphas=True, n=1500, d=1000, n_seeds=3, gauss_n=2000,
                 gauss_ds=(200, 1400, 1800), gauss_seeds=1,
                 d2_ns=(100, 1000, 10_000, 100_000), d2_seeds=12),
}
#: Base seeds of the three panels.
SEEDS = {"noise": 61, "gaussian": 62, "d2": 63}


def default_alphas(full: bool = False) -> np.ndarray:
    """Log grid from 1e-5 to 0.9 that contains both ends of :data:`PLATEAU_RANGE`."""
    small = [1e-5, 3e-5, 1e-4, 3e-4] if full else [1e-5, 1e-4]
    return np.concatenate([small, np.geomspace(PLATEAU_RANGE[0], PLATEAU_RANGE[1],
                                               13 if full else 7)])


def whitened_max_margin(U) -> np.ndarray:
    r"""Unit :math:`\arg\min\{w^\top U^\top U w : Uw \ge 1\}`: the hard-margin SVM of the
    orthonormalised data :math:`Q` (:math:`U = QR`), mapped back by :math:`R^{-1}`
    (needs :math:`N > d`, full column rank; the limit :math:`\alpha\to0^+` of B6).

    >>> U = np.array([[1.0, 0.2], [1.0, -0.3], [0.5, 1.0], [2.0, 0.1]])
    >>> w = whitened_max_margin(U)
    >>> bool(np.all(U @ w > 0)), round(float(np.linalg.norm(w)), 12)
    (True, 1.0)
    """
    U = np.asarray(U, dtype=float)
    Q, R = np.linalg.qr(U)
    v = max_margin_direction(Q).weights
    w = np.linalg.solve(R, v)
    return w / np.linalg.norm(w)


def _unit(S):
    S = np.asarray(S, dtype=float)
    return S / np.linalg.norm(S)


@dataclass(frozen=True)
class AlphaSweep:
    r"""One draw of B6: :math:`\cos(S_{min}, e_1)` and :math:`\|S_{min}\|` on ``alphas``,
    the :math:`\alpha = 0` limit (``cos0``), and the :math:`\alpha\to0^+` diagnostics:
    ``limit_gap[k]`` :math:`= 1-\cos(S_{min}(\text{LIMIT\_ALPHAS}[k]), w_{white})` and
    ``svm_gap`` :math:`= 1-\cos(\hat S, w_{white})` (NaN when not separable)."""

    alphas: np.ndarray
    cos: np.ndarray
    norm: np.ndarray
    cos0: float
    separable: bool
    limit_gap: np.ndarray = field(default=None)
    svm_gap: float = math.nan

    def _mask(self):
        return (self.alphas >= PLATEAU_RANGE[0] * (1 - 1e-12)) & \
            (self.alphas <= PLATEAU_RANGE[1] * (1 + 1e-12))

    @property
    def flatness(self) -> float:
        c = self.cos[self._mask()]
        return float(c.max() - c.min())

    @property
    def jump(self) -> float:
        return float(self.cos[np.argmin(self.alphas)] - self.cos0)

    @property
    def norm_ratio(self) -> float:
        return float(self.norm.max() / self.norm.min())


def alpha_sweep(U, alphas, *, solver=None, regularizer="quadratic", limit=True) -> AlphaSweep:
    r"""Sweep ``alphas`` with ``solver(U, regularizer, alpha) -> S`` (default exact Newton);
    with ``limit`` and separable, full-column-rank data also the :math:`\alpha\to0^+`
    diagnostics against :func:`whitened_max_margin`."""
    solver = solver or exact_solver
    U = np.asarray(U, dtype=float)
    alphas = np.asarray(alphas, dtype=float)
    cos, norm = [], []
    for a in alphas:
        S = np.asarray(solver(U, regularizer, float(a)), dtype=float)
        nrm = float(np.linalg.norm(S))
        cos.append(float(S[0]) / nrm)
        norm.append(nrm)
    separable = bool(is_linearly_separable(U))
    S0 = unregularised_direction(U)
    cos0 = float(S0[0] / np.linalg.norm(S0))
    gaps, svm_gap = None, math.nan
    if limit and separable and U.shape[0] > U.shape[1]:
        w = whitened_max_margin(U)
        gaps = np.array([1.0 - float(_unit(solver(U, regularizer, a)) @ w)
                         for a in LIMIT_ALPHAS])
        svm_gap = 1.0 - float(_unit(S0) @ w)
    return AlphaSweep(alphas, np.array(cos), np.array(norm), cos0, separable, gaps, svm_gap)


def sweep_record(sweeps) -> dict:
    """Plain arrays of a list of :class:`AlphaSweep` (one per draw; rows are draws):
    ``cos``, ``norm``, ``cos0``, ``flatness``, ``jump``, ``separable``, ``svm_gap`` and
    ``limit_gap`` (None when no draw has the alpha -> 0+ diagnostics)."""
    rec = {"cos": np.array([s.cos for s in sweeps]),
           "norm": np.array([s.norm for s in sweeps]),
           "cos0": np.array([s.cos0 for s in sweeps]),
           "flatness": np.array([s.flatness for s in sweeps]),
           "jump": np.array([s.jump for s in sweeps]),
           "separable": [bool(s.separable) for s in sweeps],
           "svm_gap": np.array([s.svm_gap for s in sweeps])}
    gaps = [s.limit_gap for s in sweeps if s.limit_gap is not None]
    rec["limit_gap"] = np.array(gaps) if gaps else None
    return rec


def noise_panel(n, d, noises, alphas, *, n_seeds, seed, mu_f=1.0, sigma_f=1.0,
                sigma_n=1.0, solver=None) -> dict:
    """``{noise name: [AlphaSweep per seed]}`` (Fig. 2 design: same seeds for every law)."""
    out = {}
    for name, kw in noises.items():
        out[name] = [alpha_sweep(binary_signal_noise(n, d, mu_f=mu_f, sigma_f=sigma_f,
                                                     sigma_n=sigma_n, seed=s, **kw).u,
                                 alphas, solver=solver)
                     for s in seeds(seed, n_seeds)]
    return out


def gaussian_panel(n, ds, alphas, *, n_seeds, seed, mu_f=1.0, sigma_f=0.5, sigma_n=1.0,
                   solver=None) -> dict:
    """``{d: [AlphaSweep per seed]}`` for Gaussian noise at several ``d`` (Fig. 13 design:
    the seeds of dimension ``d`` start at ``seed + d``)."""
    return {d: [alpha_sweep(binary_signal_noise(n, d, mu_f=mu_f, sigma_f=sigma_f,
                                                sigma_n=sigma_n, seed=s).u,
                            alphas, solver=solver)
                for s in seeds(seed + d, n_seeds)]
            for d in ds}


def _stat(values):
    m, se = mean_and_sem(values)
    return m, (0.0 if math.isnan(se) else se)


#: Sweeps whose norm ratio is compared with t*(alpha_min)/t*(alpha_max): the logits sit
#: near t* (B1), so ``|S_min| ~ t*/|u|``; a factor 3 either way covers the spread of ``|u_i|``.
NORM_RATIO_SLACK = 3.0
#: The whitened SVM is the alpha -> 0+ limit if 1-cos to it keeps falling along
#: LIMIT_ALPHAS and, where the jump is asserted, ends 10x below the Euclidean SVM's
#: (measured 25-75x at alpha=1e-8; the gap closes only like 1/log^2(1/alpha)).
LIMIT_FACTOR = 10.0


def evaluate_b6(panel: dict, alphas, *, jump_panels=None, regularizer="quadratic") -> dict:
    """Verdict pieces of B6 from sweeps (separate so tests can feed bad sweeps).

    ``jump_panels`` lists the keys where the jump is asserted (default: all);
    ``regularizer`` gives the targets the norm range is compared with. Returns
    ``(evidence, {key: (mean flatness, SE)})``.
    """
    comp = compile_binary(regularizer)
    t_ratio = comp.target(float(np.min(alphas))) / comp.target(float(np.max(alphas)))
    ev = {"t*(alpha_min)/t*(alpha_max)": t_ratio}
    jump_ok, norm_ok, limit_ok = True, True, True
    flat = {}
    for key, sweeps in panel.items():
        fm, fse = _stat([s.flatness for s in sweeps])
        jm, jse = _stat([abs(s.jump) for s in sweeps])
        flat[key] = (fm, fse)
        ev[f"{key}: flatness"] = f"{fm:.4f} +- {fse:.4f}"
        ev[f"{key}: jump (signed mean)"] = float(np.mean([s.jump for s in sweeps]))
        ev[f"{key}: |jump|/flatness"] = jm / fm if fm > 0 else math.inf
        ratios = [s.norm_ratio for s in sweeps]
        ev[f"{key}: |S| max/min (min over seeds)"] = min(ratios)
        norm_ok &= all(r >= 100 and t_ratio / NORM_RATIO_SLACK <= r
                       <= t_ratio * NORM_RATIO_SLACK for r in ratios)
        if jump_panels is None or key in jump_panels:
            # one-sided: mean |jump| exceeds mean flatness by 3 combined standard errors
            jump_ok &= jm - fm > 3.0 * math.hypot(jse, fse) and all(s.separable for s in sweeps)
        with_limit = [s for s in sweeps if s.limit_gap is not None]
        if with_limit:
            g = np.array([s.limit_gap for s in with_limit])
            svm = np.array([s.svm_gap for s in with_limit])
            ev[f"{key}: 1-cos to whitened SVM at alpha={LIMIT_ALPHAS}"] = ", ".join(
                f"{x:.4f}" for x in g.mean(axis=0))
            ev[f"{key}: 1-cos(Euclidean SVM, whitened SVM)"] = float(svm.mean())
            limit_ok &= bool(np.all(np.diff(g, axis=1) < 0))
            if jump_panels is None or key in jump_panels:
                # where the two SVMs differ (barely separable data: they nearly coincide)
                limit_ok &= bool(np.all(g[:, -1] * LIMIT_FACTOR < svm))
    ev["jump >> plateau variation"] = bool(jump_ok)
    ev["|S_min| varies >= 100x, ~ t*"] = bool(norm_ok)
    ev["alpha->0+ limit is the whitened SVM"] = bool(limit_ok)
    return ev, flat


def nu_ordering(flat: dict) -> dict:
    """Is flatness ordered nu=2.1 > 3 > 20 > Gaussian (means), and how significantly?"""
    keys = [k for k in NOISES if k in flat]
    means = [flat[k][0] for k in keys]
    ses = [flat[k][1] for k in keys]
    ordered = all(a > b for a, b in zip(means, means[1:]))
    z = [(a - b) / math.hypot(sa, sb) if math.hypot(sa, sb) > 0 else math.inf
         for a, b, sa, sb in zip(means, means[1:], ses, ses[1:])]
    return {"nu ordering of flatness (means)": bool(ordered),
            "nu ordering z-scores (consecutive pairs)": ", ".join(f"{x:.1f}" for x in z),
            "nu=2.1 vs gaussian z-score": (means[0] - means[-1]) / math.hypot(ses[0], ses[-1])
            if math.hypot(ses[0], ses[-1]) > 0 else math.inf}


def tan_angle(S, ref) -> float:
    r""":math:`\tan\theta` between ``S`` and ``ref`` (component of ``S`` orthogonal to
    ``ref`` over the parallel one: no cancellation when :math:`\theta` is tiny).

    >>> round(tan_angle(np.array([1.0, 1.0]), np.array([2.0, 0.0])), 12)
    1.0
    """
    S = np.asarray(S, dtype=float)
    r = np.asarray(ref, dtype=float) / np.linalg.norm(ref)
    par = float(S @ r)
    return float(np.linalg.norm(S - par * r) / abs(par))


def quadratic_angle_curve(U, alphas, *, solver=None) -> np.ndarray:
    r""":math:`\tan\theta(\alpha)` (:func:`tan_angle`) on ``alphas``
    between :math:`S_{min}(\alpha)` and the pure-quadratic minimiser (``minimize_squared``,
    :math:`\propto\hat\Sigma^{-1}\hat\mu`)."""
    solver = solver or exact_solver
    ref = minimize_squared(U, 1.0).coef
    return np.array([tan_angle(solver(U, "quadratic", float(a)), ref) for a in alphas],
                    dtype=float)


def quadratic_angle_sweep(U, alphas, *, solver=None) -> float:
    r""":math:`\max_\alpha\tan\theta(\alpha)` of :func:`quadratic_angle_curve`."""
    return float(np.max(quadratic_angle_curve(U, alphas, solver=solver),
                        initial=0.0))


def d2_panel(ns, alphas, *, n_seeds, seed, mu_f=1.0, sigma_f=1.0, sigma_n=1.0, solver=None):
    r"""``{N: (draws x alphas) array}`` of :func:`quadratic_angle_curve` for ``d = 2``
    Gaussian draws (Fig. 10 design: the seeds of size ``N`` start at ``seed + N``)."""
    return {n: np.array([quadratic_angle_curve(
                binary_signal_noise(n, 2, mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n,
                                    seed=s).u, alphas, solver=solver)
                for s in seeds(seed + n, n_seeds)])
            for n in ns}


def d2_log_max_stats(curves) -> dict:
    r"""``{N: (mean, SE)}`` of :math:`\log_{10}\max_\alpha\tan\theta` over the draws of
    :func:`d2_panel` (the angle is right-skewed across draws; its logarithm is not, so the
    SE is honest)."""
    return {n: _stat(np.log10(np.maximum(np.max(arr, axis=1, initial=0.0), 1e-300)))
            for n, arr in curves.items()}


def d2_slope(stats) -> float:
    r"""Least-squares slope of the mean :math:`\log_{10}\max_\alpha\tan\theta` of
    :func:`d2_log_max_stats` against :math:`\log_{10}N` (theory :math:`-1/2`)."""
    ns = list(stats)
    return float(np.polyfit(np.log10(ns), [stats[n][0] for n in ns], 1)[0])


@register("B6", "cos(S_min, e1) jumps between alpha=0 and alpha>0, then plateaus for alpha "
                "in [1e-3, 0.9]; |S_min| varies by orders of magnitude")
def check_b6(full: bool = False, *, solver=None, regularizer=None) -> CheckResult:
    r"""Claim B6 at :data:`SIZES` ``"default"`` (``full``: ``"full"``) with ``solver``
    (default exact, for the quadratic regulariser or ``regularizer``, a
    ``theory.Regularizer``: then the alphas where its target is 0 -- a kink at 0, alpha >=
    alpha_max -- are left out, the minimiser being S = 0 there). ``data["B6_plateau"]``:
    the :func:`sweep_record` of every noise law (``noise``) and Gaussian dimension
    (``gaussian``), and the d = 2 angles ``d2`` (N -> draws x alphas :math:`\tan\theta`)."""
    s = SIZES["full" if full else "default"]
    alphas = default_alphas(s["fine_alphas"])
    reg = "quadratic" if regularizer is None else regularizer
    if regularizer is not None:
        alphas = alphas[compile_binary(regularizer).target(alphas) > 0]
        if solver is None:
            solver = lambda U, _name, a: exact_solver(U, regularizer, a)  # noqa: E731
    nt, dt, t_seeds, ng = s["n"], s["d"], s["n_seeds"], s["gauss_n"]
    d2_ns = list(s["d2_ns"])
    with blas_single_thread():
        panel = noise_panel(nt, dt, NOISES, alphas, n_seeds=t_seeds, seed=SEEDS["noise"],
                            solver=solver)
        gauss = {f"gaussian sigma_f=0.5 d={d}": sweeps for d, sweeps in gaussian_panel(
            ng, list(s["gauss_ds"]), alphas, n_seeds=s["gauss_seeds"], seed=SEEDS["gaussian"],
            solver=solver).items()}
        tan = d2_panel(d2_ns, alphas, n_seeds=s["d2_seeds"], seed=SEEDS["d2"], solver=solver)
        d2 = d2_log_max_stats(tan)
    # The jump is asserted where many points must be separated (lambda >= 2/3); at
    # lambda = 0.1 the data are barely separable and the two SVMs nearly coincide.
    strong = list(panel) + [k for k in gauss if int(k.split("d=")[1]) / ng >= 0.6]
    ev, flat = evaluate_b6(panel | gauss, alphas, jump_panels=strong, regularizer=reg)
    order = nu_ordering({k: flat[k] for k in NOISES})
    ev.update(order)
    for n, (m, se) in d2.items():
        ev[f"d=2 gaussian N={n}: geometric-mean max tan(theta) (x/ 10^SE)"] = \
            f"{10 ** m:.4f} (x/ {10 ** se:.2f})"
    ev["d=2 slope of log tan(theta) vs log N (theory -1/2)"] = d2_slope(d2)
    (m_lo, se_lo), (m_hi, se_hi) = d2[d2_ns[0]], d2[d2_ns[-1]]
    d2_ok = m_lo - m_hi > 3.0 * math.hypot(se_lo, se_hi)
    ev["d=2: plateau flatter for larger N"] = bool(d2_ok)
    # The whitened-SVM limit is derived for the quadratic f (f'' = 2 dominates the
    # expansion around t*, docs/theory.md §2 (B6)); for another f it is measured, not judged.
    limit_judged = regularizer is None
    passed = (ev["jump >> plateau variation"] and ev["|S_min| varies >= 100x, ~ t*"]
              and (ev["alpha->0+ limit is the whitened SVM"] or not limit_judged) and d2_ok)
    # Measured: at d=200 (5 seeds) and at the paper's d=1000 (3 seeds) alike, the
    # seed-to-seed scatter of the flatness (SD ~0.01-0.02) is as large as the differences
    # between the noise laws, and the order of the means changes with the seeds.
    note = (f"nu ordering of flatness (2.1 > 3 > 20 > Gaussian) is reported, not asserted: "
            f"with {t_seeds} seeds at d={dt}, N={nt} the scatter of the flatness is as large "
            "as the differences between noise laws; the verdict rests on the jump, the norm "
            "range, the alpha->0+ limit and the d=2 N-dependence")
    if not limit_judged:
        note += ("; for a user f the alpha->0+ limit (the whitened SVM, derived for the "
                 "quadratic f) is reported, not judged")
    data = {"settings": dict(s, noise_model=NOISE_MODEL, gauss_model=GAUSS_MODEL),
            "alphas": alphas, "targets": compile_binary(reg).target(alphas),
            "plateau_range": PLATEAU_RANGE,
            "noise": {k: sweep_record(v) for k, v in panel.items()},
            "gaussian": {k: sweep_record(v) for k, v in gauss.items()}, "d2": tan}
    return CheckResult(
        "B6", "alpha-insensitivity plateau", ev,
        "flatness = max-min of cos(S_min, e1) over alpha in [1e-3, 0.9]; jump = cos at "
        "alpha=1e-5 minus the alpha=0 (max-margin) cos: mean|jump| - mean flatness > 3 "
        "combined SE for every noise law (lambda=2/3) and Gaussian lambda >= 0.7; "
        "|S_min| max/min >= 100 and within 3x of t*(1e-5)/t*(0.9); 1-cos to the whitened "
        f"SVM decreasing along alpha={LIMIT_ALPHAS} (and, where the jump is asserted, "
        f"{LIMIT_FACTOR:g}x below the Euclidean SVM's); d=2: mean log10 max tan(theta) at "
        "the largest N below the smallest N's by 3 combined SE",
        bool(passed), note=note, data={"B6_plateau": data})
