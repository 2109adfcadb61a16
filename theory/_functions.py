r"""Numerically stable primitives as SymPy functions.

``log(1 + exp(-t))`` overflows at ``t = -1000`` in float64, and ``log(2 + 2 cosh t)``
at ``|t| = 711``. Deriving with opaque, well-understood primitives keeps every derived
expression stable by construction: the compiler (``numerics``) maps each primitive to a
stable NumPy routine, to mpmath, and to the helper functions of each export language.

.. math::
    \operatorname{softplus}(x) = \log(1 + e^{x}),\qquad
    \sigma(x) = \frac{1}{1 + e^{-x}},\qquad
    \operatorname{lse}(z_1..z_K) = \log\sum_k e^{z_k}.

Each primitive rewrites to ``exp``/``log`` (``expr.rewrite(sympy.exp)``) for proofs.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["Softplus", "Sigmoid", "LogSumExp", "to_elementary"]


class _PositiveUnary(sp.Function):
    """Shared behaviour of the positive, real, one-argument primitives: values at
    0 and +-oo from ``_AT``, realness, positivity, evalf through the exp form, LaTeX."""

    nargs = 1
    _AT: dict = {}
    _TEX = ""

    @classmethod
    def eval(cls, x):
        for point, value in cls._AT.items():
            if x is point:
                return value

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        if self.args[0].is_extended_real:
            return True

    def _eval_evalf(self, prec):
        return self._eval_rewrite_as_exp(self.args[0])._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        tex = r"%s\left(%s\right)" % (self._TEX, printer._print(self.args[0]))
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class Softplus(_PositiveUnary):
    r"""``softplus(x) = log(1 + e^x)``; derivative :math:`\sigma(x)`."""

    _AT = {sp.S.Zero: sp.log(2), sp.S.Infinity: sp.S.Infinity, sp.S.NegativeInfinity: sp.S.Zero}
    _TEX = r"\operatorname{softplus}"

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    _eval_rewrite_as_log = _eval_rewrite_as_exp


class Sigmoid(_PositiveUnary):
    r"""Logistic function :math:`\sigma(x) = 1/(1+e^{-x})`; :math:`\sigma' = \sigma(x)\sigma(-x)`."""

    _AT = {sp.S.Zero: sp.Rational(1, 2), sp.S.Infinity: sp.S.One,
           sp.S.NegativeInfinity: sp.S.Zero}
    _TEX = r"\sigma"

    def fdiff(self, argindex=1):
        x = self.args[0]
        return Sigmoid(x) * Sigmoid(-x)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))


class LogSumExp(sp.Function):
    r"""``lse(z) = log(sum_k exp(z_k))``; :math:`\partial_k \operatorname{lse} = e^{z_k - \operatorname{lse}(z)}` (softmax)."""

    @classmethod
    def eval(cls, *args):
        if len(args) == 0:
            raise TypeError("LogSumExp needs at least one argument")
        if len(args) == 1:
            return args[0]

    def fdiff(self, argindex=1):
        return sp.exp(self.args[argindex - 1] - self)

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))

    def _eval_is_extended_real(self):
        if all(a.is_extended_real for a in self.args):
            return True

    def _eval_evalf(self, prec):
        return self._eval_rewrite_as_exp(*self.args)._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{lse}\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


def to_elementary(expr: sp.Expr) -> sp.Expr:
    """Rewrite the stable primitives into ``exp``/``log`` form (for proofs and solving).

    Only :class:`Softplus`, :class:`Sigmoid` and :class:`LogSumExp` are rewritten;
    ``expr.rewrite(exp)`` would also turn ``t**2`` into ``exp(2 log t)`` (wrong for t < 0).
    """
    prims = (Softplus, Sigmoid, LogSumExp)
    out = sp.sympify(expr).replace(lambda e: isinstance(e, prims),
                                   lambda e: e._eval_rewrite_as_exp(*e.args))
    # Hyperbolic functions are exp-polynomials for every real argument: safe to expand.
    return out.rewrite([sp.cosh, sp.sinh, sp.tanh], sp.exp)
