r"""C99 export: one self-contained translation unit, ``#include <math.h>`` only.

Public functions are prefixed with the regulariser's name ``NAME``::

    double NAME_loss(double t, double alpha);             /* l(t)      */
    double NAME_dloss(double t, double alpha);            /* l'(t)     */
    double NAME_d2loss(double t, double alpha);           /* l''(t)    */
    double NAME_alpha_of_target(double t);                /* alpha(t*) */
    double NAME_target(double alpha);                     /* t*(alpha) */
    double NAME_alpha_max(void);                          /* alpha(0+) */

Bodies are printed by SymPy's ``C99CodePrinter`` with ``user_functions`` mapping the
stable primitives to ``static`` helpers (``lr_softplus(x) = x > 0 ? x + log1p(exp(-x)) :
log1p(exp(x))``, ...); ``Abs`` prints as ``fabs``, ``Max`` as ``fmax``, ``sign`` as
``((x > 0) - (x < 0))``. Invalid ``alpha`` (outside (0, 1)) gives ``NAN``.
Compile with e.g. ``cc -std=c99 -O2 -shared -fPIC file.c -o file.so -lm``.
"""

from __future__ import annotations

import textwrap

import sympy as sp
from sympy.printing.c import C99CodePrinter

from theory import ALPHA

from numerics.export._common import IMPLICIT_NOTE, PRIMITIVE_DEFINITIONS, Prepared, cse_lines

__all__ = ["render_c"]


class _CPrinter(C99CodePrinter):
    """``C99CodePrinter`` with the primitives as helper calls."""

    def __init__(self):
        super().__init__({"user_functions": {"Softplus": "lr_softplus",
                                             "Sigmoid": "lr_sigmoid"}})

    def _print_LogSumExp(self, expr):
        items = ", ".join(self._print(a) for a in expr.args)
        return f"lr_logsumexp({len(expr.args)}, (const double[]){{{items}}})"

    def _print_Heaviside(self, expr):
        h0 = self._print(expr.args[1]) if len(expr.args) > 1 else "0.5"
        return f"lr_heaviside({self._print(expr.args[0])}, {h0})"


_HELPERS = {
    "Softplus": """
/* softplus(x) = log(1 + exp(x)), never overflows */
static double lr_softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}""",
    "Sigmoid": """
/* sigmoid(x) = 1 / (1 + exp(-x)), through exp(-|x|) <= 1 */
static double lr_sigmoid(double x)
{
    double e;
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    e = exp(x);
    return e / (1.0 + e);
}""",
    "LogSumExp": """
/* log(sum_k exp(z_k)), shifted by the largest z_k */
static double lr_logsumexp(int n, const double *z)
{
    double m = z[0], s = 0.0;
    int k;
    for (k = 1; k < n; ++k)
        m = z[k] > m ? z[k] : m;
    if (!isfinite(m))
        return m;
    for (k = 0; k < n; ++k)
        s += exp(z[k] - m);
    return m + log(s);
}""",
    "Heaviside": """
/* Heaviside step with value h0 at 0 */
static double lr_heaviside(double x, double h0)
{
    return x > 0 ? 1.0 : (x < 0 ? 0.0 : h0);
}""",
}

_IMPLICIT = """
/* Sign-robust l'(t) for the bracket: where l' underflows to exactly 0 (or is nan) use
 * alpha - alpha(t), which has the sign of l'(t) = (f'(t) - l_CE'(t)) (alpha - alpha(t)). */
static double {c}_slope(double t, double alpha)
{{
    const double g = {c}_dloss(t, alpha);
    if (g != 0.0 && !isnan(g))
        return g;
    return alpha - {c}_alpha_of_target(t);
}}

/*
{note}
 */
double {c}_target(double alpha)
{{
    double lo = 0.0, hi = 1.0, t, r;
    int k;
    if (!(alpha > 0.0 && alpha < 1.0))
        return NAN;
    if (alpha >= {c}_ALPHA_MAX)
        return 0.0; /* degenerate range: t* = 0 */
    while (!({c}_slope(hi, alpha) > 0.0)) {{
        lo = hi;
        hi *= 2.0;
        if (hi > 1e300)
            return NAN; /* no stationary point: l decreases on all of (0, 1e300] */
    }}
    for (;;) {{
        const double mid = lo + 0.5 * (hi - lo);
        if (!(lo < mid && mid < hi))
            break;
        if ({c}_slope(mid, alpha) > 0.0)
            hi = mid;
        else
            lo = mid;
    }}
    if (lo < 2.2250738585072014e-308) /* lo == 0, or subnormal (flushed to zero) */
        return 0.0; /* l'(0+) >= 0: the kink of a non-smooth f pins t* at 0 */
    t = fabs({c}_slope(lo, alpha)) <= fabs({c}_slope(hi, alpha)) ? lo : hi;
    r = fabs({c}_dloss(t, alpha));
    for (k = 0; k < 3; ++k) {{ /* Newton polish, each step kept only if |l'| decreases */
        const double h = {c}_d2loss(t, alpha);
        double cand, rc;
        if (!(h > 0.0 && isfinite(h)))
            break;
        cand = t - {c}_dloss(t, alpha) / h;
        if (!(cand > 0.0))
            break;
        rc = fabs({c}_dloss(cand, alpha));
        if (!(rc < r))
            break;
        t = cand;
        r = rc;
    }}
    return t;
}}"""

