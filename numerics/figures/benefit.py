r"""Figures of claim B10 (benefit phase diagram): Figs 6 and 15 and the
``B10_phase_diagram`` report figure of :func:`numerics.claims.benefit.check_b10`.

All three draw the claim's grid (:func:`numerics.claims.benefit.b10_panel` at
:data:`numerics.claims.benefit.SIZES`): the exact Gaussian accuracy (Eq. 5) of the
:math:`\alpha = 0.4` minimiser and of the unregularised gradient-descent limit
(max-margin) vs :math:`\sigma_n`, per :math:`\sigma_f`, on one standardised draw per seed
rescaled (common random numbers). The report figure shows both panels
(:math:`\lambda = 0.7, 0.4`); Figs 6 (:math:`\lambda = 0.7`) and 15 (:math:`0.4`) add the
CGMT theory (A4): regularised :math:`\Phi(\kappa\rho)` (flat) and max-margin with norm
weight :math:`\sigma_n/\sigma_f`, and their crossing

.. math:: A_{MM}(\sigma_n^*;\lambda,\kappa) = A_{reg}(\lambda,\kappa)

(theory: dotted; simulation: triangle).
"""

from __future__ import annotations

import numpy as np

from numerics.asymptotics import separability_threshold
from numerics.claims import benefit
from numerics.claims.asymptotic_checks import benefit_curves
from numerics.figures._registry import check_size, figure, pyplot
from numerics.figures.claim_figures import claim_figure

__all__ = ["fig6", "fig15", "draw_b10", "THEORY_SIGMA_NS", "benefit_theory", "benefit_family"]

#: sigma_n grid of the theory lines.
THEORY_SIGMA_NS = np.geomspace(0.1, 6.0, 60)


def benefit_theory(alpha, lam_sigma_fs):
    """A4 lines (:func:`benefit_curves`) on :data:`THEORY_SIGMA_NS` for each
    ``(lambda, sigma_f)``: ``reg`` accuracies, ``unreg`` curves, ``crossing`` sigma_n*."""
    theory = {"sigma_ns": THEORY_SIGMA_NS, "reg": [], "unreg": [], "crossing": []}
    for lam, sf in lam_sigma_fs:
        reg, mm, star = benefit_curves(lam, alpha, sf, THEORY_SIGMA_NS, benefit.REGULARIZER)
        theory["reg"].append(float(reg))
        theory["unreg"].append(np.asarray(mm, dtype=float))
        theory["crossing"].append(float(star))
    return theory


def benefit_family(ax, sigma_ns, reg, unreg, theory, i, col, alpha, tag):
    """One family of a benefit panel: simulated regularised (o) and unregularised (s)
    accuracies vs sigma_n with the A4 lines (solid: regularised, dashed: unregularised)."""
    ax.plot(sigma_ns, np.asarray(reg), "o", color=col, label=f"alpha={alpha} (sim), {tag}")
    ax.plot(sigma_ns, np.asarray(unreg), "s", mfc="none", color=col,
            label=f"unregularised / max-margin (sim), {tag}")
    ax.axhline(theory["reg"][i], color=col, lw=0.9, ls="-")
    ax.plot(theory["sigma_ns"], theory["unreg"][i], color=col, lw=0.9, ls="--")


@claim_figure("B10_phase_diagram")
def draw_b10(data):
    """Both panels of the check: regularised and max-margin accuracy vs sigma_n."""
    plt = pyplot()
    s = data["settings"]
    panels = data["panels"]
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 3.8), sharey=True)
    for ax, p in zip(np.atleast_1d(axes), panels):
        for i, sf in enumerate(s["sigma_fs"]):
            ax.semilogx(s["sigma_ns"], p["reg"][i], "o-", label=f"alpha={s['alpha']}, sigma_f={sf}")
            ax.semilogx(s["sigma_ns"], p["unreg"][i], "s--", label=f"max-margin, sigma_f={sf}")
        ax.set_title(f"B10 {p['label']} (d={p['d']}, N={p['n']})")
        ax.set_xlabel("sigma_n")
    np.atleast_1d(axes)[0].set_ylabel("test accuracy (Gaussian, exact)")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.suptitle(f"B10: benefit phase diagram, mean of {s['n_seeds']} draws rescaled, "
                 f"mu_f={s['mu_f']:g}", fontsize=9)
    fig.tight_layout()
    return fig


