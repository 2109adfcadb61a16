r"""Claims B9 and B10: invariance to orthogonal noise and the benefit phase diagram.

B9 (Prop. 6.1). For :math:`\alpha > 0`, :math:`\lambda < 1` the unique minimiser is
equivariant under any invertible linear map :math:`x \mapsto Ax`
(:math:`S \mapsto A^{-\top}S`), so its predictions -- and its test accuracy -- do not depend
on :math:`\sigma_n` (rescaling :math:`\xi_\perp` of the same draw is such a map). The
max-margin solution is not equivariant. Alignment law (Eq. 4)
:math:`1/\rho^2 = 1 + C^2/\sigma_n^2`; Gaussian accuracy (Eq. 5)

.. math::
    A = \Phi\!\Bigl(\frac{S_1\mu_f}{\sqrt{S_1^2\sigma_f^2 + \|S_\perp\|^2\sigma_n^2}}\Bigr)
      = \tfrac12\Bigl[1 + \operatorname{erf}\frac{\rho\mu_f}
        {\sqrt{2(\rho^2\sigma_f^2 + (1-\rho^2)\sigma_n^2)}}\Bigr].

B10 (Sec. 6.2). Regularised accuracy is flat in :math:`\sigma_n`; the unregularised one
(gradient-descent limit: max-margin if separable, else the logistic MLE) is not; where
they cross, :math:`\sigma_n^*(\sigma_f)`, bounds the region where regularisation helps.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from core.claims import CheckResult, register

from numerics.models.data import binary_signal_noise
from numerics.solve.maxmargin import is_linearly_separable, max_margin_direction, unregularized_mle
from numerics.solve.solvers import minimize_binary
from numerics.claims._common import save_figure, seeds

__all__ = ["gaussian_accuracy", "unregularised_direction", "sigma_n_invariance",
           "equivariance_gap", "alignment_fit", "alignment_constant", "eq5_accuracy",
           "benefit_diagram", "check_b9", "check_b10"]


def gaussian_accuracy(S, *, mu_f, sigma_f, sigma_n) -> float:
    r"""Population accuracy of :math:`\operatorname{sign}(S\cdot x)` on the Gaussian model
    (Eq. 5 written in :math:`S`; exact, no sampling)."""
    s1 = float(S[0])
    spread = math.sqrt(s1 * s1 * sigma_f**2 + float(np.dot(S[1:], S[1:])) * sigma_n**2)
    return float(special.ndtr(s1 * mu_f / spread)) if spread > 0 else float(s1 > 0)


def unregularised_direction(U):
    """Limit direction of gradient descent on cross-entropy: max-margin if separable,
    else the (finite) logistic MLE."""
    if is_linearly_separable(U):
        return max_margin_direction(U).direction
    return unregularized_mle(U, check_separable=False).weights


def _solve(U, alpha, regularizer="quadratic"):
    return minimize_binary(U, regularizer, alpha).coef


def sigma_n_invariance(n, d, sigma_ns, *, alpha=0.2, seed=0, solver=None):
    """Max relative change of test logits across ``sigma_ns`` for the same draw rescaled.

    Returns ``(regularised_change, maxmargin_change)``; the first is ~1e-12 (Newton
    precision), the second O(1).
    """
    solver = solver or (lambda U: _solve(U, alpha))
    base = binary_signal_noise(n, d, sigma_f=0.5, seed=seed)
    test = base.fresh(2000, seed=seed + 1)
    logits_reg, logits_mm = [], []
    for s in sigma_ns:
        ds, ts = base.rescaled(sigma_n=s), test.rescaled(sigma_n=s)
        logits_reg.append(ts.X @ solver(ds.u))
        mm = unregularised_direction(ds.u)
        logits_mm.append(ts.X @ (mm / np.linalg.norm(mm)))

    def change(rows):
        ref = rows[0] / np.linalg.norm(rows[0])
        return max(float(np.max(np.abs(r / np.linalg.norm(r) - ref))) for r in rows[1:]) \
            * math.sqrt(len(ref))

    def sign_flips(rows):
        return max(int(np.sum(np.sign(r) != np.sign(rows[0]))) for r in rows[1:])

    return change(logits_reg), change(logits_mm), sign_flips(logits_mm)


def equivariance_gap(U, X_test, A, *, solver):
    """Max |change| of normalised test predictions when inputs are mapped by ``A``."""
    S = solver(U)
    S_A = solver(U @ A.T)
    z, z_A = X_test @ S, X_test @ A.T @ S_A
    return float(np.max(np.abs(z / np.linalg.norm(z) - z_A / np.linalg.norm(z_A)))
                 * math.sqrt(len(z)))


def alignment_fit(n, d, sigma_ns, *, alpha=0.2, sigma_f=0.5, seed=0, reps=1):
    r"""Eq. 4 with *fresh* draws per :math:`\sigma_n` (``reps`` draws averaged): least-squares
    fit of :math:`1/\rho^2 = a + C^2/\sigma_n^2`; returns ``(R^2, a, C, rhos)``."""
    inv_rho2 = []
    for j, s in enumerate(sigma_ns):
        vals = []
        for sd in seeds(seed + j, reps):
            ds = binary_signal_noise(n, d, sigma_f=sigma_f, sigma_n=s, seed=sd)
            S = _solve(ds.u, alpha)
            vals.append(float(np.dot(S, S) / S[0] ** 2))
        inv_rho2.append(float(np.mean(vals)))
    x = 1.0 / np.asarray(sigma_ns, dtype=float) ** 2
    yv = np.asarray(inv_rho2)
    slope, intercept = np.polyfit(x, yv, 1)
    resid = yv - (slope * x + intercept)
    r2 = 1.0 - float(resid @ resid) / float(((yv - yv.mean()) ** 2).sum())
    return r2, float(intercept), math.sqrt(max(slope, 0.0)), 1.0 / np.sqrt(yv)


def alignment_constant(cosine, sigma_f) -> float:
    r"""Eq. 4 inverted: the :math:`C` of :math:`1/\rho^2 = 1 + C^2/\sigma_n^2` from the
    cosine :math:`\rho_v` in the isotropic coordinates (:math:`\sigma_n = \sigma_f`),
    :math:`C = \sigma_f\sqrt{1/\rho_v^2 - 1}`."""
    return sigma_f * math.sqrt(1.0 / cosine**2 - 1.0)


def eq5_accuracy(C, mu_f, sigma_f) -> float:
    r"""Eq. 5 with Eq. 4 substituted (:math:`\sigma_n` cancels):
    :math:`A = \Phi(\mu_f/\sqrt{\sigma_f^2 + C^2})`."""
    return float(special.ndtr(mu_f / math.sqrt(sigma_f**2 + C**2)))


def benefit_diagram(n, d, sigma_fs, sigma_ns, *, alpha=0.4, n_seeds=3, seed=0, workers=1,
                    db=None):
    """Mean Gaussian accuracy (regularised, unregularised) over seeds on the grid, computed
    by the sweep engine (:func:`numerics.sweep.benefit_diagram_sweep`), so ``verify``,
    figures and ``logitreg sweep`` share one code path and one cache (``db``).

    Common random numbers: each seed's standardised draw is shared by every sigma_f,
    sigma_n and alpha, so the curves show the sigma_n-dependence itself rather than
    draw-to-draw noise (which at d ~ 100 is ~0.03 in accuracy and would mask it).
    """
    from numerics.sweep import benefit_diagram_sweep

    return benefit_diagram_sweep(n, d, sigma_fs, sigma_ns, alpha=alpha, n_seeds=n_seeds,
                                 seed=seed, workers=workers, db=db)


def crossing(sigma_ns, reg, unreg):
    """First sigma_n (log-interpolated) where the unregularised accuracy drops below the
    regularised one; ``nan`` if they do not cross on the grid."""
    diff = np.asarray(unreg) - np.asarray(reg)
    for j in range(1, len(diff)):
        if diff[j - 1] > 0 >= diff[j] or diff[j - 1] < 0 <= diff[j]:
            x0, x1 = math.log(sigma_ns[j - 1]), math.log(sigma_ns[j])
            return math.exp(x0 + diff[j - 1] * (x1 - x0) / (diff[j - 1] - diff[j]))
    return float("nan")


@register("B9", "alpha>0, lambda<1: minimiser equivariant (sigma_n-invariant); max-margin not")
def check_b9(full: bool = False, report_dir=None, *, solver=None) -> CheckResult:
    n, d = (2000, 1400) if full else (300, 150)
    sig = [0.5, 1.0, 2.0, 3.0]
    reg_change, mm_change, mm_flips = sigma_n_invariance(n, d, sig, seed=11, solver=solver)
    rng = np.random.default_rng(12)
    ds = binary_signal_noise(n, d, sigma_f=0.5, seed=13)
    X_test = ds.fresh(1000, seed=14).X
    A = rng.normal(size=(d, d)) / math.sqrt(d) + np.eye(d)
    reg_solver = solver or (lambda U: _solve(U, 0.2))
    eq_reg = equivariance_gap(ds.u, X_test, A, solver=reg_solver)
    eq_mm = equivariance_gap(ds.u, X_test, A, solver=unregularised_direction)
    grid = np.linspace(0.5, 3.0, 8 if full else 6)
    # Finite-size spread of rho is ~0.4/sqrt(d) (ASYMPTOTICS.md): the default averages
    # 3 draws per sigma_n at d=400 so that the R^2 >= 0.999 threshold measures Eq. 4, not
    # seed noise; --full uses the paper's single draws at d=1400.
    fit_n, fit_d, reps = (2000, 1400, 1) if full else (571, 400, 3)
    r2, a, C, rhos = alignment_fit(fit_n, fit_d, grid, seed=15, reps=reps)
    mu_f, sigma_f = 1.0, 0.5
    acc_eq5 = eq5_accuracy(C, mu_f, sigma_f)
    ev = {"regularised logit change across sigma_n": reg_change,
          "max-margin logit change across sigma_n": mm_change,
          "max-margin test sign flips": mm_flips,
          "equivariance gap regularised": eq_reg, "equivariance gap max-margin": eq_mm,
          "Eq.4 R^2 (fresh draws)": r2, "Eq.4 intercept (theory 1)": a, "C": C,
          "Eq.5 accuracy (sigma_n cancelled)": acc_eq5}
    # Newton to ||grad|| <= 1e-10 makes normalised logits equal to ~1e-9; max-margin moves
    # by O(1e-2..1). R^2 >= 0.999 is the threshold for Eq. 4 with fresh draws.
    passed = (reg_change < 1e-7 and eq_reg < 1e-7 and mm_change > 1e-3 and eq_mm > 1e-3
              and r2 >= 0.999)
    return CheckResult("B9", "sigma_n invariance and equivariance", ev,
                       "regularised changes < 1e-7 (solver precision); max-margin > 1e-3; "
                       "Eq. 4 fit R^2 >= 0.999", passed)


@register("B10", "benefit phase diagram: regularised accuracy flat in sigma_n, unregularised not")
def check_b10(full: bool = False, report_dir=None) -> CheckResult:
    sigma_ns = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 6.0] if full else [0.1, 0.3, 1.0, 3.0, 6.0]
    sigma_fs = [0.5, 0.8]
    settings = [("lambda=0.7", 2000, 1400), ("lambda=0.4", 2000, 800)] if full else \
        [("lambda=0.7", 200, 140), ("lambda=0.4", 200, 80)]
    ev, panels = {}, []
    flat_ok, varies_ok = True, True
    for label, n, d in settings:
        reg, unreg = benefit_diagram(n, d, sigma_fs, sigma_ns, n_seeds=6 if full else 2,
                                     seed=n + d)
        panels.append((label, reg, unreg))
        for i, sf in enumerate(sigma_fs):
            spread_reg = float(reg[i].max() - reg[i].min())
            spread_un = float(unreg[i].max() - unreg[i].min())
            ev[f"{label} sf={sf} reg spread"] = spread_reg
            ev[f"{label} sf={sf} unreg spread"] = spread_un
            ev[f"{label} sf={sf} sigma_n*"] = crossing(sigma_ns, reg[i], unreg[i])
            # Common random numbers: the regularised curve is flat to solver precision
            # (B9); the unregularised one must move by more than 0.01 in accuracy.
            flat_ok &= spread_reg < 1e-6
            varies_ok &= spread_un > 0.01
    figures = []
    if report_dir is not None:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(panels), figsize=(10, 3.8), sharey=True)
        for ax, (label, reg, unreg) in zip(np.atleast_1d(axes), panels):
            for i, sf in enumerate(sigma_fs):
                ax.semilogx(sigma_ns, reg[i], "o-", label=f"alpha=0.4, sigma_f={sf}")
                ax.semilogx(sigma_ns, unreg[i], "s--", label=f"max-margin, sigma_f={sf}")
            ax.set_title(f"B10 {label}")
            ax.set_xlabel("sigma_n")
        np.atleast_1d(axes)[0].set_ylabel("test accuracy (Gaussian, exact)")
        np.atleast_1d(axes)[0].legend(fontsize=7)
        figures = save_figure(fig, report_dir, "B10_phase_diagram")
    return CheckResult("B10", "benefit phase diagram", ev,
                       "same draws rescaled: regularised spread < 1e-6 (solver precision); unregularised > 0.01",
                       flat_ok and varies_ok, figures=figures)
