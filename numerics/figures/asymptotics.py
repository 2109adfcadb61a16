r"""Report figures of the proportional-limit claims (:mod:`numerics.claims.asymptotic_checks`):
``A1_convergence`` (finite-size gap to the CGMT prediction vs d), ``A2_separability``
(LP-separable fraction of :math:`v = \kappa e_1 + g` vs :math:`\lambda = d/N` against
:math:`\lambda_{sep}(\kappa)`) and ``A4_benefit`` (the analytic B10 diagram over
simulations).
"""

from __future__ import annotations

import numpy as np

from numerics.figures._registry import pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["draw_a1", "draw_a2", "draw_a4"]


@claim_figure("A1_convergence")
def draw_a1(data):
    """Mean ``|prediction - simulation|`` and mean standard error vs d (log-log)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.loglog(data["ds"], data["gaps"], "o-", label="mean |pred - sim|")
    ax.loglog(data["ds"], data["mean_se"], "s--", label="mean SE")
    ax.set_xlabel("d")
    ax.set_ylabel("accuracy gap")
    ax.set_title("A1: finite-size convergence to the CGMT prediction")
    ax.legend()
    return fig


@claim_figure("A2_separability")
def draw_a2(data):
    """P(separable) vs lambda per d, with the CGMT threshold."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for d, fr in data["fractions"].items():
        ax.plot(data["lams"], fr, "o-", label=f"LP separable, d={d}")
    ax.axvline(data["lam_sep"], color="k", ls=":", label="lambda_sep (CGMT)")
    ax.set_xlabel(f"lambda = d/N (kappa={data['kappa']:g})")
    ax.set_ylabel("P(separable)")
    ax.legend()
    return fig


@claim_figure("A4_benefit")
def draw_a4(data):
    """Max-margin theory line, regularised theory level, crossing and the simulations
    (3 SE bars) vs sigma_n."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for p in data["panels"]:
        sf = p["sigma_f"]
        ax.plot(data["theory_sigma_ns"], p["mm_theory"], "-", label=f"max-margin theory sf={sf}")
        ax.axhline(p["reg_acc"], ls="--", color="grey")
        ax.axvline(p["star"], ls=":", color="k")
        arr = np.asarray(p["sims"])
        ax.errorbar(arr[:, 0], arr[:, 1], 3 * arr[:, 2], fmt="s", label=f"regularised sim sf={sf}")
        ax.errorbar(arr[:, 0], arr[:, 3], 3 * arr[:, 4], fmt="o", label=f"max-margin sim sf={sf}")
    ax.set_xscale("log")
    ax.set_xlabel("sigma_n")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"A4: benefit diagram, lam={data['lam']}, alpha={data['alpha']}")
    ax.legend(fontsize=6)
    return fig
