r"""Batched multiclass exports (``logitreg export NAME --classes K --to FORMAT``).

The loss of a ``(B, K)`` logit batch with integer labels (docs/theory.md §4, claim M1),

.. math::
    \ell(z, y) = (1-\alpha)\,(\operatorname{lse}(z) - z_y) + \alpha f(z),

its gradient with respect to the logits, :math:`f` per row, the target gap :math:`g^*`,
:math:`\alpha(g)` and the simplex targets :math:`(q_{high}, q_{low})`. Every body is printed
by a SymPy printer from :func:`numerics.export._vectorize.derive_batched` (the row form
of :func:`theory.derive_multiclass`) and from the gap derivation; nothing is retyped.
Python modules (``numpy``, ``torch``, ``jax``) define ``loss(logits, labels, alpha,
reduction="mean")`` with ``F.cross_entropy``'s reduction semantics, ``grad``,
``regularizer``, ``gap``, ``targets``, ``alpha_of_gap`` (and ``Loss``, an ``nn.Module``, in
torch); ``json`` and ``latex`` give the expressions; ``c`` a per-sample C99 unit
(:mod:`numerics.export._multiclass_c`).
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass

import sympy as sp

from theory import ALPHA, G, get_regularizer

from numerics.export._common import IMPLICIT_NOTE, PRIMITIVE_DEFINITIONS, _for_code, _primitives_in
from numerics.export._conventions import multiclass_conventions_of
from numerics.export._multiclass_runtime import API, ROW_HELPERS
from numerics.export._python import _PrimitivesMixin, _docstring_lines, _function
from numerics.export._python_runtime import (CLOSED_TARGET, DEPENDENCIES, HELPERS, IMPLICIT_WRAPPER,
                                             IMPORTS, RUNTIME, SOLVER)
from numerics.export._vectorize import ZY, Z, ONEHOT, derive_batched

__all__ = ["PreparedMulticlass", "prepare_multiclass", "render_multiclass", "row_text"]

MULTICLASS_JSON_FORMAT = "logitreg-multiclass-export/1"


class _RowStr(sp.printing.str.StrPrinter):
    """Readable text: ``sum_k[h(z)]``, ``lse_k[...]``, ``max_k[...]``, ``min_k[...]``."""

    def _row(self, name, expr):
        return f"{name}_k[{self._print(expr.args[0])}]"

    def _print_RowSum(self, e):
        return self._row("sum", e)

    def _print_RowLSE(self, e):
        return self._row("lse", e)

    def _print_RowMax(self, e):
        return self._row("max", e)

    def _print_RowMin(self, e):
        return self._row("min", e)


def row_text(expr) -> str:
    """``expr`` as one line, row reductions written ``sum_k[...]``, ``lse_k[...]``, ..."""
    return _RowStr().doprint(expr)


@dataclass(frozen=True)
class PreparedMulticlass:
    r"""The batched derivation of one regulariser and K, ready for printing.

    ``loss``, ``grad``, ``f`` are row expressions (Dirac parts dropped, constants folded);
    ``gap_functions`` are ``(name, args, expr, doc, source)`` of the reduced gap problem.
    """

    name: str
    cname: str
    k: int
    batched: object
    loss: sp.Expr
    grad: sp.Expr
    f: sp.Expr
    gap_functions: tuple
    closed_gap: sp.Expr | None
    alpha_max: float
    primitives: frozenset
    conventions: tuple


def prepare_multiclass(regularizer, k: int) -> PreparedMulticlass:
    """Derive the batched form of ``regularizer`` for ``k`` classes and prepare it."""
    reg = get_regularizer(regularizer)
    b = derive_batched(reg, k)
    d = b.multiclass
    loss, _ = _for_code(b.loss)
    grad, _ = _for_code(b.grad)
    f, _ = _for_code(b.f)
    specs = [("_gap_loss", (G, ALPHA), d.gap_loss, "psi(g, alpha): the loss at the simplex "
              "point of gap g"),
             ("_gap_dloss", (G, ALPHA), d.dgap_loss, "psi'(g, alpha)"),
             ("_gap_d2loss", (G, ALPHA), d.d2gap_loss, "psi''(g, alpha) (a.e.)"),
             ("alpha_of_gap", (G,), d.alpha_of_gap, "alpha(g) solving psi'(g) = 0, for g > 0"),
             ("q_high_of_gap", (G,), d.q_high, "logit q_high of the label at gap g"),
             ("q_low_of_gap", (G,), d.q_low, "logit q_low of the other classes at gap g")]
    gap_functions = tuple((n, a, _for_code(e)[0], doc, e) for n, a, e, doc in specs)
    closed = None if d.gap_closed_form is None else _for_code(d.gap_closed_form)[0]
    cname = re.sub(r"\W", "_", reg.name)
    if not cname or cname[0].isdigit():
        cname = "lr_" + cname
    exprs = [loss, grad, f] + [e for _, _, e, _, _ in gap_functions] + (
        [closed] if closed is not None else [])
    return PreparedMulticlass(reg.name, cname, k, b, loss, grad, f, gap_functions, closed,
                              float(d.alpha_max), _primitives_in(exprs),
                              multiclass_conventions_of(reg))


class _RowMixin:
    def _print_RowSum(self, e):
        return f"_rowsum({self._print(e.args[0])})"

    def _print_RowLSE(self, e):
        return f"_rowlse({self._print(e.args[0])})"

    def _print_RowMax(self, e):
        return f"_rowmax({self._print(e.args[0])})"

    def _print_RowMin(self, e):
        return f"_rowmin({self._print(e.args[0])})"


def _printer(fmt: str):
    if fmt == "numpy":
        from sympy.printing.numpy import NumPyPrinter as base
    elif fmt == "jax":
        from sympy.printing.numpy import JaxPrinter as base
    else:
        from sympy.printing.pytorch import TorchPrinter as base
    return type(f"_{fmt.title()}RowPrinter", (_RowMixin, _PrimitivesMixin, base), {})()


def _row_function(printer, name, args, expr, doc) -> str:
    replacements, reduced = sp.cse(expr, symbols=sp.numbered_symbols("x"))
    lines = [f"def {name}({', '.join(printer._print(a) for a in args)}):",
             f'    r"""{doc}', "", _docstring_lines(row_text(expr), "    ", "    "), '    """']
    lines += [f"    {printer._print(s)} = {printer.doprint(e)}" for s, e in replacements]
    lines.append(f"    return {printer.doprint(reduced[0])}")
    return "\n".join(lines) + "\n"


def _header(p: PreparedMulticlass, fmt: str) -> str:
    b, d = p.batched, p.batched.multiclass
    lang = {"numpy": "NumPy", "torch": "PyTorch", "jax": "JAX"}[fmt]
    target = (f"Gap (closed form): g*(alpha) = {sp.sstr(d.gap_closed_form)}."
              if p.closed_gap is not None else IMPLICIT_NOTE.replace("t*", "g*").replace(
                  "l'", "psi'").replace("alpha(t)", "alpha(g)"))
    prims = [PRIMITIVE_DEFINITIONS[k] for k in sorted(p.primitives) if k in PRIMITIVE_DEFINITIONS]
    para = [
        f"Generated by `logitreg export {p.name} --classes {p.k} --to {fmt}` from the SymPy "
        f"derivation (docs/theory.md §4, §8, claim M1); do not edit, regenerate. "
        f"Dependencies: {DEPENDENCIES[fmt]}.",
        *(f"Convention: {c}." for c in p.conventions),
        "Labels are integer class indices; logits a (B, K) batch; z_y the label's logit; "
        "sum_k, lse_k, max_k, min_k reduce over the K classes of a row (lse max-shifted: "
        "overflow-free). At ties of the top logits max_k is differentiated by the tie-set "
        "share 1[z_j = max]/#ties (a subgradient).",
    ]
    parts = [f'r"""Batched {p.k}-class loss of the logit regulariser {p.name!r}, exported '
             f'to {lang} by logitreg.', ""]
    for text in para:
        parts += [_docstring_lines(text, ""), ""]
    parts += [_docstring_lines(f"f(z) = {row_text(b.f)}", "    ", "    "),
              _docstring_lines(f"l(z, y) = {row_text(b.loss)}", "    ", "    "),
              _docstring_lines(f"dl/dz_j = {row_text(b.grad)}", "    ", "    "), "",
              "Functions:", "",
              "    loss(logits, labels, alpha, reduction='mean')   mean | sum | none",
              "    grad(logits, labels, alpha, reduction='mean')   d loss / d logits, (B, K)",
              "    regularizer(logits)                             f per row, (B,)",
              "    gap(alpha), targets(alpha) -> (q_high, q_low), alpha_of_gap(g)", "",
              _docstring_lines(f"ALPHA_MAX = alpha(0+) = {sp.sstr(d.alpha_max)}: for alpha >= "
                               "ALPHA_MAX the target gap is 0.", ""), "",
              _docstring_lines(target, "")]
    if prims:
        parts += ["", _docstring_lines("Primitives: " + "; ".join(prims) + ".", "")]
    parts.append('"""')
    return "\n".join(parts) + "\n"


