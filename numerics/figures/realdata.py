r"""Real-data figures R1 (accuracy vs :math:`\alpha`) and R2 (accuracy vs the orthogonal
rescaling :math:`\gamma`), the offline stand-ins for App. E.6.1, which are also the report
figures ``R1_alpha_plateau`` and ``R2_orthogonal_rescaling`` of
:func:`numerics.claims.realdata.check_r1` and :func:`~numerics.claims.realdata.check_r2`
(one drawer and one data layout each: :func:`~numerics.claims.realdata.r1_data`,
:func:`~numerics.claims.realdata.r2_data`).

Data: scikit-learn's digits, breast-cancer and wine data; :math:`\lambda = d/N = 1/2`,
standardised on train, quadratic :math:`f = \|z\|^2` with bias, :math:`\alpha = 0` =
multiclass hard-margin SVM on :math:`(x, 1)` (docs/theory.md §5).

* **R1**. Test accuracy :math:`A(\alpha)` on a log grid of :math:`\alpha > 0` (markers)
  and :math:`A(0)` (dashed line), per data set, with the jump
  :math:`\Delta = A(\alpha_{min}) - A(0)`, its paired standard error and the plateau
  spread; a second panel shows the cosine of the class-centred :math:`[W, b]` with the
  :math:`\alpha = 0` direction (the jump of the minimiser itself, free of test noise).
* **R2**. Test accuracy after :math:`x \mapsto (I-P_\perp)x + \gamma P_\perp x` for the
  regularised probe (:math:`\alpha = 0.2`, flat to solver precision) and for max-margin.

Sizes (:data:`~numerics.claims.realdata.R1_SIZES`, :data:`~numerics.claims.realdata.R2_SIZES`):
``"test"`` (three small data sets, a 4-point :math:`\alpha` grid and 3 :math:`\gamma`,
~1 s), ``"default"`` (the checks': all four data sets, 8 :math:`\alpha` in
:math:`[10^{-4}, 0.5]`, 6 :math:`\gamma` in :math:`[0.25, 8]`), ``"full"`` (13
:math:`\alpha` in :math:`[10^{-5}, 0.5]`, 8 :math:`\gamma` in :math:`[1/8, 16]`).
"""

from __future__ import annotations

import numpy as np

from numerics.claims import realdata as rd
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig_r1", "fig_r2", "draw_r1", "draw_r2"]


def draw_r1(table):
    r"""Figure R1 of an :func:`r1_table` (or its JSON form): test accuracy against
    :math:`\alpha` (dashed: :math:`\alpha = 0`) and the cosine of the minimiser's direction
    to the :math:`\alpha = 0` direction, one colour per data set."""
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.4))
    cmap = plt.get_cmap("tab10")
    for j, (name, r) in enumerate(table.items()):
        col = cmap(j)
        a1.semilogx(r["alphas"], r["accuracy"], "o-", color=col,
                    label=f"{name} (d={r['d']}, N={r['n']}): jump {r['jump']:+.3f} "
                          f"± {r['jump_se']:.3f}, spread {r['plateau_spread']:.3f}")
        a1.axhline(r["accuracy_0"], color=col, ls="--", lw=1)
        a2.semilogx(r["alphas"], r["cos_to_unregularised"], "o-", color=col, label=name)
    a1.set_xlabel("alpha (quadratic logit regularisation, log scale)")
    a1.set_ylabel("test accuracy (dashed: alpha = 0, max-margin)")
    a1.set_title("R1: jump between alpha = 0 and alpha > 0, then plateau", fontsize=9)
    a1.legend(fontsize=6)
    a2.set_xlabel("alpha (log scale)")
    a2.set_ylabel("cos(class-centred [W, b](alpha), [W, b](alpha = 0))")
    a2.set_ylim(-0.05, 1.05)
    a2.set_title("minimiser direction vs the alpha = 0 (max-margin) direction", fontsize=9)
    a2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_r2(table, alpha=rd.R2_ALPHA):
    r"""Figure R2 of an :func:`r2_table` (or its JSON form) computed at ``alpha``: test
    accuracy against :math:`\gamma`, regularised (solid) and max-margin (dashed)."""
    from matplotlib.ticker import NullFormatter

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    cmap = plt.get_cmap("tab10")
    for j, (name, r) in enumerate(table.items()):
        col = cmap(j)
        ax.semilogx(r["gammas"], r["reg_accuracy"], "o-", color=col,
                    label=f"{name}, alpha={alpha} (max logit change {r['reg_logit_change']:.1e})")
        ax.semilogx(r["gammas"], r["mm_accuracy"], "s--", color=col,
                    label=f"{name}, max-margin ({r['mm_label_flips']} labels flip)")
    g = sorted({float(v) for r in table.values() for v in r["gammas"]})
    ax.set_xticks(g)
    ax.set_xticklabels([f"{v:g}" for v in g])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("gamma: x -> (I - P_perp) x + gamma P_perp x (log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title("R2: regularised probe invariant under orthogonal rescaling; "
                 "max-margin not", fontsize=9)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def _plain(r):
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()}


@figure("R1", "R1 real data: linear-probe test accuracy vs alpha (quadratic logit "
              "regularisation) against alpha=0 (max-margin), digits/breast-cancer/wine, "
              "lambda=1/2", claims=("R1",))
def fig_r1(size: str = "default") -> dict:
    r"""Data of figure R1: :func:`~numerics.claims.realdata.r1_data` at
    :data:`~numerics.claims.realdata.R1_SIZES` ``size``: per data set the
    :func:`~numerics.claims.realdata.alpha_curve` record (``alphas``, ``accuracy``,
    ``accuracy_0``, ``jump``, ``jump_se``, ``plateau_spread``, ``jump_then_plateau``,
    ``cos_to_unregularised``, sizes) and the effective noise amplitudes."""
    data = rd.r1_data(rd.R1_SIZES[check_size(size, "fig_r1")])
    data["curves"] = {name: _plain(r) for name, r in data["curves"].items()}
    return data


@claim_figure("R1_alpha_plateau")
@fig_r1.drawer
def _draw_r1(data):
    return draw_r1(data["curves"])


@figure("R2", "R2 real data: test accuracy after rescaling the component orthogonal to "
              "the class-mean span by gamma, regularised (alpha=0.2) vs max-margin",
        claims=("R2",))
def fig_r2(size: str = "default") -> dict:
    r"""Data of figure R2: :func:`~numerics.claims.realdata.r2_data` at
    :data:`~numerics.claims.realdata.R2_SIZES` ``size``: per data set the
    :func:`~numerics.claims.realdata.gamma_curve` record (``gammas``, ``reg_accuracy``,
    ``mm_accuracy``, ``reg_logit_change``, ``mm_logit_change``, label flips, sizes)."""
    data = rd.r2_data(rd.R2_SIZES[check_size(size, "fig_r2")])
    data["curves"] = {name: _plain(r) for name, r in data["curves"].items()}
    return data


@claim_figure("R2_orthogonal_rescaling")
@fig_r2.drawer
def _draw_r2(data):
    return draw_r2(data["curves"], data["settings"]["alpha"])
