r"""The probe's report as text: Markdown (the verdict, the tables) and a JSON-ready copy
of the result (docs/theory.md §5). Figures are drawn by :mod:`numerics.figures.probe`,
which also writes the files atomically."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["to_jsonable", "markdown"]


def to_jsonable(obj):
    """``obj`` with NumPy arrays and scalars turned into lists and Python numbers (NaN and
    infinities become None, so the JSON is standard)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    return obj


def _pm(v, se, digits=4):
    return f"{v:.{digits}f} ± {se:.{digits}f}"


def markdown(result: dict, figures=()) -> str:
    """The Markdown report of a :func:`numerics.probe.probe` result; ``figures`` are the
    file names of the figures to link (PNG)."""
    d, g, a = result["data"], result["geometry"], result["alpha_curve"]
    al, gc, m, p = result["alignment"], result["gamma_curve"], result["measured"], result["prediction"]
    out = ["# logitreg probe report", "",
           "Theory: docs/theory.md §5 (effective noise, R1, R2) and §7 (prediction).", "",
           "## Verdict", "", result["verdict"], "",
           "## Data", "",
           f"N = {d['n_train']} training / {d['n_test']} test samples, d = {d['d']} features "
           f"(of {d['d_raw']}; lambda = d/N = {d['lam']:.3f}), K = {d['k']} classes, split: "
           f"{d['split']}, standardised: {d['standardized']}, regulariser: {d['regularizer']}, "
           f"rank [X, 1] = {d['rank']}.", "",
           "## Geometry (bootstrap standard errors)", "",
           "| quantity | value |", "|---|---|",
           f"| sigma_f^eff | {_pm(g['sigma_f'], g['sigma_f_se'])} |",
           f"| sigma_n^eff | {_pm(g['sigma_n'], g['sigma_n_se'])} |",
           f"| sigma_n^eff / sigma_f^eff | {_pm(g['ratio'], g['ratio_se'])} |",
           f"| mean centroid distance D | {_pm(g['centroid_distance'], g['centroid_distance_se'], 3)} |",
           f"| dim S (class-mean span) | {g['dim_S']} |",
           f"| bootstrap resamples | {g['n_boot']} |", "",
           "## Accuracy vs alpha (alpha = 0: " + a["unregularised"] + ")", "",
           "| alpha | test accuracy | A(alpha) - A(0) (paired se) | cos to alpha=0 | "
           "min principal cos to LDA | Newton steps |", "|---|---|---|---|---|---|",
           f"| 0 | {_pm(a['accuracy_0'], a['accuracy_0_se'])} | | 1 | "
           f"{min(al['unregularised']):.4f} | |"]
    for i, alpha in enumerate(a["alphas"]):
        out.append(f"| {alpha:.3g} | {_pm(a['accuracy'][i], a['accuracy_se'][i])} | "
                   f"{_pm(a['difference_to_0'][i], a['difference_to_0_se'][i])} | "
                   f"{a['cos_to_unregularised'][i]:.4f} | {min(al['cosines'][i]):.4f} | "
                   f"{a['newton_iterations'][i]} |")
    out += ["", f"Jump {_pm(a['jump'], a['jump_se'])} (resolved at 3 se: {a['jump_resolved']}), "
                f"plateau spread {a['plateau_spread']:.4f}, direction jump-then-plateau: "
                f"{a['direction_jump']}; alpha=0 limit: {a['unregularised_certificate']} "
                f"(residual {a['unregularised_residual']:.1e}); largest Newton gradient "
                f"norm {a['max_gradient_norm']:.1e}.", "",
            f"LDA (Fisher) subspace bootstrap stability: median smallest cosine "
            f"{al['fisher_stability']:.4f} (min {al['fisher_stability_min']:.4f}, "
            f"{al['n_boot']} resamples).", "",
            f"## Orthogonal rescaling (alpha = {gc['alpha']:g})", "",
            "| gamma | regularised acc | alpha=0 acc | difference (paired se) | "
            "certificate ‖∇L‖ |", "|---|---|---|---|---|"]
    for i, gam in enumerate(gc["gammas"]):
        j = gc["unreg_gammas"].index(gam) if gam in gc["unreg_gammas"] else None
        un = "—" if j is None else f"{gc['unreg_accuracy'][j]:.4f}"
        diff = "—" if j is None else _pm(gc["difference"][j], gc["difference_se"][j])
        out.append(f"| {gam:g} | {gc['reg_accuracy'][i]:.4f} | {un} | {diff} | "
                   f"{gc['certificate_gradient_norm'][i]:.1e} |")
    out += ["", f"Regularised: largest normalised test-logit change {gc['reg_logit_change']:.1e}, "
                f"{gc['reg_label_flips']} label flips; alpha=0: {gc['unreg_logit_change']:.3g}, "
                f"{gc['unreg_label_flips']} label flips.", "",
            "## Theory beside measurement", ""]
    if p.get("available"):
        out += ["| | predicted (§7) | measured (pairwise) |", "|---|---|---|",
                f"| regularised accuracy | {_pm(p['accuracy_regularised'], p['accuracy_regularised_se'])} "
                f"| {_pm(m['pairwise_accuracy_regularised'], m['pairwise_accuracy_regularised_se'])} |",
                f"| alpha=0 accuracy ({p['unregularised_regime']}) | "
                f"{_pm(p['accuracy_unregularised'], p['accuracy_unregularised_se'])} | "
                f"{_pm(m['pairwise_accuracy_unregularised'], m['pairwise_accuracy_unregularised_se'])} |",
                f"| benefit | {_pm(p['benefit'], p['benefit_se'])} | {_pm(m['benefit'], m['benefit_se'])} |",
                "", f"kappa = {p['kappa']:.4g}, lambda = {p['lam']:.4g}, lambda_sep = "
                f"{p['lam_sep']:.4g}, sigma_n/sigma_f = {p['noise_ratio']:.4g}, crossing ratio "
                f"{p['crossing_ratio'] if p['crossing_ratio'] is None else format(p['crossing_ratio'], '.4g')}; "
                f"mapping: {p['mapping']}."]
    else:
        out.append(f"No prediction: {p['reason']}.")
    if figures:
        out += ["", "## Figures", ""] + [f"![{f}]({f})" for f in figures]
    t = result["timings"]
    out += ["", "Timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in t.items()), ""]
    return "\n".join(out)