def _gap_blocks(p: PreparedMulticlass, fmt: str, printer) -> list:
    blocks = [_function(printer, n, a, e, doc + ".", src) for n, a, e, doc, src in p.gap_functions]
    if p.closed_gap is not None:
        blocks.append(_function(printer, "_closed_target", (ALPHA,), p.closed_gap,
                                "Closed-form g*(alpha), valid for 0 < alpha < ALPHA_MAX.",
                                p.batched.multiclass.gap_closed_form, finish=False))
        blocks.append(CLOSED_TARGET[fmt].replace("def target(alpha):", "def gap(alpha):")
                      .replace("Target logit t*(alpha) = argmin_t l(t)", "Target gap g*(alpha)"))
    else:
        names = {"dloss": "_gap_dloss", "d2loss": "_gap_d2loss",
                 "alpha_of_target": "alpha_of_gap"}
        wrapper = IMPLICIT_WRAPPER[fmt].replace("def target(alpha):", "def gap(alpha):")
        wrapper = wrapper.replace("Target logit t*(alpha) = argmin_t l(t)", "Target gap g*(alpha)")
        if fmt == "jax":
            for k, v in names.items():
                wrapper = wrapper.replace(f"jax.jit({k})", f"jax.jit({v})")
            names = {"dloss": "_dloss_jit", "d2loss": "_d2loss_jit",
                     "alpha_of_target": "_alpha_of_target_jit"}
        blocks.append(wrapper)
        blocks.append(SOLVER.format(note=textwrap.fill(IMPLICIT_NOTE, width=88,
                                                       subsequent_indent="    "), **names))
    return blocks


