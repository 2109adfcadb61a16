r"""Report figure of claim G1 (implicit bias of GD toward the multiclass SVM).

``G1_implicit_bias``: for each exponential-tailed PERM loss the direction gap
:math:`\delta_t = \|W_t/\|W_t\|_F - \hat W/\|\hat W\|_F\|_F` against the GD step (log-log),
and its two normalisations :math:`\delta_t\log t` (roughly constant: the :math:`1/\log t`
rate) and :math:`\delta_t\|W_t\|_F/\|\hat W\|_F`, which tends to the predicted
:math:`\|\tilde W_\perp\|_F/\|\hat W\|_F` (:func:`numerics.claims.implicit_bias_gd.asymptotic_offset`).
Data: :func:`numerics.claims.implicit_bias.g1_figure_data`.
"""

from __future__ import annotations

import numpy as np

from numerics.figures._registry import pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["draw_g1"]


@claim_figure("G1_implicit_bias")
def draw_g1(data):
    """Direction gap to the multiclass SVM and its 1/log t normalisations (claim G1)."""
    plt = pyplot()

    t = np.asarray(data["t"], dtype=float)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, gap in data["gap"].items():
        gap = np.asarray(gap)
        norms = np.asarray(data["norm"][name])
        (line,) = ax1.loglog(t, gap, label=name)
        ax2.semilogx(t, gap * np.log(t), color=line.get_color(), label=f"{name}: gap log t")
        ax2.semilogx(t, gap * norms / data["norm_hat"], ls="--", color=line.get_color(),
                     label=f"{name}: gap |W_t|/|W_hat|")
    ax2.axhline(data["C_pred"], color="k", lw=0.7, ls=":",
                label="predicted limit |W~_perp|/|W_hat|")
    ax1.set_xlabel("GD step t")
    ax1.set_ylabel("|W_t/|W_t| - W_hat/|W_hat||_F")
    ax1.set_title("G1: direction gap to the multiclass SVM", fontsize=9)
    ax2.set_xlabel("GD step t")
    ax2.set_ylabel("normalised gap")
    ax2.set_title("1/log t rate", fontsize=9)
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=6)
    fig.tight_layout()
    return fig
