r"""Figures of claim B13 (weight decay is not logit regularisation): Fig. 18 and the
``B13_weight_decay`` report figure of :func:`numerics.claims.weight_decay.check_b13_numeric`
-- the same picture, from :func:`numerics.claims.weight_decay.b13_figure_data`.

Weight decay :math:`\sum_i\log(1+e^{-t_i}) + \frac\gamma2\|S\|^2` (:math:`\gamma = 0.2`) vs
logit regularisation (:math:`\alpha = 0.2`) on the same draws rescaled in
:math:`\sigma_n`: weight decay moves from the Bayes accuracy :math:`\Phi(\mu_f/\sigma_f)`
(:math:`\sigma_n \to 0`) towards 1/2 (:math:`\sigma_n \to \infty`, :math:`\lambda > 1/2`),
logit regularisation is flat. Fig. 18 adds the CGMT prediction of the regularised accuracy.
"""

from __future__ import annotations

import numpy as np

from numerics.asymptotics import predict
from numerics.claims import weight_decay as wdc
from numerics.claims.clustering import blas_single_thread
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig18", "draw_b13"]


@figure("18", "B13 weight decay (gamma=0.2) accuracy depends on sigma_n; logit "
              "regularisation (alpha=0.2) does not (same draws rescaled)", claims=("B13",))
def fig18(size: str = "default") -> dict:
    r"""Data of Fig. 18 (claim B13) at ``weight_decay.SIZES[size]``:
    :func:`numerics.claims.weight_decay.b13_figure_data` plus ``cgmt_logit_reg`` (A1
    prediction of the regularised accuracy)."""
    with blas_single_thread():
        data = wdc.b13_figure_data(check_size(size, "fig18"))
    s = data["settings"]
    data["cgmt_logit_reg"] = predict(wdc.REGULARIZER, wdc.ALPHA, s["d"] / s["n"],
                                     s["mu_f"] / s["sigma_f"], certify=False).accuracy
    return data


@claim_figure("B13_weight_decay")
@fig18.drawer
def draw_b13(data):
    """Weight decay and logit-regularised accuracy vs sigma_n, with the Bayes accuracy,
    1/2 and (when given) the CGMT prediction."""
    plt = pyplot()
    s = data["settings"]
    fig, ax = plt.subplots(figsize=(7, 4.6))
    sn = np.asarray(data["sigma_ns"], dtype=float)
    ax.plot(sn, data["weight_decay"], "s--", label=f"weight decay, gamma={s['gamma']}")
    ax.plot(sn, data["logit_reg"], "o-",
            label=f"logit regularisation, alpha={s['alpha']} (f = t^2)")
    ax.axhline(data["bayes"], color="grey", ls=":",
               label=f"Bayes Phi(mu_f/sigma_f) = {data['bayes']:.4f} (WD limit sigma_n -> 0)")
    if "cgmt_logit_reg" in data:
        ax.axhline(data["cgmt_logit_reg"], color="k", lw=0.7, ls="-.",
                   label=f"CGMT prediction, logit reg. ({data['cgmt_logit_reg']:.4f})")
    ax.axhline(0.5, color="grey", lw=0.5, ls="--",
               label="1/2 (WD limit sigma_n -> inf, lambda > 1/2)")
    ax.set_xscale("log")
    ax.set_xlabel("orthogonal noise sigma_n (same draws rescaled)")
    ax.set_ylabel(f"test accuracy (exact Gaussian, mean of {s['n_seeds']} draws)")
    ax.legend(fontsize=7)
    fig.suptitle(f"B13 (Fig. 18): weight decay vs logit regularisation, d={s['d']}, N={s['n']}, "
                 f"sigma_f={s['sigma_f']}, mu_f={s['mu_f']:g}", fontsize=9)
    fig.tight_layout()
    return fig
