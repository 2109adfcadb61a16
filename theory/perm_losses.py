r"""PERM losses as symbolic templates and their exponential-tail property (claim G1).

SymPy only. A permutation-equivariant, relative-margin (PERM) multiclass loss (Wang &
Scott; docs/theory.md §6 (G1)) depends on the logits :math:`v = Wx` only through the relative
margins :math:`m_j = v_y - v_j` (:math:`j \ne y`), via a symmetric template
:math:`\psi: \mathbb R^{K-1} \to \mathbb R`:

.. math::
    \psi_{CE}(m) = \log\Bigl(1 + \sum_j e^{-m_j}\Bigr),\qquad
    \psi_{exp}(m) = \sum_j e^{-m_j},\qquad
    \psi_{pair}(m) = \sum_j \log(1 + e^{-m_j}).

Label smoothing is PERM too (its regulariser :math:`\operatorname{lse}(z) -
\operatorname{mean}(z)` is shift invariant): :math:`\ell_{LS} = \operatorname{CE} +
\alpha(z_y - \bar z)`, i.e. :math:`\psi_{LS}(m) = \psi_{CE}(m) + \frac{\alpha}{K}\sum_j m_j`
-- it is the :math:`\alpha > 0` contrast of G1 (finite minimiser, no exponential tail).

**Exponential tail** (docs/theory.md §6 (G1), constants "to confirm"), for every :math:`i`:

.. math::
    \text{(upper)}\quad -\partial_i\psi(m) \le c\,(1 + e^{-\mu_+ m_i})\,e^{-a m_i}
    \ \text{for all } m,\qquad
    \text{(lower)}\quad -\partial_i\psi(m) \ge c\,\Bigl(1 - \sum_j e^{-\mu_- m_j}\Bigr)
    e^{-a m_i}\ \text{for all large } m.

:func:`tail_certificate` proves an inequality *for all real m* by the substitution
:math:`x_j = e^{-m_j} > 0`: the difference becomes a rational function of positive
variables, and it is certified when numerator and denominator (expanded) have only
non-negative coefficients. A failed certificate proves nothing either way (it is
reported as such; the numeric side then decides).

Public API: :data:`TEMPLATES`, :func:`margin_symbols`, :func:`template`,
:func:`neg_partial`, :func:`tail_bound`, :func:`tail_certificate`, :func:`tail_ratio_limit`,
:func:`is_symmetric`, :func:`loss_in_logits`.
"""

from __future__ import annotations

import functools
import itertools

import sympy as sp

from core.errors import InvalidParameterError, InvalidTypeError
from core.validation import check_classes
from theory._functions import LogSumExp, Softplus, to_elementary
from theory._registry import ALPHA, logit_symbols

__all__ = ["TEMPLATES", "ET_TEMPLATES", "margin_symbols", "template", "neg_partial",
           "tail_bound", "tail_certificate", "tail_ratio_limit", "is_symmetric",
           "loss_in_logits"]

#: Template names: the three exponential-tail PERM losses of G1 and the label-smoothing
#: contrast (alpha > 0).
ET_TEMPLATES = ("cross_entropy", "exponential", "pairlogloss")
TEMPLATES = ET_TEMPLATES + ("label_smoothing",)


def _check_name(name, caller):
    if not isinstance(name, str):
        raise InvalidTypeError(
            f"The 'name' parameter of {caller} must be a str. Got {name!r} instead.")
    if name not in TEMPLATES:
        raise InvalidParameterError(
            f"The 'name' parameter of {caller} must be one of {TEMPLATES}. Got {name!r} "
            "instead.")
    return name


def margin_symbols(k: int) -> tuple:
    r"""The relative margins :math:`(m_1, \dots, m_{K-1})` (real symbols)."""
    k = check_classes(k, caller="margin_symbols")
    return sp.symbols(f"m1:{k}", real=True)


@functools.lru_cache(maxsize=64)
def template(name: str, k: int) -> sp.Expr:
    r"""The template :math:`\psi(m_1..m_{K-1})` of a PERM loss (stable primitives).

    >>> template("pairlogloss", 3)
    Softplus(-m1) + Softplus(-m2)
    """
    name = _check_name(name, "template")
    m = margin_symbols(k)
    if name == "cross_entropy":
        return LogSumExp(sp.S.Zero, *[-mj for mj in m])
    if name == "exponential":
        return sp.Add(*[sp.exp(-mj) for mj in m])
    if name == "pairlogloss":
        return sp.Add(*[Softplus(-mj) for mj in m])
    return LogSumExp(sp.S.Zero, *[-mj for mj in m]) + ALPHA / k * sp.Add(*m)


def neg_partial(name: str, k: int, i: int = 0) -> sp.Expr:
    r""":math:`-\partial\psi/\partial m_{i+1}` in elementary form."""
    m = margin_symbols(k)
    if not isinstance(i, int) or not 0 <= i < k - 1:
        raise InvalidParameterError(
            f"The 'i' parameter of neg_partial must be an int in [0, {k - 2}]. Got {i!r}.")
    return to_elementary(-sp.diff(template(name, k), m[i]))


