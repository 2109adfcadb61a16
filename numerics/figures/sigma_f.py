r"""Figure 20 of claim B12 (:math:`\sigma_f` dependence), also the ``B12_sigma_f`` report
figure of :func:`numerics.claims.sigma_f.check_b12` (one drawer, one data layout:
:func:`numerics.claims.sigma_f.b12_data`).

:math:`\sigma_n = 1`, :math:`\alpha = 0.4`, each draw rescaled in :math:`\sigma_f`:
:math:`S_1 \approx t^*/\mu_f` constant, :math:`\|S_\perp\|` and
:math:`C = \sigma_n\|S_\perp\|/S_1` linear in small :math:`\sigma_f`, with the
linear-response slope :math:`C \approx b_0\sigma_f`
(:func:`~numerics.claims.sigma_f.linear_response_slope`; docs/theory.md §2).
"""

from __future__ import annotations

import numpy as np

from numerics.claims import sigma_f as sf
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig20"]


@figure("20", "B12 sigma_f dependence (sigma_n=1, alpha=0.4): S1 ~ t*/mu_f constant, "
              "|S_perp| and C = sigma_n |S_perp|/S1 linear in small sigma_f",
        claims=("B12",))
def fig20(size: str = "default") -> dict:
    r"""Data of Fig. 20 (claim B12): :func:`~numerics.claims.sigma_f.b12_data` at
    :data:`~numerics.claims.sigma_f.SIZES` ``size`` (``sigma_fs``, ``small``, ``scans`` per
    draw with ``S1``, ``Sperp``, ``C``, ``b0`` and ``evaluation``, ``target``
    :math:`t^*(0.4)/\mu_f`, ``b0_sq_theory`` and the settings)."""
    return sf.b12_data(sf.SIZES[check_size(size, "fig20")])


@claim_figure("B12_sigma_f")
@fig20.drawer
def _draw_fig20(data):
    r"""Fig. 20, also the report figure of :func:`~numerics.claims.sigma_f.check_b12`:
    :math:`S_1`, :math:`\|S_\perp\|` and :math:`C` against :math:`\sigma_f` per draw, with the
    linear-response lines :math:`b_0\sigma_f`."""
    plt = pyplot()
    s = data["settings"]
    x = np.asarray(data["sigma_fs"], dtype=float)
    xs = x[np.asarray(data["small"], dtype=bool)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.6))
    for j, sc in enumerate(data["scans"]):
        col = f"C{j}"
        a1.plot(x, sc["S1"], "o-", ms=3, color=col, label=f"S1, draw {j}")
        a1.plot(x, sc["Sperp"], "s--", ms=3, color=col, label=f"|S_perp|, draw {j}")
        a2.plot(x, sc["C"], "o-", ms=3, color=col,
                label=f"draw {j}: R^2 (sigma_f<={xs.max():g}) = "
                      f"{sc['evaluation']['C fit R^2']:.5f}")
        a2.plot(x, sc["b0"] * x, ":", color=col, lw=1.0,
                label=f"b0 sigma_f, b0 = {sc['b0']:.3f} (linear response)")
    a1.axhline(data["target"], color="k", lw=0.8, ls="-.",
               label=f"t*(alpha)/mu_f = {data['target']:.4f} (sigma_f = 0, B7)")
    for ax in (a1, a2):
        ax.axvspan(0.0, float(xs.max()), color="grey", alpha=0.1)
        ax.set_xlabel("sigma_f (signal-direction noise), same draw rescaled")
        ax.legend(fontsize=7)
    a1.set_ylabel("S1 = S_min . e1 and |S_perp|")
    a1.set_title("S1 ~ constant, |S_perp| grows linearly for small sigma_f (shaded)",
                 fontsize=9)
    a2.set_ylabel("C = sigma_n |S_perp| / S1")
    a2.set_title(f"C linear in sigma_f; mean b0^2 theory (d-1)/(N-d-1) = "
                 f"{data['b0_sq_theory']:.3f}", fontsize=9)
    fig.suptitle(f"Fig. 20 (B12): N={s['n']}, d={s['d']}, mu_f={s['mu_f']:g}, "
                 f"sigma_n={s['sigma_n']:g}, alpha={s['alpha']:g}, f(t)=t^2, "
                 f"{s['n_seeds']} draws", fontsize=9)
    fig.tight_layout()
    return fig
