r"""Document exports: a LaTeX ``align`` fragment and a JSON object.

LaTeX comes from :func:`sympy.latex` of the derived expressions (the primitives print
as :math:`\operatorname{softplus}`, :math:`\sigma`, :math:`\operatorname{lse}`); JSON holds
each expression as ``str``, ``srepr`` (exact: ``sympy.sympify(s, locals=...)`` with
``Softplus``, ``Sigmoid``, ``LogSumExp`` in ``locals`` rebuilds it), LaTeX, and the LaTeX
of its elementary ``exp``/``log`` form (:func:`theory.to_elementary`).
"""

from __future__ import annotations

import json

import sympy as sp
from sympy.printing.latex import LatexPrinter

from theory import ALPHA, T, to_elementary

from numerics.export._common import IMPLICIT_NOTE, PRIMITIVE_DEFINITIONS, Prepared

__all__ = ["render_latex", "render_json", "latex", "JSON_FORMAT_VERSION"]

#: Bumped when the JSON layout changes incompatibly.
JSON_FORMAT_VERSION = 1

_TSTAR = sp.Symbol("t^{*}", real=True)


class _LatexPrinter(LatexPrinter):
    r"""``LatexPrinter`` printing the primitives itself, powers included.

    The primitives' own ``_latex`` methods take no ``exp`` keyword, so ``sympy.latex``
    raises on e.g. :math:`\sigma(t)^2`; a different ``printmethod`` bypasses them.
    """

    printmethod = "_logitreg_latex"

    def _primitive(self, name, expr, exp):
        args = ", ".join(self._print(a) for a in expr.args)
        head = name if exp is None else f"{name}^{{{exp}}}"
        return rf"{head}\left({args}\right)"

    def _print_Softplus(self, expr, exp=None):
        return self._primitive(r"\operatorname{softplus}", expr, exp)

    def _print_Sigmoid(self, expr, exp=None):
        return self._primitive(r"\sigma", expr, exp)

    def _print_LogSumExp(self, expr, exp=None):
        return self._primitive(r"\operatorname{lse}", expr, exp)


def latex(expr) -> str:
    """LaTeX of ``expr`` (like :func:`sympy.latex`, with the primitives' powers handled)."""
    return _LatexPrinter().doprint(expr)


def _entry(expr, args=None) -> dict:
    out = {"str": sp.sstr(expr), "srepr": sp.srepr(expr), "latex": latex(expr),
           "latex_elementary": latex(to_elementary(expr))}
    if args is not None:
        out["args"] = [str(a) for a in args]
    return out


def _float_or_none(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _degenerate(p: Prepared) -> bool:
    return p.alpha_max < 1.0 - 1e-12


def render_json(p: Prepared) -> str:
    """JSON object: name, f, loss, dloss, d2loss, alpha_of_target, target_closed_form (or
    null), alpha_max, ... each expression with ``str``/``srepr``/``latex``."""
    d = p.derivation
    reg = d.regularizer
    obj = {
        "format": "logitreg-export",
        "format_version": JSON_FORMAT_VERSION,
        "name": p.name,
        "description": reg.description,
        "conventions": list(p.conventions),
        "source": list(reg.source),
        "symbols": {"t": "signed logit t = y S.x (real)",
                    "alpha": "regularisation strength, 0 < alpha < 1"},
        "primitives": {k: PRIMITIVE_DEFINITIONS[k] for k in ("Softplus", "Sigmoid", "LogSumExp")},
        "f": _entry(d.f, (T,)),
        "loss": _entry(d.loss, (T, ALPHA)),
        "dloss": _entry(d.dloss, (T, ALPHA)),
        "d2loss": _entry(d.d2loss, (T, ALPHA)),
        "stationarity": _entry(d.stationarity),
        "alpha_of_target": dict(_entry(d.alpha_of_target, (T,)), domain="t > 0"),
        "target_closed_form": (None if d.target_closed_form is None
                               else _entry(d.target_closed_form, (ALPHA,))),
        "target": ("closed_form" if d.target_closed_form is not None else "implicit"),
        "target_note": ("t*(alpha) = target_closed_form for 0 < alpha < alpha_max, "
                        "t* = 0 for alpha >= alpha_max" if d.target_closed_form is not None
                        else IMPLICIT_NOTE),
        "alpha_max": dict(_entry(d.alpha_max), value=p.alpha_max),
        "alpha_at_infinity": dict(_entry(d.alpha_at_infinity),
                                  value=_float_or_none(d.alpha_at_infinity)),
        "smooth": bool(d.smooth),
    }
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def render_latex(p: Prepared) -> str:
    r"""LaTeX fragment (needs ``amsmath``): an ``align`` with :math:`f, \ell, \ell',
    \ell''`, stationarity, :math:`\alpha(t^*)` and :math:`t^*(\alpha)`."""
    d = p.derivation
    lat = latex
    amax = lat(d.alpha_max)
    rows = [
        rf"f(t) &= {lat(d.f)}",
        rf"\ell(t) &= {lat(d.loss)}",
        rf"\ell'(t) &= {lat(d.dloss)}",
        rf"\ell''(t) &= {lat(d.d2loss)}"
        + ("" if d.smooth else r" && \text{(a.e.; Dirac part dropped)}"),
        r"0 &= \ell'(t^{*}) && \text{(stationarity)}",
        rf"\alpha(t^{{*}}) &= {lat(d.alpha_of_target.subs(T, _TSTAR))} && (t^{{*}} > 0)",
    ]
    if d.target_closed_form is not None:
        cond = rf"(0 < \alpha < {amax})" if _degenerate(p) else r"(0 < \alpha < 1)"
        rows.append(rf"t^{{*}}(\alpha) &= {lat(d.target_closed_form)} && {cond}")
    else:
        rows.append(r"t^{*}(\alpha) &= \text{the root } t^{*} > 0 \text{ of } "
                    r"\alpha(t^{*}) = \alpha && \text{(implicit: no closed form)}")
    if _degenerate(p):
        rows.append(rf"t^{{*}}(\alpha) &= 0 && (\alpha \ge \alpha_{{\max}} = {amax})")
    head = [
        f"% Logit regulariser {p.name!r}: {p.description}.",
        *(f"% Convention: {line}." for line in p.conventions),
        f"% Generated by `logitreg export {p.name} --to latex` (docs/theory.md §1, claims B1, B7);"
        " needs amsmath.",
        r"% \operatorname{softplus}(x) = \log(1 + e^{x}), \sigma(x) = 1/(1 + e^{-x}),"
        r" \operatorname{lse}(z) = \log\sum_k e^{z_k}.",
    ]
    if d.target_closed_form is None:
        head.append("% The target is implicit: t* is defined by alpha(t*) = alpha.")
    body = " \\\\\n".join("  " + r for r in rows)
    return "\n".join(head) + "\n\\begin{align}\n" + body + "\n\\end{align}\n"
