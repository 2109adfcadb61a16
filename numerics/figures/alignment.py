r"""Fig. 19 (claim B9, Eqs 4-5): the alignment law on fresh draws per :math:`\sigma_n`,
:math:`\alpha = 0.2`, at :data:`numerics.claims.invariance.SIZES` (the check's Eq. 4 fit):

.. math:: \frac1{\rho^2} = 1 + \frac{C^2}{\sigma_n^2},\qquad \rho = \cos(S_{min}, e_1),

fitted line and :math:`R^2`, against the CGMT value :math:`C = \sigma_f\sqrt{1/\rho_v^2 - 1}`
(:math:`\rho_v` the cosine in the isotropic coordinates, A1); and Eq. 5 with Eq. 4
substituted (:math:`\sigma_n` cancels), :math:`A = \Phi(\mu_f/\sqrt{\sigma_f^2 + C^2})`,
against the measured accuracies (formulas: :mod:`numerics.models.accuracy`).
"""

from __future__ import annotations

import math

import numpy as np

from numerics.asymptotics import predict
from numerics.models.accuracy import alignment_accuracy, alignment_constant, gaussian_accuracy
from numerics.claims import invariance as inv
from numerics.claims.clustering import blas_single_thread
from numerics.figures._registry import check_size, figure, pyplot

__all__ = ["fig19"]

REGULARIZER = "quadratic"


@figure("19", "B9 alignment law: 1/rho^2 linear in 1/sigma_n^2 (Eq. 4) with fit and R^2; "
              "Eq. 5 accuracy (sigma_n cancelled) vs measured", claims=("B9",))
def fig19(size: str = "default") -> dict:
    r"""Data of Fig. 19 (claim B9, Eqs 4-5) at ``invariance.SIZES[size]``.

    Returns ``sigma_ns``, ``x`` (:math:`1/\sigma_n^2`), ``inv_rho2`` (:math:`1/\rho^2`,
    mean over ``reps`` fresh draws), ``rho``, ``r2``, ``intercept`` (theory 1), ``C`` (fit:
    slope :math:`C^2`), ``C_cgmt`` (A1), ``accuracy_measured`` (Eq. 5 at each measured
    :math:`\rho`: the exact population accuracy of the draw when ``reps = 1``, of the
    seed-averaged alignment otherwise), ``accuracy_eq5`` (:math:`\Phi(\mu_f/
    \sqrt{\sigma_f^2+C^2})`), ``accuracy_cgmt`` and the settings.
    """
    sizes = inv.SIZES[check_size(size, "fig19")]
    alpha, mu_f, sigma_f = inv.ALPHA, inv.MODEL["mu_f"], inv.MODEL["sigma_f"]
    sn = inv.alignment_grid(sizes)
    with blas_single_thread():
        r2, a, C, rhos = inv.alignment_fit(sizes["fit_n"], sizes["fit_d"], sn, alpha=alpha,
                                           sigma_f=sigma_f, seed=inv.FIT_SEED,
                                           reps=sizes["reps"])
    rhos = np.asarray(rhos, dtype=float)
    measured = np.array([gaussian_accuracy(np.array([r, math.sqrt(max(0.0, 1 - r * r))]),
                                           mu_f=mu_f, sigma_f=sigma_f, sigma_n=x)
                         for r, x in zip(rhos, sn)])
    n, d = sizes["fit_n"], sizes["fit_d"]
    pred = predict(REGULARIZER, alpha, d / n, mu_f / sigma_f, certify=False)
    s = dict(n=n, d=d, sigma_ns=list(sn), reps=sizes["reps"], seed=inv.FIT_SEED, alpha=alpha,
             sigma_f=sigma_f, mu_f=mu_f, regularizer=REGULARIZER)
    return {"settings": s, "sigma_ns": sn, "x": 1.0 / sn**2, "inv_rho2": 1.0 / rhos**2,
            "rho": rhos, "r2": r2, "intercept": a, "C": C,
            "C_cgmt": alignment_constant(pred.cosine, sigma_f),
            "accuracy_measured": measured,
            "accuracy_eq5": alignment_accuracy(C, mu_f, sigma_f),
            "accuracy_cgmt": pred.accuracy}


@fig19.drawer
def _draw_fig19(data):
    plt = pyplot()
    s = data["settings"]
    fig, (ax, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.6))
    x = np.asarray(data["x"], dtype=float)
    xs = np.linspace(0.0, float(x.max()) * 1.05, 50)
    ax.plot(x, data["inv_rho2"], "o", label=f"measured (mean of {s['reps']} fresh draws)")
    ax.plot(xs, data["intercept"] + data["C"] ** 2 * xs, "-",
            label=f"fit {data['intercept']:.3f} + {data['C']:.3f}^2 x, R^2 = {data['r2']:.4f}")
    ax.plot(xs, 1.0 + data["C_cgmt"] ** 2 * xs, "k--", lw=0.8,
            label=f"Eq. 4 with CGMT C = {data['C_cgmt']:.3f}")
    ax.set_xlabel("1 / sigma_n^2")
    ax.set_ylabel("1 / rho^2,  rho = cos(S_min, e1)")
    ax.set_title("Eq. 4: 1/rho^2 = 1 + C^2/sigma_n^2", fontsize=8)
    ax.legend(fontsize=7)
    sn = np.asarray(data["sigma_ns"], dtype=float)
    ax_acc.plot(sn, data["accuracy_measured"], "o", label="measured (Eq. 5 at measured rho)")
    ax_acc.axhline(data["accuracy_eq5"], color="tab:orange",
                   label="Eq. 5 + Eq. 4: Phi(mu_f/sqrt(sigma_f^2+C^2)) = "
                         f"{data['accuracy_eq5']:.4f}")
    ax_acc.axhline(data["accuracy_cgmt"], color="k", ls="--", lw=0.8,
                   label=f"CGMT (A1) = {data['accuracy_cgmt']:.4f}")
    ax_acc.set_xlabel("orthogonal noise sigma_n (fresh draws)")
    ax_acc.set_ylabel("test accuracy (exact Gaussian)")
    ax_acc.set_title("Eq. 5: sigma_n cancels", fontsize=8)
    lo = min(float(np.min(data["accuracy_measured"])), data["accuracy_cgmt"]) - 0.02
    hi = max(float(np.max(data["accuracy_measured"])), data["accuracy_cgmt"]) + 0.02
    ax_acc.set_ylim(lo, hi)
    ax_acc.legend(fontsize=7)
    fig.suptitle(f"Fig. 19 (B9): alignment law, d={s['d']}, N={s['n']}, sigma_f={s['sigma_f']}, "
                 f"mu_f={s['mu_f']:g}, alpha={s['alpha']}, f = t^2", fontsize=9)
    fig.tight_layout()
    return fig
