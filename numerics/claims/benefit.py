r"""Claim B10: the benefit phase diagram (Sec. 6.2, docs/theory.md §2).

On the signal-plus-noise model :math:`x = y\mu_f e_1 + \sigma_f\xi_f e_1 + \sigma_n\xi_\perp`
the logit-regularised minimiser's accuracy is flat in :math:`\sigma_n` (B9), the
unregularised one -- the gradient-descent limit: max-margin if separable, else the
logistic MLE -- is not; where they cross, :math:`\sigma_n^*(\sigma_f)` bounds the region
where regularisation helps. Accuracies are exact (Eq. 5, :mod:`numerics.models.accuracy`),

.. math::
    A(S) = \Phi\Bigl(\frac{S_1\mu_f}{\sqrt{\sigma_f^2S_1^2 + \sigma_n^2\|S_\perp\|^2}}\Bigr).

One grid point is :func:`benefit_point`: the draw of seed number ``s`` is seeded from
``(n, d, s)`` only (:func:`benefit_seed`, the sweep engine's convention,
:mod:`numerics.models.seeding`), so every :math:`\sigma_f`, :math:`\sigma_n` and
:math:`\alpha` sees the same standardised draw rescaled (common random numbers): the
curves show the :math:`\sigma_n`-dependence itself rather than draw-to-draw noise (which
at d ~ 100 is ~0.03 in accuracy and would mask it). The check computes its grid here,
serially (:func:`benefit_diagram`); the sweep's ``benefit`` experiment and
:func:`numerics.sweep.benefit_diagram_sweep` call the same :func:`benefit_point`, so
``verify``, the figures and ``logitreg sweep`` give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from core.claims import CheckResult, register

from numerics.models.accuracy import gaussian_accuracy
from numerics.models.signal_noise import binary_signal_noise
from numerics.models.seeding import BINARY_FAMILY, draw_seed
from numerics.solve.separability import is_linearly_separable
from numerics.solve.binary import minimize_binary
from numerics.claims._common import admissible_alpha
from numerics.claims.clustering import blas_single_thread
from numerics.claims.invariance import unregularised_direction

__all__ = ["SIZES", "MODEL", "ALPHA", "REGULARIZER", "OUTPUTS", "benefit_seed",
           "benefit_point", "benefit_diagram", "split_alphas", "crossing", "b10_panel",
           "check_b10"]

#: Sizes of claim B10 (check: "default", ``--full``: "full"; Figs 6 and 15 also "test"):
#: N, the panels lambda = d/N (d = round(lambda N); Fig. 6 is 0.7, Fig. 15 is 0.4), the
#: sigma grids and ``n_seeds`` draws per point (seed numbers N + d, N + d + 1, ...).
SIZES = {
    "test": dict(n=60, lams=(0.7, 0.4), sigma_fs=[0.5, 0.8],
                 sigma_ns=[0.1, 0.2, 0.5, 1.2, 3.0, 6.0], n_seeds=2),
    "default": dict(n=200, lams=(0.7, 0.4), sigma_fs=[0.5, 0.8],
                    sigma_ns=[0.1, 0.3, 1.0, 3.0, 6.0], n_seeds=2),
    "full": dict(n=2000, lams=(0.7, 0.4), sigma_fs=[0.5, 0.8],
                 sigma_ns=[0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 6.0], n_seeds=6),
}
#: Signal mean, regulariser and its strength of B10.
MODEL = dict(mu_f=1.0)
ALPHA, REGULARIZER = 0.4, "quadratic"
#: What :func:`benefit_point` can measure.
OUTPUTS = ("accuracy", "accuracy_unregularised", "alignment", "separable")


def benefit_seed(n, d, seed) -> int:
    """The draw seed of seed number ``seed`` at ``(n, d)``: shared by every amplitude and
    alpha (:func:`numerics.models.seeding.draw_seed`)."""
    return draw_seed(BINARY_FAMILY, seed, {"n": n, "d": d})


def benefit_point(n, d, seed, *, sigma_f, sigma_n, alpha, mu_f=1.0, regularizer=REGULARIZER,
                  outputs=("accuracy",)) -> dict:
    r"""One point of the B10 diagram on the draw seeded by ``seed`` (:func:`benefit_seed`).

    ``accuracy``: exact Gaussian accuracy of the :math:`\alpha`-minimiser (Newton); at
    :math:`\alpha = 0` of the unregularised direction itself (max-margin if separable, else
    the MLE), so ``alpha`` in ``{0, 0.4}`` with ``outputs = ("accuracy",)`` gives both B10
    curves without solving any max-margin QP twice. ``alignment``: :math:`\rho = S_1/\|S\|`
    of that solution; ``accuracy_unregularised``: accuracy of the unregularised direction;
    ``separable``: whether the draw is linearly separable.
    """
    ds = binary_signal_noise(n, d, mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n, seed=seed)
    U, out = ds.u, {}
    kw = dict(mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n)
    unreg = None
    if {"accuracy", "alignment"} & set(outputs):
        if alpha == 0.0:
            S = unreg = unregularised_direction(U)
        else:
            S = minimize_binary(U, regularizer, alpha).coef
        out["accuracy"] = gaussian_accuracy(S, **kw)
        out["alignment"] = float(S[0] / np.linalg.norm(S))
    if "accuracy_unregularised" in outputs:
        unreg = unregularised_direction(U) if unreg is None else unreg
        out["accuracy_unregularised"] = gaussian_accuracy(unreg, **kw)
    if "separable" in outputs:
        out["separable"] = bool(is_linearly_separable(U))
    return out


def split_alphas(acc, per_seed=False):
    r"""``(reg, unreg)`` from accuracies with trailing axes ``(alpha in (0, alpha), seed)``:
    the mean over seeds (``per_seed``: every seed) at :math:`\alpha > 0` and at 0."""
    if not per_seed:
        acc = acc.mean(axis=-1)
        return acc[..., 1], acc[..., 0]
    return acc[..., 1, :], acc[..., 0, :]


def benefit_diagram(n, d, sigma_fs, sigma_ns, *, alpha=ALPHA, n_seeds=3, seed=0,
                    regularizer=REGULARIZER, mu_f=1.0, per_seed=False):
    r"""Mean exact accuracy over seed numbers ``seed, ..., seed + n_seeds - 1`` of the
    :math:`\alpha`-minimiser (``reg``) and of the unregularised direction (``unreg``),
    arrays of shape ``(len(sigma_fs), len(sigma_ns))`` (``per_seed``: a trailing seed
    axis), computed point by point with one BLAS thread -- the same numbers as
    :func:`numerics.sweep.benefit_diagram_sweep`."""
    alphas = (0.0, float(alpha))
    acc = np.empty((len(sigma_fs), len(sigma_ns), len(alphas), n_seeds))
    with blas_single_thread():
        for m, s in enumerate(range(seed, seed + n_seeds)):
            draw = benefit_seed(n, d, s)
            for i, sf in enumerate(sigma_fs):
                for j, sn in enumerate(sigma_ns):
                    for k, a in enumerate(alphas):
                        acc[i, j, k, m] = benefit_point(
                            n, d, draw, sigma_f=float(sf), sigma_n=float(sn), alpha=a,
                            mu_f=mu_f, regularizer=regularizer)["accuracy"]
    return split_alphas(acc, per_seed)


def crossing(sigma_ns, reg, unreg):
    """First sigma_n (log-interpolated) where the unregularised accuracy drops below the
    regularised one; ``nan`` if they do not cross on the grid."""
    diff = np.asarray(unreg) - np.asarray(reg)
    for j in range(1, len(diff)):
        if diff[j - 1] > 0 >= diff[j] or diff[j - 1] < 0 <= diff[j]:
            x0, x1 = math.log(sigma_ns[j - 1]), math.log(sigma_ns[j])
            return math.exp(x0 + diff[j - 1] * (x1 - x0) / (diff[j - 1] - diff[j]))
    return float("nan")


def b10_panel(lam, sizes, regularizer=REGULARIZER, alpha=ALPHA) -> dict:
    r"""The B10 diagram at :math:`\lambda` = ``lam`` and ``sizes`` (an entry of
    :data:`SIZES`): ``label``, ``lam`` (simulated :math:`d/N`), ``n``, ``d``, ``reg`` and
    ``unreg`` (:func:`benefit_diagram`, seed numbers from ``n + d``), ``crossing`` (the
    simulated :math:`\sigma_n^*` per :math:`\sigma_f`, NaN if none on the grid)."""
    n = sizes["n"]
    d = int(round(lam * n))
    reg, unreg = benefit_diagram(n, d, sizes["sigma_fs"], sizes["sigma_ns"],
                                 n_seeds=sizes["n_seeds"], seed=n + d, regularizer=regularizer,
                                 alpha=alpha)
    cross = [crossing(sizes["sigma_ns"], reg[i], unreg[i]) for i in range(len(sizes["sigma_fs"]))]
    return {"label": f"lambda={lam}", "lam": d / n, "n": n, "d": d, "reg": reg,
            "unreg": unreg, "crossing": cross}


@register("B10", "benefit phase diagram: regularised accuracy flat in sigma_n, unregularised not")
def check_b10(full: bool = False, regularizer=None) -> CheckResult:
    r"""Claim B10 at :data:`SIZES` ``"default"`` (``full``: ``"full"``), both panels, for
    the quadratic built-in or ``regularizer`` (a ``theory.Regularizer``);
    ``data["B10_phase_diagram"]``: the panels of :func:`b10_panel` and the settings."""
    reg_f = REGULARIZER if regularizer is None else regularizer
    alpha = admissible_alpha(regularizer, ALPHA)  # ALPHA unless f's kink caps it
    s = SIZES["full" if full else "default"]
    ev, panels = {}, []
    flat_ok, varies_ok = True, True
    for lam in s["lams"]:
        panel = b10_panel(lam, s, reg_f, alpha)
        panels.append(panel)
        label, reg, unreg = panel["label"], panel["reg"], panel["unreg"]
        for i, sf in enumerate(s["sigma_fs"]):
            spread_reg = float(reg[i].max() - reg[i].min())
            spread_un = float(unreg[i].max() - unreg[i].min())
            ev[f"{label} sf={sf} reg spread"] = spread_reg
            ev[f"{label} sf={sf} unreg spread"] = spread_un
            ev[f"{label} sf={sf} sigma_n*"] = panel["crossing"][i]
            # Common random numbers: the regularised curve is flat to solver precision
            # (B9); the unregularised one must move by more than 0.01 in accuracy.
            flat_ok &= spread_reg < 1e-6
            varies_ok &= spread_un > 0.01
    if alpha != ALPHA:
        ev["alpha (mapped into (0, alpha_max): kink)"] = alpha
    settings = dict(s, alpha=alpha, regularizer=REGULARIZER if regularizer is None else
                    f"{regularizer.name}: f(t) = {regularizer.binary}", **MODEL)
    return CheckResult("B10", "benefit phase diagram", ev,
                       "same draws rescaled: regularised spread < 1e-6 (solver precision); unregularised > 0.01",
                       flat_ok and varies_ok,
                       data={"B10_phase_diagram": {"settings": settings, "panels": panels}})