_CLOSED = """
/* Target t*(alpha) = argmin_t l(t), closed form:
 *   {closed}
 * and t* = 0 for alpha >= alpha_max; NAN for alpha outside (0, 1). */
double {c}_target(double alpha)
{{
    if (!(alpha > 0.0 && alpha < 1.0))
        return NAN;
    if (alpha >= {c}_ALPHA_MAX)
        return 0.0; /* degenerate range: t* = 0 */
{body}
}}"""


def _comment(text: str, width: int = 88) -> str:
    text = text.replace("*/", "* /").replace("/*", "/ *")  # never close the comment early
    return "\n".join(textwrap.wrap(text, width=width - 3, initial_indent=" * ",
                                   subsequent_indent=" * ", break_on_hyphens=False))


def _body(printer: _CPrinter, args, expr) -> str:
    assignments, reduced = cse_lines(expr)
    used = set().union(reduced.free_symbols, *[e.free_symbols for _, e in assignments])
    lines = [f"    (void){printer._print(a)};" for a in args if a not in used]
    lines += [f"    const double {printer._print(s)} = {printer.doprint(e)};"
              for s, e in assignments]
    lines.append(f"    return {printer.doprint(reduced)};")
    return "\n".join(lines)


def render_c(p: Prepared) -> str:
    r"""Self-contained C99 source for :math:`\ell, \ell', \ell'', \alpha(t^*), t^*(\alpha)`."""
    d = p.derivation
    c = p.cname
    printer = _CPrinter()
    sig = {"loss": "double t, double alpha", "dloss": "double t, double alpha",
           "d2loss": "double t, double alpha", "alpha_of_target": "double t"}
    prims = [PRIMITIVE_DEFINITIONS[k] for k in sorted(p.primitives) if k in PRIMITIVE_DEFINITIONS]
    if p.closed_target is not None:
        target_text = f"Target (closed form): t*(alpha) = {sp.sstr(d.target_closed_form)}."
    else:
        target_text = IMPLICIT_NOTE
    head = [
        "/*",
        _comment(f"Loss of the logit regulariser {p.name!r}, exported to C99 by logitreg."),
        _comment(f"Generated by `logitreg export {p.name} --to c` from the SymPy derivation "
                 f"(docs/theory.md §1, claims B1, B7); do not edit, regenerate."),
        " *",
        _comment(f"Regulariser: {p.description}."),
        *(_comment(f"Convention: {line}.") for line in p.conventions),
        _comment(f"f(t) = {p.f_text}"),
        " * l(t) = (1 - alpha) softplus(-t) + alpha f(t)",
        " *",
        _comment(f"alpha_max = alpha(0+) = {sp.sstr(d.alpha_max)}: for alpha >= alpha_max "
                 f"the target is t* = 0."),
        _comment(target_text),
    ]
    if prims:
        head.append(_comment("Primitives: " + "; ".join(prims) + "."))
    if not d.smooth:
        head.append(_comment("f is non-smooth: l'' is the almost-everywhere value (the Dirac "
                             "part is dropped)."))
    head += [" *", " * Build: cc -std=c99 -O2 -shared -fPIC this.c -o this.so -lm", " */"]
    blocks = ["\n".join(head), "#include <math.h>"]
    protos = [f"double {c}_{name}({args});" for name, args in sig.items()]
    protos += [f"double {c}_target(double alpha);", f"double {c}_alpha_max(void);"]
    blocks.append("\n".join(protos))
    blocks.append(f"static const double {c}_ALPHA_MAX = {p.alpha_max!r};")
    blocks += [_HELPERS[k].strip("\n") for k in ("Softplus", "Sigmoid", "LogSumExp", "Heaviside")
               if k in p.primitives]
    for fn in p.functions:
        blocks.append(f"/* {fn.doc} */\ndouble {c}_{fn.name}({sig[fn.name]})\n{{\n"
                      f"{_body(printer, fn.args, fn.expr)}\n}}")
    blocks.append(f"double {c}_alpha_max(void)\n{{\n    return {c}_ALPHA_MAX;\n}}")
    if p.closed_target is not None:
        blocks.append(_CLOSED.format(c=c, closed=sp.sstr(d.target_closed_form),
                                     body=_body(printer, (ALPHA,), p.closed_target)).strip("\n"))
    else:
        blocks.append(_IMPLICIT.format(c=c, note=_comment(IMPLICIT_NOTE)).strip("\n"))
    return "\n\n".join(blocks) + "\n"
