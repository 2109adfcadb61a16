r"""Real-data figures (issue 7): ``R1`` (accuracy vs :math:`\alpha`) and ``R2`` (accuracy
vs the orthogonal rescaling :math:`\gamma`), the offline stand-ins for App. E.6.1.

Both reuse :mod:`numerics.claims.realdata` (data, grids and drawing; scikit-learn's digits, breast-cancer and
wine data; :math:`\lambda = d/N = 1/2`, standardised on train, quadratic :math:`f = \|z\|^2`
with bias, :math:`\alpha = 0` = multiclass hard-margin SVM on :math:`(x, 1)`).

* **R1**. Test accuracy :math:`A(\alpha)` on a log grid of :math:`\alpha > 0` (markers)
  and :math:`A(0)` (dashed line), per data set, with the jump
  :math:`\Delta = A(\alpha_{min}) - A(0)`, its paired standard error and the plateau
  spread; a second panel shows the cosine of the class-centred :math:`[W, b]` with the
  :math:`\alpha = 0` direction (the jump of the minimiser itself, free of test noise).
* **R2**. Test accuracy after :math:`x \mapsto (I-P_\perp)x + \gamma P_\perp x` for the
  regularised probe (:math:`\alpha = 0.2`, flat to solver precision) and for max-margin.

Sizes: ``"test"`` (three small data sets, a 4-point :math:`\alpha` grid and 3
:math:`\gamma`, ~1 s), ``"default"`` (all four data sets, 8 :math:`\alpha` in
:math:`[10^{-4}, 0.5]`, 6 :math:`\gamma` in :math:`[0.25, 8]`), ``"full"`` (13
:math:`\alpha` in :math:`[10^{-5}, 0.5]`, 8 :math:`\gamma` in :math:`[1/8, 16]`).
"""

from __future__ import annotations

import numpy as np

from numerics.claims import realdata as rd
from numerics.figures._registry import check_size, figure

__all__ = ["fig_r1", "fig_r2", "R_SETTINGS"]

_ALL = tuple(rd.DATASETS)
_SMALL = ("digits-3v8", "breast_cancer", "wine")
R_SETTINGS = {
    "test": dict(datasets=_SMALL, alphas=(1e-4, 1e-3, 1e-2, 0.3), gammas=(0.25, 1.0, 8.0)),
    # the grids of check_r1 / check_r2 (and their --full versions)
    "default": dict(datasets=_ALL, alphas=tuple(rd.alpha_grid(*rd.R1_ALPHA_GRID)),
                    gammas=rd.GAMMAS),
    "full": dict(datasets=_ALL, alphas=tuple(rd.alpha_grid(*rd.R1_ALPHA_GRID_FULL)),
                 gammas=rd.GAMMAS_FULL),
}


def _plain(r):
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()}


@figure("R1", "R1 real data: linear-probe test accuracy vs alpha (quadratic logit "
              "regularisation) against alpha=0 (max-margin), digits/breast-cancer/wine, "
              "lambda=1/2", claims=("R1",))
def fig_r1(size: str = "default") -> dict:
    r"""Data of figure R1: per data set the :func:`~numerics.claims.realdata.alpha_curve`
    record (``alphas``, ``accuracy``, ``accuracy_0``, ``jump``, ``jump_se``,
    ``plateau_spread``, ``jump_then_plateau``, ``cos_to_unregularised``, sizes) and the
    effective noise amplitudes."""
    s = R_SETTINGS[check_size(size, "fig_r1")]
    table = rd.r1_table(s["datasets"], np.asarray(s["alphas"]))
    return {"settings": {"datasets": list(s["datasets"]), "alphas": list(s["alphas"]),
                         "lambda": 0.5, "regularizer": "quadratic", "seed": 0},
            "curves": {name: _plain(r) for name, r in table.items()},
            "noise": {name: rd.dataset_noise(name) for name in s["datasets"]}}


@fig_r1.drawer
def _draw_r1(data):
    return rd.draw_r1(data["curves"])


@figure("R2", "R2 real data: test accuracy after rescaling the component orthogonal to "
              "the class-mean span by gamma, regularised (alpha=0.2) vs max-margin",
        claims=("R2",))
def fig_r2(size: str = "default") -> dict:
    r"""Data of figure R2: per data set the :func:`~numerics.claims.realdata.gamma_curve`
    record (``gammas``, ``reg_accuracy``, ``mm_accuracy``, ``reg_logit_change``,
    ``mm_logit_change``, label flips, sizes)."""
    s = R_SETTINGS[check_size(size, "fig_r2")]
    table = rd.r2_table(s["datasets"], s["gammas"])
    return {"settings": {"datasets": list(s["datasets"]), "gammas": list(s["gammas"]),
                         "alpha": rd.R2_ALPHA, "lambda": 0.5, "seed": 0,
                         "projector": "train class means"},
            "curves": {name: _plain(r) for name, r in table.items()}}


@fig_r2.drawer
def _draw_r2(data):
    return rd.draw_r2(data["curves"], data["settings"]["alpha"])
