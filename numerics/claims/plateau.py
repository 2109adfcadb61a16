r"""Claims B6 (α-insensitivity plateau, Sec. 3.4) and B12 (σ_f dependence, App. E.5).

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

**B12.** :math:`\sigma_n = 1`, :math:`\alpha = 0.4`: at :math:`\sigma_f = 0` the minimiser
is :math:`(t^*/\mu_f)e_1` exactly (B7). Linearising the stationarity condition
:math:`U^\top\ell'(US) = 0` in :math:`\sigma_f` (the design is :math:`U_0 + \sigma_f z e_1^\top`,
:math:`z_i = y_i\xi_{f,i}`, and :math:`\ell'(t^*) = 0`) gives

.. math::
    \frac{dS}{d\sigma_f}\Big|_0 = -\frac{t^*}{\mu_f}(U_0^\top U_0)^{-1}U_0^\top z,
    \qquad
    C = \frac{\sigma_n\|S_\perp\|}{S_1} = b_0\,\sigma_f + O(\sigma_f^2),\quad
    b_0 = \sigma_n\bigl\|[(U_0^\top U_0)^{-1}U_0^\top z]_\perp\bigr\|,

independent of :math:`\alpha`, of ``f`` and of :math:`\sigma_n`, with
:math:`\mathbb E\,b_0^2 = \operatorname{tr}\mathbb E[W^{-1}] = (d-1)/(N-d-1)`
(:math:`W` a centred Wishart matrix), i.e. :math:`b_0 \approx \sqrt{\lambda/(1-\lambda)}`.
:math:`S_1` changes only through the sample mean of :math:`z` (first order,
:math:`O(\sigma_f/\sqrt N)`) and at second order, hence "≈ constant".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.claims import CheckResult, register

from numerics.compile.compiled import compile_binary
from numerics.models.data import binary_signal_noise
from numerics.solve.maxmargin import is_linearly_separable, max_margin_direction
from numerics.solve.solvers import minimize_squared
from numerics.claims._common import mean_and_sem, save_figure, seeds
from numerics.claims.clustering import blas_single_thread, exact_solver, inverse_wishart_trace
from numerics.claims.invariance import unregularised_direction

__all__ = ["PLATEAU_RANGE", "LIMIT_ALPHAS", "NOISES", "default_alphas",
           "whitened_max_margin", "AlphaSweep", "alpha_sweep", "noise_panel", "gaussian_panel",
           "evaluate_b6", "nu_ordering", "tan_angle", "quadratic_angle_curve",
           "quadratic_angle_sweep", "d2_panel", "d2_log_max_stats", "d2_slope",
           "sigma_f_scan", "linear_response_slope", "evaluate_b12", "b12_scans",
           "check_b6", "check_b12"]

#: The plateau is measured over this alpha range (THEORY.md B6, Figs 2 and 13).
PLATEAU_RANGE = (1e-3, 0.9)
#: alpha values approaching 0+ used to follow the limit direction (whitened SVM).
LIMIT_ALPHAS = (1e-3, 1e-5, 1e-8)

#: Noise laws of Fig. 2 (Student-t standardised to unit variance, both xi_f and xi_perp)
#: plus the Gaussian reference.
NOISES = {"student_t nu=2.1": dict(noise_f="student_t", noise_n="student_t", df=2.1),
          "student_t nu=3": dict(noise_f="student_t", noise_n="student_t", df=3.0),
          "student_t nu=20": dict(noise_f="student_t", noise_n="student_t", df=20.0),
          "gaussian": {}}


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
#: near t* (B1), so |S_min| ~ t*/|u|; a factor 3 either way covers the spread of |u_i|.
NORM_RATIO_SLACK = 3.0
#: The whitened SVM is the alpha -> 0+ limit if 1-cos to it keeps falling along
#: LIMIT_ALPHAS and, where the jump is asserted, ends 10x below the Euclidean SVM's
#: (measured 25-75x at alpha=1e-8; the gap closes only like 1/log^2(1/alpha)).
LIMIT_FACTOR = 10.0


def evaluate_b6(panel: dict, alphas, *, jump_panels=None) -> dict:
    """Verdict pieces of B6 from sweeps (separate so tests can feed bad sweeps).

    ``jump_panels`` lists the keys where the jump is asserted (default: all). Returns
    ``(evidence, {key: (mean flatness, SE)})``.
    """
    comp = compile_binary("quadratic")
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
def check_b6(full: bool = False, report_dir=None, *, solver=None) -> CheckResult:
    alphas = default_alphas(full)
    nt, dt, t_seeds = (1500, 1000, 3) if full else (300, 200, 5)
    ng = 2000 if full else 200
    gauss_d = [200, 1400, 1800] if full else [20, 140, 180]
    g_seeds = 1 if full else 3
    d2_ns, d2_seeds = ([100, 1000, 10_000, 100_000], 12) if full else ([100, 1000, 10_000], 12)
    with blas_single_thread():
        panel = noise_panel(nt, dt, NOISES, alphas, n_seeds=t_seeds, seed=61, solver=solver)
        gauss = {f"gaussian sigma_f=0.5 d={d}": sweeps for d, sweeps in gaussian_panel(
            ng, gauss_d, alphas, n_seeds=g_seeds, seed=62, solver=solver).items()}
        d2 = d2_log_max_stats(d2_panel(d2_ns, alphas, n_seeds=d2_seeds, seed=63,
                                       solver=solver))
    # The jump is asserted where many points must be separated (lambda >= 2/3); at
    # lambda = 0.1 the data are barely separable and the two SVMs nearly coincide.
    strong = list(panel) + [k for k in gauss if int(k.split("d=")[1]) / ng >= 0.6]
    ev, flat = evaluate_b6(panel | gauss, alphas, jump_panels=strong)
    order = nu_ordering({k: flat[k] for k in NOISES})
    ev.update(order)
    for n, (m, se) in d2.items():
        ev[f"d=2 gaussian N={n}: geometric-mean max tan(theta) (x/ 10^SE)"] = \
            f"{10 ** m:.4f} (x/ {10 ** se:.2f})"
    ev["d=2 slope of log tan(theta) vs log N (theory -1/2)"] = d2_slope(d2)
    (m_lo, se_lo), (m_hi, se_hi) = d2[d2_ns[0]], d2[d2_ns[-1]]
    d2_ok = m_lo - m_hi > 3.0 * math.hypot(se_lo, se_hi)
    ev["d=2: plateau flatter for larger N"] = bool(d2_ok)
    passed = (ev["jump >> plateau variation"] and ev["|S_min| varies >= 100x, ~ t*"]
              and ev["alpha->0+ limit is the whitened SVM"] and d2_ok)
    # Measured: at d=200 (5 seeds) and at the paper's d=1000 (3 seeds) alike, the
    # seed-to-seed scatter of the flatness (SD ~0.01-0.02) is as large as the differences
    # between the noise laws, and the order of the means changes with the seeds.
    note = (f"nu ordering of flatness (2.1 > 3 > 20 > Gaussian) is reported, not asserted: "
            f"with {t_seeds} seeds at d={dt}, N={nt} the scatter of the flatness is as large "
            "as the differences between noise laws; the verdict rests on the jump, the norm "
            "range, the alpha->0+ limit and the d=2 N-dependence")
    figures = _plot_b6(panel, gauss, d2, alphas, report_dir, (nt, dt), ng) \
        if report_dir is not None else []
    return CheckResult(
        "B6", "alpha-insensitivity plateau", ev,
        "flatness = max-min of cos(S_min, e1) over alpha in [1e-3, 0.9]; jump = cos at "
        "alpha=1e-5 minus the alpha=0 (max-margin) cos: mean|jump| - mean flatness > 3 "
        "combined SE for every noise law (lambda=2/3) and Gaussian lambda >= 0.7; "
        "|S_min| max/min >= 100 and within 3x of t*(1e-5)/t*(0.9); 1-cos to the whitened "
        f"SVM decreasing along alpha={LIMIT_ALPHAS} (and, where the jump is asserted, "
        f"{LIMIT_FACTOR:g}x below the Euclidean SVM's); d=2: mean log10 max tan(theta) at "
        "the largest N below the smallest N's by 3 combined SE",
        bool(passed), figures=figures, note=note)


def _plot_b6(panel, gauss, d2, alphas, report_dir, size_t, ng):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(19, 4.2))
    x0 = float(np.min(alphas)) / 10  # where alpha = 0 is drawn
    for ax, group, title in ((axes[0], panel, f"Student-t / Gaussian, N={size_t[0]}, "
                              f"d={size_t[1]}, mu_f=sigma_f=sigma_n=1"),
                             (axes[2], gauss, f"Gaussian, N={ng}, sigma_f=0.5, sigma_n=1")):
        for j, (key, sweeps) in enumerate(group.items()):
            c = np.mean([s.cos for s in sweeps], axis=0)
            ax.semilogx(alphas, c, "o-", ms=3, color=f"C{j}", label=key)
            ax.semilogx([x0], [np.mean([s.cos0 for s in sweeps])], "*", ms=10, color=f"C{j}")
        ax.axvspan(*PLATEAU_RANGE, color="grey", alpha=0.1)
        ax.set_xlabel(f"alpha  (star at {x0:g}: alpha=0, max-margin)")
        ax.set_ylabel("cos(S_min, e1)")
        ax.set_title("B6: " + title, fontsize=8)
        ax.legend(fontsize=6)
    ax = axes[1]
    for j, (key, sweeps) in enumerate(panel.items()):
        ax.loglog(alphas, np.mean([s.norm for s in sweeps], axis=0), "o-", ms=3,
                  color=f"C{j}", label=key)
    comp = compile_binary("quadratic")
    ax.loglog(alphas, comp.target(alphas), "k--", lw=0.8, label="t*(alpha)")
    ax.set_xlabel("alpha")
    ax.set_ylabel("|S_min|")
    ax.legend(fontsize=6)
    ax = axes[3]
    ns = sorted(d2)
    gm = np.array([10 ** d2[n][0] for n in ns])
    lo = gm - np.array([10 ** (d2[n][0] - d2[n][1]) for n in ns])
    hi = np.array([10 ** (d2[n][0] + d2[n][1]) for n in ns]) - gm
    ax.errorbar(ns, gm, yerr=[lo, hi], fmt="o-", label="geometric mean over draws")
    ax.plot(ns, gm[0] * np.sqrt(ns[0] / np.asarray(ns, float)), "k--", lw=0.8,
            label="N^-1/2")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N  (d=2, Gaussian, mu_f=sigma_f=sigma_n=1)")
    ax.set_ylabel("max_alpha tan(theta) to quadratic minimiser")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, report_dir, "B6_plateau")


# --------------------------------------------------------------------------------------
# B12.
# --------------------------------------------------------------------------------------

#: Small-sigma_f fit range (linear regime) and the wider range drawn in the figure.
SIGMA_F_SMALL = (0.0, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2)
SIGMA_F_WIDE = (0.3, 0.5, 0.75, 1.0, 1.5)


def linear_response_slope(base) -> float:
    r""":math:`b_0 = \sigma_n\|[(U_0^\top U_0)^{-1}U_0^\top z]_\perp\|` of the module
    docstring: :math:`dC/d\sigma_f` at :math:`\sigma_f = 0` for the draw ``base``."""
    U0 = base.rescaled(sigma_f=0.0).u
    z = base.y * base.xi_f
    beta = np.linalg.lstsq(U0, z, rcond=None)[0]
    return float(base.sigma_n * np.linalg.norm(beta[1:]))


def sigma_f_scan(base, sigma_fs, *, alpha=0.4, regularizer="quadratic", solver=None):
    r"""``(S1, |S_perp|, C)`` arrays over ``sigma_fs`` for the same draw rescaled
    (common random numbers: only :math:`\sigma_f` multiplies the stored :math:`\xi_f`)."""
    solver = solver or exact_solver
    S1, Sp = [], []
    for sf in sigma_fs:
        S = np.asarray(solver(base.rescaled(sigma_f=float(sf)).u, regularizer, alpha),
                       dtype=float)
        S1.append(float(S[0]))
        Sp.append(float(np.linalg.norm(S[1:])))
    S1, Sp = np.array(S1), np.array(Sp)
    return S1, Sp, base.sigma_n * Sp / S1


def _linfit(x, y):
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    ss = float(((y - y.mean()) ** 2).sum())
    return float(a), float(b), 1.0 - float(resid @ resid) / ss if ss > 0 else 0.0


#: C(0) = 0 to solver precision (B7: S_perp <= 1e-8 S_1 at sigma_f = 0).
C0_TOL = 1e-8
#: Straight line over sigma_f <= 0.2: C/sigma_f drifts by <= ~3% there (the O(sigma_f^2)
#: term), which costs R^2 only ~1e-4.
LINEAR_R2 = 0.999
#: C(0.01)/0.01 vs b_0: the next order is ~0.3 b_0 sigma_f relative, i.e. 0.3% at 0.01.
SLOPE_RTOL = 0.01
#: S_1 "constant": first order O(sigma_f/sqrt(N-d)) ~ 2% plus second order ~4% at 0.2.
S1_RTOL = 0.10


def evaluate_b12(sigma_fs, S1, Sp, C, b0) -> dict:
    """Verdict pieces of B12 for one draw (tests feed bad scans)."""
    x = np.asarray(sigma_fs, dtype=float)
    a, b, r2 = _linfit(x, C)
    _, bp, r2p = _linfit(x, Sp)
    k = int(np.argmin(np.where(x > 0, x, np.inf)))
    ev = {"C(0)": float(C[0]), "C fit intercept": a, "C fit slope": b, "C fit R^2": r2,
          "|S_perp| fit R^2": r2p, "linear-response slope b0": b0,
          f"C({x[k]:g})/{x[k]:g} / b0": float(C[k] / x[k] / b0),
          "max |S1/S1(0) - 1|": float(np.max(np.abs(S1 / S1[0] - 1)))}
    ev["ok"] = bool(C[0] <= C0_TOL and r2 >= LINEAR_R2 and r2p >= LINEAR_R2
                    and abs(C[k] / x[k] / b0 - 1) <= SLOPE_RTOL
                    and ev["max |S1/S1(0) - 1|"] <= S1_RTOL)
    return ev


def b12_scans(n, d, *, n_seeds, seed, alpha=0.4, mu_f=1.0, sigma_n=1.0, solver=None):
    r"""B12 for ``n_seeds`` draws: ``(grid, small, scans)`` with ``grid`` the
    :math:`\sigma_f` values (:data:`SIGMA_F_SMALL` then :data:`SIGMA_F_WIDE`), ``small`` the
    mask of the linear range, and per draw (the :math:`\sigma_f = 0` draw rescaled, common
    random numbers) a dict with ``S1``, ``Sperp``, ``C`` (arrays over ``grid``), the
    linear-response slope ``b0`` and the :func:`evaluate_b12` ``evaluation`` of the small
    range."""
    grid = np.array(SIGMA_F_SMALL + SIGMA_F_WIDE)
    small = np.isin(grid, SIGMA_F_SMALL)
    scans = []
    for s in seeds(seed, n_seeds):
        base = binary_signal_noise(n, d, mu_f=mu_f, sigma_f=0.0, sigma_n=sigma_n, seed=s)
        S1, Sp, C = sigma_f_scan(base, grid, alpha=alpha, solver=solver)
        b0 = linear_response_slope(base)
        ev = evaluate_b12(grid[small], S1[small], Sp[small], C[small], b0)
        scans.append({"S1": S1, "Sperp": Sp, "C": C, "b0": b0, "evaluation": ev})
    return grid, small, scans


@register("B12", "sigma_n=1, alpha=0.4: S1 ~ const, |S_perp| and C = sigma_n|S_perp|/S1 "
                 "linear in small sigma_f")
def check_b12(full: bool = False, report_dir=None, *, solver=None) -> CheckResult:
    n, d = (2000, 1400) if full else (300, 210)
    n_seeds = 3 if full else 4
    ev, scans, b0s, ok = {}, [], [], True
    target = compile_binary("quadratic").target(0.4)
    with blas_single_thread():
        grid, _, runs = b12_scans(n, d, n_seeds=n_seeds, seed=121, alpha=0.4, solver=solver)
    for j, sc in enumerate(runs):
        e = dict(sc["evaluation"])
        ok &= e.pop("ok")
        for key, v in e.items():
            ev[f"seed {j}: {key}"] = v
        ev[f"seed {j}: S1(0) vs t*/mu_f"] = f"{sc['S1'][0]:.6f} vs {target:.6f}"
        scans.append((sc["S1"], sc["Sperp"], sc["C"], sc["b0"]))
        b0s.append(sc["b0"] * sc["b0"])
    m, se = mean_and_sem(b0s)
    ev["mean b0^2 (theory (d-1)/(N-d-1))"] = (f"{m:.3f} +- {se:.3f} "
                                              f"({inverse_wishart_trace(n, d):.3f})")
    figures = _plot_b12(grid, scans, report_dir, n, d) if report_dir is not None else []
    return CheckResult(
        "B12", "sigma_f dependence of S1, |S_perp| and C", ev,
        f"per draw, sigma_f <= {max(SIGMA_F_SMALL)} (common random numbers): C(0) <= "
        f"{C0_TOL:g} (B7); linear fits of C and |S_perp| with R^2 >= {LINEAR_R2}; "
        f"C(0.01)/0.01 within {SLOPE_RTOL:.0%} of the linear-response slope b0 (O(sigma_f) "
        f"correction); max |S1/S1(0)-1| <= {S1_RTOL:.0%} (first order O(sigma_f/sqrt(N-d)) + "
        "second order)", bool(ok), figures=figures)


def _plot_b12(grid, scans, report_dir, n, d):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for j, (S1, Sp, C, b0) in enumerate(scans):
        axes[0].plot(grid, C, "o-", ms=3, color=f"C{j}", label=f"seed {j}")
        axes[0].plot(grid, b0 * grid, "--", lw=0.8, color=f"C{j}")
        axes[1].plot(grid, S1, "o-", ms=3, color=f"C{j}")
        axes[1].plot(grid, Sp, "s--", ms=3, color=f"C{j}")
    axes[0].axvspan(0, max(SIGMA_F_SMALL), color="grey", alpha=0.1)
    axes[0].set_xlabel(f"sigma_f  (N={n}, d={d}, sigma_n=1, alpha=0.4, mu_f=1)")
    axes[0].set_ylabel("C = sigma_n |S_perp| / S1  (dashed: b0 sigma_f)")
    axes[0].set_title("B12: C linear in small sigma_f")
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("sigma_f")
    axes[1].set_ylabel("S1 (o, solid), |S_perp| (s, dashed)")
    axes[1].set_title("S1 ~ constant, |S_perp| ~ linear for small sigma_f")
    fig.tight_layout()
    return save_figure(fig, report_dir, "B12_sigma_f")
