r"""What every export format shares: the derived expressions, prepared once for printing.

The expressions come from :func:`theory.derive_binary` (claims B1, B7; docs/theory.md §1)
and are never retyped:

.. math::
    \ell(t) = (1-\alpha)\operatorname{softplus}(-t) + \alpha f(t),\quad
    \ell'(t),\quad \ell''(t),\quad
    \alpha(t^*) = \frac{\ell_{CE}'(t^*)}{\ell_{CE}'(t^*) - f'(t^*)},\quad
    t^*(\alpha) = \operatorname*{argmin}_t \ell(t).

For code they get two semantics-preserving passes: Dirac deltas (the distributional part
of a non-smooth :math:`\ell'` or :math:`\ell''`) are dropped, giving the almost-everywhere
value, and numeric constants such as :math:`\log 2` or :math:`\pi` are folded to 17-digit
floats so that every target language can print them (``torch.log(2)`` is a TypeError).
Common subexpressions are then eliminated with :func:`sympy.cse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from theory import ALPHA, T, LogSumExp, Sigmoid, Softplus, derive_binary, get_regularizer

__all__ = ["CodeFunction", "Prepared", "prepare", "cse_lines", "PRIMITIVE_DEFINITIONS", "IMPLICIT_NOTE"]

#: Elementary definitions of the stable primitives, quoted in every exported file.
PRIMITIVE_DEFINITIONS = {
    "Softplus": "softplus(x) = log(1 + exp(x))",
    "Sigmoid": "sigmoid(x) = 1 / (1 + exp(-x))",
    "LogSumExp": "logsumexp(z_1, ..., z_K) = log(sum_k exp(z_k))",
    "Heaviside": "heaviside(x, h0) = 1 if x > 0, 0 if x < 0, h0 if x == 0",
}

#: The comment every implicit-target export carries (docs/theory.md §1).
IMPLICIT_NOTE = (
    "The target is IMPLICIT: SymPy found no closed form, so t*(alpha) is defined by "
    "alpha(t*) = alpha, i.e. l'(t*) = 0 with t* > 0, and is computed by bracketing the "
    "sign change of l' on (0, hi] (hi doubling from 1), bisection to adjacent floats, "
    "then at most 3 Newton steps on l'(t) = 0, each kept only if it reduces |l'|. Where "
    "l' underflows to exactly 0 (targets beyond t ~ 700) the sign of alpha - alpha(t) "
    "is used instead: l'(t) = (f'(t) - l_CE'(t)) (alpha - alpha(t)) on t > 0.")


@dataclass(frozen=True)
class CodeFunction:
    """One exported function: its name, argument symbols and printable expression."""

    name: str
    args: tuple
    expr: sp.Expr
    doc: str


@dataclass(frozen=True)
class Prepared:
    r"""The derivation of one regulariser, ready for every printer.

    Attributes
    ----------
    name, cname : str
        Registry name and a C-identifier version of it.
    derivation : theory.BinaryDerivation
        The symbolic source (``loss``, ``dloss``, ``d2loss``, ``alpha_of_target``, ...).
    functions : tuple of CodeFunction
        ``loss``, ``dloss``, ``d2loss`` in ``(t, alpha)`` and ``alpha_of_target`` in ``t``,
        with Dirac deltas dropped and constants folded.
    closed_target : sympy.Expr or None
        :math:`t^*(\alpha)` in ``alpha`` when SymPy found a closed form.
    alpha_max : float
        :math:`\alpha(0^+)`; for :math:`\alpha \ge` ``alpha_max`` the target is ``t* = 0``.
    primitives : frozenset of str
        Which of Softplus, Sigmoid, LogSumExp, Heaviside, Max, Min the code uses (the
        helpers to emit).
    dropped_dirac : bool
        Whether a Dirac delta was dropped (non-smooth ``f``; values are a.e. values).
    """

    name: str
    cname: str
    derivation: object
    functions: tuple
    closed_target: sp.Expr | None
    alpha_max: float
    primitives: frozenset
    dropped_dirac: bool

    @property
    def description(self) -> str:
        reg = self.derivation.regularizer
        return reg.description or reg.name

    @property
    def f_text(self) -> str:
        return sp.sstr(self.derivation.f)

    @property
    def conventions(self) -> tuple:
        """How alpha maps onto other libraries' parameters (built-ins only)."""
        from numerics.export._conventions import conventions_of

        return conventions_of(self.derivation.regularizer)


def _fold_constants(expr: sp.Expr) -> sp.Expr:
    """Replace numeric non-rational subexpressions (``log(2)``, ``pi``) by 17-digit Floats."""
    return expr.replace(
        lambda e: isinstance(e, sp.Expr) and e.is_number and not e.is_Rational
        and not e.is_Float,
        lambda e: sp.Float(e.evalf(30), 17))


def _for_code(expr: sp.Expr) -> tuple:
    has_dirac = expr.has(sp.DiracDelta)
    expr = expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    return _fold_constants(expr), has_dirac


def _primitives_in(exprs) -> frozenset:
    kinds = {"Softplus": Softplus, "Sigmoid": Sigmoid, "LogSumExp": LogSumExp,
             "Heaviside": sp.Heaviside, "Max": sp.Max, "Min": sp.Min}
    return frozenset(name for name, cls in kinds.items() if any(e.has(cls) for e in exprs))


def cse_lines(expr: sp.Expr):
    """``(assignments, reduced)``: :func:`sympy.cse` of ``expr`` as ``[(symbol, subexpr)]``."""
    replacements, reduced = sp.cse(expr, symbols=sp.numbered_symbols("x"))
    return replacements, reduced[0]


def prepare(regularizer) -> Prepared:
    """Derive ``regularizer`` (name or :class:`theory.Regularizer`) and prepare it for printing."""
    reg = get_regularizer(regularizer)
    d = derive_binary(reg)
    dirac = False
    functions = []
    specs = [
        ("loss", (T, ALPHA), d.loss, "l(t, alpha) = (1 - alpha) softplus(-t) + alpha f(t)"),
        ("dloss", (T, ALPHA), d.dloss, "l'(t, alpha) = dl/dt"),
        ("d2loss", (T, ALPHA), d.d2loss,
         "l''(t, alpha) = d2l/dt2" + ("" if d.smooth else " (a.e.; Dirac part dropped)")),
        ("alpha_of_target", (T,), d.alpha_of_target,
         "alpha(t*) solving l'(t*) = 0; valid for t* > 0"),
    ]
    for fname, args, expr, doc in specs:
        code, had = _for_code(expr)
        dirac |= had
        functions.append(CodeFunction(fname, args, code, doc))
    closed = None
    if d.target_closed_form is not None:
        closed, _ = _for_code(d.target_closed_form)
    cname = re.sub(r"\W", "_", reg.name)
    if not cname or cname[0].isdigit():
        cname = "lr_" + cname
    exprs = [fn.expr for fn in functions] + ([closed] if closed is not None else [])
    return Prepared(reg.name, cname, d, tuple(functions), closed, float(d.alpha_max),
                    _primitives_in(exprs), dirac)
