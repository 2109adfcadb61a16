r"""``logitreg derive``: one regulariser's derivation as text or JSON (docs/theory.md §1, §4)."""

from __future__ import annotations

import math

import sympy as sp

from numerics import compile_binary, compile_multiclass
from theory import (derive_binary, derive_multiclass, from_expression,
                    get_regularizer, properties)
from core.errors import InvalidParameterError
from core.validation import check_alpha, check_classes

__all__ = ["derivation_record", "resolve_regularizer"]


def _finite(x):
    return float(x) if x is not None and math.isfinite(float(x)) else None


def resolve_regularizer(name: str, f=None, multiclass=None):
    """The regulariser a command names: a built-in, or ``custom`` built from ``--f``."""
    if name == "custom":
        if f is None:
            raise InvalidParameterError("'custom' needs --f EXPR (e.g. --f 't**4')")
        return from_expression(f, multiclass)
    if f is not None:
        raise InvalidParameterError(f"--f is only for 'custom', not for {name!r}")
    return get_regularizer(name)


def derivation_record(name: str, *, alpha=None, classes=None, f=None, multiclass=None) -> dict:
    r"""Everything ``logitreg derive`` reports, as a JSON-ready dict.

    Keys: ``name, alpha, classes, f, loss, stationarity, alpha_of_target, target,
    target_closed_form, curvature, convex, even, finite_minimum``, ``alpha_max``, and with
    ``classes`` also ``q_high, q_low, gap`` (claims B1, B7, M1).

    At ``alpha = 0`` the loss is cross-entropy alone, which decreases monotonically in
    ``t``: there is no finite target (``target`` and ``curvature`` are ``None`` and
    ``target_note`` says why; on separable data gradient descent grows the weights
    without bound towards the max-margin direction). For ``alpha > 0`` and a form whose
    loss has no finite minimum (e.g. a concave ``f``) the hypotheses of the theory fail
    and :class:`~core.errors.InvalidParameterError` says which.
    """
    reg = resolve_regularizer(name, f, multiclass)
    if alpha is not None:
        check_alpha(alpha, caller="derive")
    if classes is not None:
        check_classes(classes, caller="derive")
    d = derive_binary(reg)
    props = properties(reg)
    rec = {
        "name": reg.name,
        "alpha": alpha,
        "classes": classes,
        "f": sp.sstr(reg.binary),
        "loss": sp.sstr(d.loss),
        "stationarity": sp.sstr(d.dloss) + " = 0",
        "alpha_of_target": sp.sstr(d.alpha_of_target),
        "alpha_max": float(d.alpha_max),
        "target_closed_form": sp.sstr(d.target_closed_form) if d.target_closed_form is not None
        else None,
        "target": None,
        "curvature": sp.sstr(d.d2loss),
        "convex": props["convex"].as_dict(),
        "even": props["even"].as_dict(),
        "finite_minimum": props["finite_minimum"].as_dict(),
        "latex": {"loss": sp.latex(d.loss), "alpha_of_target": sp.latex(d.alpha_of_target)},
    }
    if alpha is not None and alpha == 0:
        rec["curvature"] = None
        rec["target_note"] = _NO_TARGET_AT_ZERO
    if alpha is not None and alpha > 0:
        fm = props["finite_minimum"]
        if fm.value is False:
            # The solver would only say it found no root; the property names the reason.
            raise InvalidParameterError(_hypotheses_fail(reg.name, rec["f"], props))
        c = compile_binary(reg)
        t_star = c.target(float(alpha))
        rec["target"] = _finite(t_star)
        rec["curvature"] = _finite(c.d2loss(t_star, float(alpha)))
    if classes is not None:
        if not reg.has_multiclass:
            raise InvalidParameterError(
                f"regulariser {reg.name!r} has no multiclass form; pass --multiclass EXPR")
        m = derive_multiclass(reg, classes)
        rec["gap_closed_form"] = (sp.sstr(m.gap_closed_form)
                                  if m.gap_closed_form is not None else None)
        rec["q_high"] = rec["q_low"] = rec["gap"] = None
        if alpha is not None and alpha > 0:
            cm = compile_multiclass(reg, classes)
            g = cm.gap(float(alpha))
            qh, ql = cm.targets(float(alpha))
            rec.update(q_high=_finite(qh), q_low=_finite(ql), gap=_finite(g))
    return rec


#: Why ``derive --alpha 0`` has no target (docs/theory.md §1).
_NO_TARGET_AT_ZERO = ("none: at alpha = 0 the loss is cross-entropy alone, which decreases "
                      "monotonically in t (no finite minimiser; on separable data the weights "
                      "grow without bound towards the max-margin direction)")


def _hypotheses_fail(name, f_text, props) -> str:
    """The one-line error for a form whose loss has no finite minimum at alpha > 0."""
    why = []
    if props["convex"].value is False:
        why.append(f"f is not convex ({props['convex'].evidence})")
    why.append(f"the loss has no finite minimum ({props['finite_minimum'].evidence})")
    return (f"regulariser {name!r} (f(t) = {f_text}) fails the hypotheses of the theory: "
            f"{'; '.join(why)}; so there is no target t* for alpha > 0")


def format_record(rec: dict) -> str:
    """Human-readable multi-line rendering of :func:`derivation_record`."""
    lines = [f"regulariser      {rec['name']}", f"f(t)             {rec['f']}",
             f"loss l(t)        {rec['loss']}", f"stationarity     {rec['stationarity']}",
             f"alpha(t*)        {rec['alpha_of_target']}   (t > 0)"]
    if rec["finite_minimum"]["value"] is False:
        lines.append("t*(alpha)        none: the loss has no finite minimum for alpha > 0 "
                     "(hypotheses of the theory fail)")
    else:
        lines += [f"non-degenerate   0 < alpha < {rec['alpha_max']:g}",
                  "t*(alpha)        "
                  + (rec["target_closed_form"] or "implicit: inverse of alpha(t*)")]
    if rec["alpha"] is not None and rec.get("target_note"):
        lines.append(f"target t*        {rec['target_note']}")
    elif rec["alpha"] is not None:
        lines.append(f"target t*        {rec['target']!r}  at alpha = {rec['alpha']}")
        lines.append(f"curvature l''(t*) {rec['curvature']!r}")
    for key in ("convex", "even", "finite_minimum"):
        p = rec[key]
        lines.append(f"{key:<16} {p['value']} ({p['how']}: {p['evidence']})")
    if rec.get("classes"):
        lines.append(f"K = {rec['classes']}: q_high = {rec['q_high']!r}, q_low = {rec['q_low']!r}, "
                     f"gap = {rec['gap']!r}, gap closed form: {rec['gap_closed_form']}")
    return "\n".join(lines)