def _render_python(p: PreparedMulticlass, fmt: str) -> str:
    printer = _printer(fmt)
    imports = ("import math\n\n" if p.closed_gap is None else "") + IMPORTS[fmt]
    consts = (f"REGULARIZER = {p.name!r}\nCLASSES = {p.k}\nALPHA_MAX = {p.alpha_max!r}\n"
              f"GAP_IS_CLOSED_FORM = {p.closed_gap is not None}\n"
              f"CONVENTIONS = {tuple(p.conventions)!r}")
    blocks = [_header(p, fmt), imports, consts, RUNTIME[fmt], ROW_HELPERS[fmt]]
    helpers = HELPERS[fmt]
    blocks += [helpers[k] for k in ("Softplus", "Sigmoid", "LogSumExp", "Heaviside", "Max", "Min")
               if k in p.primitives]
    blocks += [_row_function(printer, "_f_rows", (Z,), p.f, "f(z) per row, (B, 1)."),
               _row_function(printer, "_loss_rows", (Z, ZY, ALPHA), p.loss,
                             "Loss per row, (B, 1)."),
               _row_function(printer, "_grad_rows", (Z, ONEHOT, ALPHA), p.grad,
                             "Gradient of each row's loss, (B, K).")]
    blocks += _gap_blocks(p, fmt, printer)
    blocks.append(API[fmt])
    return "\n\n\n".join(b.strip("\n") for b in blocks) + "\n"


def _latex(p: PreparedMulticlass) -> str:
    b, d = p.batched, p.batched.multiclass
    rows = [("f(z)", b.f), (r"\ell(z, y)", b.loss), (r"\frac{\partial \ell}{\partial z_j}", b.grad)]
    names = {Z: "z_j", ZY: "z_y", ONEHOT: r"\mathbb{1}[j = y]"}  # Z inside a row node is z_k
    lines = [f"% Batched {p.k}-class loss of {p.name!r}, exported by logitreg "
             f"(`logitreg export {p.name} --classes {p.k} --to latex`); docs/theory.md §4.",
             *(f"% Convention: {c}." for c in p.conventions), r"\begin{align}"]
    lines += [f"  {lhs} &= {sp.latex(e, symbol_names=names)} \\\\" for lhs, e in rows]
    lines.append(r"  \alpha(g) &= " + sp.latex(d.alpha_of_gap) + r" \\")
    if d.gap_closed_form is not None:
        lines.append(r"  g^*(\alpha) &= " + sp.latex(d.gap_closed_form) + r" \\")
    lines.append(r"  q_{high} &= " + sp.latex(d.q_high) + r", \quad q_{low} = "
                 + sp.latex(d.q_low))
    lines.append(r"\end{align}")
    return "\n".join(lines) + "\n"


def _json(p: PreparedMulticlass) -> str:
    b, d = p.batched, p.batched.multiclass

    def expr(e):
        return {"str": row_text(e), "srepr": sp.srepr(e), "latex": sp.latex(e)}

    doc = {"format": MULTICLASS_JSON_FORMAT, "regularizer": p.name, "classes": p.k,
           "conventions": list(p.conventions),
           "symbols": {"z": "logit row (elementwise)", "z_y": "logit of the label",
                       "onehot": "one-hot label row", "g": "gap q_high - q_low"},
           "f": expr(b.f), "loss": expr(b.loss), "grad": expr(b.grad),
           "alpha_of_gap": expr(d.alpha_of_gap),
           "gap_closed_form": None if d.gap_closed_form is None else expr(d.gap_closed_form),
           "q_high": expr(d.q_high), "q_low": expr(d.q_low), "alpha_max": p.alpha_max}
    return json.dumps(doc, indent=2) + "\n"


def render_multiclass(p: PreparedMulticlass, to: str) -> str:
    """Text of the batched export ``p`` in ``to`` (``numpy``, ``torch``, ``jax``, ``latex``,
    ``json``; C is :func:`numerics.export._multiclass_c.render_multiclass_c`)."""
    if to in ("numpy", "torch", "jax"):
        return _render_python(p, to)
    return _latex(p) if to == "latex" else _json(p)