def _benefit_figure(lam, size):
    sizes = benefit.SIZES[size]
    p = benefit.b10_panel(lam, sizes)
    n, d = p["n"], p["d"]
    theory = benefit_theory(benefit.ALPHA, [(p["lam"], sf) for sf in sizes["sigma_fs"]])
    theory["lam_sep"] = [separability_threshold(1.0 / sf) for sf in sizes["sigma_fs"]]
    s = dict(sizes, n=n, d=d, lam=p["lam"], seed=n + d, alpha=benefit.ALPHA,
             regularizer=benefit.REGULARIZER, **benefit.MODEL)
    return {"settings": s, "sigma_ns": np.asarray(s["sigma_ns"]), "reg": p["reg"],
            "unreg": p["unreg"], "crossing": p["crossing"], "theory": theory}


def _draw_benefit(data, fig_id):
    plt = pyplot()
    s = data["settings"]
    th = data["theory"]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    cmap = plt.get_cmap("tab10")
    sn = np.asarray(data["sigma_ns"], dtype=float)
    for i, sf in enumerate(s["sigma_fs"]):
        col = cmap(i)
        benefit_family(ax, sn, data["reg"][i], data["unreg"][i], th, i, col, s["alpha"],
                       f"sigma_f={sf}")
        if np.isfinite(th["crossing"][i]):
            ax.axvline(th["crossing"][i], color=col, lw=0.7, ls=":")
        c = data["crossing"][i]
        if c is not None and np.isfinite(c):
            ax.plot([c], [th["reg"][i]], "v", color=col, ms=8,
                    label=f"sigma_n* sim {c:.2f} / theory {th['crossing'][i]:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("orthogonal noise sigma_n (same standardised draws rescaled)")
    ax.set_ylabel(f"test accuracy (exact Gaussian, mean of {s['n_seeds']} draws)")
    ax.set_title("lines: CGMT theory (A4), solid regularised, dashed max-margin; "
                 "dotted: theory sigma_n*", fontsize=8)
    ax.legend(fontsize=6)
    fig.suptitle(f"Fig. {fig_id} (B10): benefit phase diagram, lambda={s['lam']:.2g} "
                 f"(d={s['d']}, N={s['n']}), mu_f={s['mu_f']:g}, alpha={s['alpha']}, "
                 f"f = t^2", fontsize=9)
    fig.tight_layout()
    return fig


_BENEFIT_DOC = r"""Data of Fig. {fig} (claim B10, :math:`\lambda = {lam}`) at
    ``benefit.SIZES[size]``.

    Returns ``sigma_ns``, ``reg`` and ``unreg`` (arrays ``(len(sigma_fs), len(sigma_ns))``:
    mean exact accuracy over ``n_seeds`` draws of the :math:`\alpha = 0.4` minimiser and of
    the unregularised GD limit, as in ``check_b10``), ``crossing`` (simulated
    :math:`\sigma_n^*` per :math:`\sigma_f`, NaN if none on the grid), ``theory``
    (``sigma_ns`` fine grid, ``reg`` per :math:`\sigma_f`, ``unreg`` curves, ``crossing``,
    ``lam_sep``) and the settings.
    """


@figure("6", "B10 benefit phase diagram, lambda=0.7: regularised (alpha=0.4) vs "
             "max-margin accuracy vs sigma_n, with the crossing sigma_n* and CGMT lines",
        claims=("B10",))
def fig6(size: str = "default") -> dict:
    return _benefit_figure(0.7, check_size(size, "fig6"))


@figure("15", "B10 benefit phase diagram, lambda=0.4: regularised (alpha=0.4) vs "
              "max-margin accuracy vs sigma_n, with the crossing sigma_n* and CGMT lines",
        claims=("B10",))
def fig15(size: str = "default") -> dict:
    return _benefit_figure(0.4, check_size(size, "fig15"))


fig6.__doc__ = _BENEFIT_DOC.format(fig=6, lam=0.7)
fig15.__doc__ = _BENEFIT_DOC.format(fig=15, lam=0.4)


@fig6.drawer
def _draw_fig6(data):
    return _draw_benefit(data, "6")


@fig15.drawer
def _draw_fig15(data):
    return _draw_benefit(data, "15")
