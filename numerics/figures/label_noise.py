r"""Figure of claim G3 (label smoothing under label noise, a measurement): the
``G3_label_noise_benefit`` report figure of :func:`numerics.claims.label_noise.check_g3_map`.

Top row: the benefit :math:`A_{reg} - A_{\alpha=0}` of label smoothing and quadratic
``f`` (:math:`\alpha = 0.2`) against the label-noise rate :math:`\eta`, per
:math:`\sigma_n`; bottom row: the clean-sample logit dilation of the three methods; one
column per :math:`\lambda` (mean :math:`\pm` SEM over the seeds).
"""

from __future__ import annotations

from numerics.figures._registry import pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["draw_g3"]


@claim_figure("G3_label_noise_benefit")
def draw_g3(data):
    """Benefit and dilation vs eta, one column per lambda panel."""
    plt = pyplot()
    panels, etas, sigma_ns = data["panels"], data["etas"], data["sigma_ns"]
    fig, axes = plt.subplots(2, len(panels), figsize=(5.2 * len(panels), 7.5), squeeze=False)
    for col, panel in enumerate(panels):
        label, stats = panel["label"], panel["stats"]
        ax, axd = axes[0, col], axes[1, col]
        for j, sn in enumerate(sigma_ns):
            for m, style in (("label_smoothing", "o-"), ("quadratic", "s--")):
                mean, sem = stats[m]["benefit"]
                ax.errorbar(etas, mean[:, j], yerr=sem[:, j], fmt=style, ms=3, capsize=2,
                            label=f"{m}, sigma_n={sn}")
            for m, style in (("max-margin", "x:"), ("label_smoothing", "o-"),
                             ("quadratic", "s--")):
                mean, sem = stats[m]["dil"]
                axd.errorbar(etas, mean[:, j], yerr=sem[:, j], fmt=style, ms=3, capsize=2,
                             label=f"{m}, sigma_n={sn}")
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_title(f"G3 {label}: benefit A_reg - A_(alpha=0)")
        ax.set_xlabel("label noise eta")
        axd.set_title(f"G3 {label}: clean-sample logit dilation")
        axd.set_xlabel("label noise eta")
        axd.set_yscale("log")
    axes[0, 0].set_ylabel("test accuracy difference (mean +- sem)")
    axes[1, 0].set_ylabel("dilation (std / half class distance)")
    axes[0, 0].legend(fontsize=6)
    axes[1, 0].legend(fontsize=5, ncol=2)
    s = data["settings"]
    fig.suptitle(f"G3: label-noise benefit map, N={s['n']}, sigma_f={s['sigma_f']}, "
                 f"alpha={s['alpha']}, {s['n_seeds']} seeds", fontsize=9)
    fig.tight_layout()
    return fig