def tail_bound(k: int, i: int = 0, *, side: str, c=1, a=1, mu=1) -> sp.Expr:
    r"""Right-hand side of the exponential-tail inequality for index ``i``: ``side`` is
    ``"upper"``, ``"lower"`` or ``"upper_plain"`` (the upper bound without its
    :math:`e^{-\mu_+ m_i}` correction, :math:`c\,e^{-a m_i}`: a stronger statement)."""
    m = margin_symbols(k)
    c, a, mu = (sp.nsimplify(v) for v in (c, a, mu))
    if side == "upper_plain":
        return c * sp.exp(-a * m[i])
    if side == "upper":
        return c * (1 + sp.exp(-mu * m[i])) * sp.exp(-a * m[i])
    if side == "lower":
        return c * (1 - sp.Add(*[sp.exp(-mu * mj) for mj in m])) * sp.exp(-a * m[i])
    raise InvalidParameterError(
        "The 'side' parameter of tail_bound must be 'upper', 'upper_plain' or 'lower'. "
        f"Got {side!r}.")


def _all_nonnegative(poly_expr, xs) -> bool:
    poly = sp.Poly(sp.expand(poly_expr), *xs)
    return all(coef >= 0 for coef in poly.coeffs())


def tail_certificate(name: str, k: int, i: int = 0, *, side: str, c=1, a=1, mu=1) -> dict:
    r"""Try to prove the ``side`` exponential-tail inequality for **all** real ``m``.

    With :math:`x_j = e^{-m_j}` (positive), the slack
    :math:`D = \text{bound} - (-\partial_i\psi)` (upper) or
    :math:`D = -\partial_i\psi - \text{bound}` (lower) is a rational function of ``x``
    for integer ``a, mu``; ``proved`` is True when its numerator and denominator expand
    to polynomials with non-negative coefficients, so :math:`D \ge 0` everywhere.
    Returns ``{"proved", "slack"}`` with the slack in factored form.
    """
    name = _check_name(name, "tail_certificate")
    m = margin_symbols(k)
    xs = sp.symbols(f"x1:{k}", positive=True)
    lhs = neg_partial(name, k, i)
    rhs = tail_bound(k, i, side=side, c=c, a=a, mu=mu)
    slack = lhs - rhs if side == "lower" else rhs - lhs
    sub = {mj: -sp.log(xj) for mj, xj in zip(m, xs)}
    slack_x = sp.factor(sp.together(sp.powsimp(sp.expand(slack.subs(sub)), force=True)))
    num, den = sp.fraction(slack_x)
    proved = False
    if num.free_symbols <= set(xs) and den.free_symbols <= set(xs):
        try:
            proved = _all_nonnegative(num, xs) and _all_nonnegative(den, xs)
        except sp.PolynomialError:  # non-integer powers of x: no certificate
            proved = False
    return {"proved": bool(proved), "slack": slack_x}


def tail_ratio_limit(name: str, k: int, i: int = 0) -> sp.Expr:
    r""":math:`\lim_{s\to\infty} -\partial_i\psi(s, \dots, s)\,e^{s}`: the sharp constant
    ``c`` at ``a = 1`` (1 means neither ``c < 1`` nor ``a > 1`` can satisfy the upper bound).
    """
    m = margin_symbols(k)
    s = sp.Symbol("s", positive=True)
    expr = neg_partial(name, k, i).subs({mj: s for mj in m}) * sp.exp(s)
    return sp.limit(sp.simplify(expr), s, sp.oo)


def is_symmetric(name: str, k: int) -> bool:
    r"""Whether :math:`\psi` is invariant under every transposition of its arguments."""
    m = margin_symbols(k)
    psi = template(name, k)
    for p, q in itertools.combinations(range(k - 1), 2):
        swapped = psi.subs({m[p]: m[q], m[q]: m[p]}, simultaneous=True)
        if sp.simplify(to_elementary(swapped - psi)) != 0:
            return False
    return True


def loss_in_logits(name: str, k: int, y: int = 0) -> sp.Expr:
    r"""The multiclass loss :math:`\ell(v, y) = \psi((v_y - v_j)_{j \ne y})` in the logit
    symbols :func:`theory.logit_symbols` (``y`` zero-based)."""
    k = check_classes(k, caller="loss_in_logits")
    if not isinstance(y, int) or not 0 <= y < k:
        raise InvalidParameterError(
            f"The 'y' parameter of loss_in_logits must be an int in [0, {k - 1}]. Got {y!r}.")
    v = logit_symbols(k)
    m = margin_symbols(k)
    others = [j for j in range(k) if j != y]
    return template(name, k).subs({mj: v[y] - v[j] for mj, j in zip(m, others)},
                                  simultaneous=True)
