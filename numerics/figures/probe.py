r"""Figures and the written report of ``logitreg probe`` (docs/theory.md §5, §7): the
theory of logit regularisation on a user's embeddings (:func:`numerics.probe.probe`).

One figure, four panels: (a) test accuracy against :math:`\alpha` with binomial error bars
and the :math:`\alpha = 0` limit as a band (R1's jump and plateau); (b) the direction of
the class-centred :math:`[W, b]` against the :math:`\alpha = 0` direction and the smallest
principal cosine to the Fisher (LDA) subspace; (c) test accuracy after the orthogonal
rescaling :math:`x \mapsto (I-P_\perp)x + \gamma P_\perp x`, regularised against the
:math:`\alpha = 0` limit (R2); (d) the measured point
:math:`(\sigma_f^{eff}, \sigma_n^{eff})` with its bootstrap errors and the line
:math:`\sigma_n/\sigma_f = (\sigma_n/\sigma_f)^*` where the proportional-limit benefit
changes sign (B10, A4), when the theory gives one.

:func:`write_report` writes ``probe.png``, ``probe.svg``, ``report.md`` and
``probe.json`` into a directory, each atomically (:mod:`core.files`). Figure ``probe``
(``logitreg figure probe``) runs the probe on scikit-learn's digits.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from core.files import atomic_write_bytes, atomic_write_text
from numerics.figures._registry import check_size, figure, pyplot
from numerics.probe import markdown, probe, to_jsonable

__all__ = ["draw_probe", "write_report", "figure_bytes", "fig_probe"]


def draw_probe(result):
    """The four-panel figure of a probe ``result`` (or its JSON form)."""
    plt = pyplot()
    a, al, gc = result["alpha_curve"], result["alignment"], result["gamma_curve"]
    g, p = result["geometry"], result["prediction"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0, 0]
    ax.errorbar(a["alphas"], a["accuracy"], yerr=a["accuracy_se"], fmt="o-", ms=4,
                label=f"alpha > 0 ({result['data']['regularizer']})")
    lo, hi = a["accuracy_0"] - a["accuracy_0_se"], a["accuracy_0"] + a["accuracy_0_se"]
    ax.axhspan(lo, hi, color="C3", alpha=0.25, label=f"alpha = 0 ({a['unregularised']}) ± se")
    ax.set_xscale("log")
    ax.set_xlabel("alpha")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"(a) jump {a['jump']:+.4f} ± {a['jump_se']:.4f} (paired), plateau spread "
                 f"{a['plateau_spread']:.4f}", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    ax.semilogx(a["alphas"], a["cos_to_unregularised"], "o-", ms=4, label="cos to alpha = 0")
    ax.semilogx(al["alphas"], [min(c) for c in al["cosines"]], "s-", ms=4,
                label="smallest principal cos to LDA")
    ax.axhline(al["fisher_stability"], color="grey", ls=":",
               label="LDA bootstrap stability (median)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("alpha")
    ax.set_ylabel("cosine")
    ax.set_title("(b) direction of the class-centred [W, b]", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1, 0]
    ax.semilogx(gc["gammas"], gc["reg_accuracy"], "o-",
                label=f"alpha = {gc['alpha']:g} (logit change {gc['reg_logit_change']:.0e})")
    ax.semilogx(gc["unreg_gammas"], gc["unreg_accuracy"], "s--",
                label=f"alpha = 0 ({gc['unreg_label_flips']} labels flip)")
    from matplotlib.ticker import NullFormatter

    ax.set_xticks(gc["gammas"])
    ax.set_xticklabels([f"{v:g}" for v in gc["gammas"]])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("gamma: x -> (I - P_perp) x + gamma P_perp x")
    ax.set_ylabel("test accuracy")
    ax.set_title("(c) orthogonal rescaling", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    ax.errorbar([g["sigma_f"]], [g["sigma_n"]], xerr=[g["sigma_f_se"]], yerr=[g["sigma_n_se"]],
                fmt="o", color="C0", label="measured (bootstrap se)")
    top = 2.0 * max(g["sigma_f"], g["sigma_n"])
    ax.plot([0, top], [0, top], color="grey", lw=0.8, ls=":", label="sigma_n = sigma_f")
    if p.get("available") and p.get("crossing_ratio"):
        ax.plot([0, top], [0, top * p["crossing_ratio"]], color="C3",
                label=f"predicted break-even ratio {p['crossing_ratio']:.3g}")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("sigma_f^eff")
    ax.set_ylabel("sigma_n^eff")
    title = "(d) effective noise"
    if p.get("available"):
        title += (f"; benefit predicted {p['benefit']:+.4f}, measured "
                  f"{result['measured']['benefit']:+.4f}")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def figure_bytes(result) -> tuple:
    """``(png, svg)`` bytes of :func:`draw_probe`."""
    plt = pyplot()
    fig = draw_probe(result)
    png, svg = io.BytesIO(), io.BytesIO()
    try:
        fig.savefig(png, format="png", dpi=110, bbox_inches="tight")
        fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    finally:
        plt.close(fig)
    return png.getvalue(), svg.getvalue()


def write_report(result, directory) -> list:
    r"""Write ``probe.png``, ``probe.svg``, ``probe.json`` and ``report.md`` into
    ``directory`` (created if needed), each atomically; return the paths. Everything is
    rendered in memory first, so a drawing error leaves the directory untouched."""
    png, svg = figure_bytes(result)
    text = json.dumps(to_jsonable(result), indent=1, allow_nan=False)
    md = markdown(result, figures=("probe.png",))
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "probe.png", out / "probe.svg", out / "probe.json", out / "report.md"]
    atomic_write_bytes(paths[0], png)
    atomic_write_bytes(paths[1], svg)
    atomic_write_text(paths[2], text + "\n")
    atomic_write_text(paths[3], md)
    return [str(p) for p in paths]


#: Sizes of figure ``probe``: the alpha grid, gammas and bootstrap counts on digits.
_SIZES = {"test": dict(alphas=(1e-3, 0.2), gammas=(0.5, 2.0), n_boot=5, n_boot_fisher=2),
          "default": dict(n_boot=50, n_boot_fisher=10),
          "full": dict(alphas=tuple(np.logspace(-5, np.log10(0.5), 13)),
                       gammas=(0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0), n_boot=200,
                       n_boot_fisher=50)}


@figure("probe", "logitreg probe on scikit-learn digits (10 classes, 50% test): accuracy vs "
                 "alpha, Fisher alignment, orthogonal rescaling, effective noise vs theory",
        claims=("R1", "R2"))
def fig_probe(size: str = "default") -> dict:
    r"""Data of figure ``probe``: :func:`numerics.probe.probe` on digits at ``size``."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return to_jsonable(probe(X, y, **_SIZES[check_size(size, "fig_probe")]))


@fig_probe.drawer
def _draw(data):
    return draw_probe(data)
