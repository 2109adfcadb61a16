r"""Claim G4: per-example gradient regularisation (PEGR) in the linear model (docs/theory.md §6 (G4)).

For a linear model :math:`t_i = S\cdot u_i` the per-example gradient is
:math:`\nabla_S\ell(t_i) = \ell'(t_i)u_i`, so PEGR,
:math:`\frac1N\sum_i \ell(t_i) + \frac{\lambda}{N}\sum_i\|\nabla_S\ell(t_i)\|^2`, is the
sample-weighted per-sample loss

.. math::
    \varphi(t) = \ell(t) + \lambda\,r\,\ell'(t)^2,\qquad r = \|u_i\|^2 > 0,
    \qquad \varphi'(t) = \ell'(t)\,\bigl(1 + 2\lambda r\,\ell''(t)\bigr).

Whenever :math:`\ell'' > 0` the bracket is positive, so :math:`\varphi'` has the sign of
:math:`\ell'`: **PEGR neither creates nor moves a finite target**.

* :math:`\ell = \ell_{CE}`: :math:`\ell' = -\sigma(-t) < 0` everywhere, so
  :math:`\varphi' < 0`: no finite minimiser, :math:`\inf\varphi = \lim_{t\to\infty}\varphi
  = 0` not attained. The tail is CE's: :math:`e^t\varphi(t) \to 1`,
  :math:`e^t(-\varphi'(t)) \to 1` with a correction :math:`O(e^{-t})`, a tight exponential
  tail, so on separable data gradient descent with a small step has
  :math:`\|S_k\|\to\infty` and :math:`S_k/\|S_k\| \to` the hard-margin SVM direction
  (Soudry et al. 2018) -- margin growth, no clustering.
* :math:`\ell = (1-\alpha)\ell_{CE} + \alpha f` (``f`` even, convex): :math:`\ell'' \ge
  (1-\alpha)\ell_{CE}'' > 0`; the unique stationary point of :math:`\varphi` is the target
  :math:`t^*` of :func:`theory.derive_binary` and it is global, since
  :math:`\varphi(t) \ge \ell(t) \ge \ell(t^*) = \varphi(t^*)`. On data with linearly
  independent :math:`u_i` (:math:`N \le d`) GD converges to the logit-regularised
  minimiser :math:`US = t^*\mathbf 1` (clustering), where the PEGR term vanishes; for
  :math:`N > d` PEGR re-weights the samples by :math:`\|u_i\|^2` and the minimiser moves.

Everything is derived from :func:`theory.derive_binary` (no loss is retyped).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from theory._derive import cross_entropy, derive_binary, finite_minimum
from core.errors import InvalidParameterError
from theory._functions import to_elementary
from theory._properties import check_convex, check_even
from theory._registry import ALPHA, T, get_regularizer

__all__ = ["R2", "LAM", "PEGRDerivation", "derive_pegr", "pegr_objective"]

#: :math:`r = \|u_i\|^2` (positive) and the PEGR strength :math:`\lambda > 0`.
R2 = sp.Symbol("r", positive=True)
LAM = sp.Symbol("lambda", positive=True)


def pegr_objective(loss: sp.Expr, t=T) -> sp.Expr:
    r""":math:`\varphi = \ell + \lambda r \ell'^2` of a per-sample loss ``loss(t)`` (G4)."""
    return loss + LAM * R2 * sp.diff(loss, t) ** 2


@dataclass(frozen=True)
class PEGRDerivation:
    r"""PEGR per-sample objective for one base loss and its verdicts (claim G4).

    Attributes
    ----------
    base : str
        ``"cross_entropy"`` or the regulariser name (logit-regularised loss).
    loss, objective, dobjective : sympy.Expr
        :math:`\ell`, :math:`\varphi` and :math:`\varphi'` in ``(T, ALPHA, R2, LAM)``.
    factor : sympy.Expr
        :math:`1 + 2\lambda r\ell''`; ``factorised`` says :math:`\varphi' = \ell'\cdot`
        ``factor`` was proved by simplification.
    factor_positive : bool
        :math:`\ell'' > 0` established (so :math:`\operatorname{sign}\varphi' =
        \operatorname{sign}\ell'`).
    dloss_negative : bool or None
        :math:`\ell' < 0` for every t (decided by SymPy's assumptions) -- CE only.
    finite_target : bool
        Verdict: :math:`\varphi` has a finite minimiser.
    target : sympy.Expr or None
        The target in ``ALPHA`` (closed form of :func:`derive_binary`) when finite and known.
    limits : dict
        :math:`\lim\varphi` at :math:`\pm\infty` and, for CE, the tail constants
        :math:`\lim e^t\varphi`, :math:`\lim e^t(-\varphi')`,
        :math:`\lim e^{t}(e^t(-\varphi') - 1)` (finite: correction :math:`O(e^{-t})`).
    gd_limit : str
        What gradient descent converges to on separable data (derived statement).
    route : str
        How the verdict was established.
    """

    base: str
    loss: sp.Expr
    objective: sp.Expr
    dobjective: sp.Expr
    factor: sp.Expr
    factorised: bool
    factor_positive: bool
    dloss_negative: bool | None
    finite_target: bool
    target: sp.Expr | None
    limits: dict
    gd_limit: str
    route: str


def _cross_entropy_from_registry() -> sp.Expr:
    """:math:`\\ell_{CE}` as the alpha = 0 member of the derived logit-regularised loss."""
    ce = derive_binary(get_regularizer("quadratic")).loss.subs(ALPHA, 0)
    if sp.simplify(to_elementary(ce - cross_entropy(T))) != 0:  # pragma: no cover
        raise InvalidParameterError("derived alpha=0 loss is not cross-entropy")
    return ce


@functools.lru_cache(maxsize=16)
def derive_pegr(regularizer=None) -> PEGRDerivation:
    r"""Derive the PEGR per-sample objective :math:`\ell + \lambda r\ell'^2` and decide
    whether it has a finite minimiser (claim G4; module docstring for the proofs).

    ``regularizer=None`` (or ``"cross_entropy"``) is plain :math:`\ell_{CE}`; a registry
    name or :class:`theory.Regularizer` is the logit-regularised
    :math:`(1-\alpha)\ell_{CE} + \alpha f` (``f`` must be smooth, even and convex).

    >>> d = derive_pegr()
    >>> d.finite_target, d.limits["exp(t) phi(t), t -> oo"]
    (False, 1)
    """
    if regularizer is None or regularizer == "cross_entropy":
        return _derive_ce()
    reg = get_regularizer(regularizer)
    deriv = derive_binary(reg)
    if not deriv.smooth:
        raise InvalidParameterError(
            f"derive_pegr needs a smooth f (l' must be differentiable); regulariser "
            f"{reg.name!r} has f = {reg.binary}")
    convex, even = check_convex(reg.binary, T), check_even(reg.binary, T)
    if not (convex.value and even.value):
        raise InvalidParameterError(
            f"derive_pegr needs an even convex f; {reg.name!r}: convex={convex.value} "
            f"({convex.evidence}), even={even.value}")
    loss = deriv.loss
    dl, d2l = sp.diff(loss, T), sp.diff(loss, T, 2)
    phi = pegr_objective(loss)
    dphi = sp.diff(phi, T)
    factor = 1 + 2 * LAM * R2 * d2l
    factorised = sp.simplify(dphi - dl * factor) == 0
    # l'' = (1-alpha) l_CE'' + alpha f'' with l_CE'' = sigma(t)sigma(-t) > 0, f'' >= 0
    # (f convex, established above) and 0 <= alpha < 1: l'' > 0, so factor > 0.
    ce2 = sp.diff(cross_entropy(T), T, 2)
    factor_positive = bool(ce2.is_positive) and convex.value is True
    target = deriv.target_closed_form
    if target is not None:
        # The closed-form target is a stationary point of phi (its factor l' vanishes).
        at = sp.simplify(to_elementary(dphi.subs(T, target)))
        if at != 0:  # pragma: no cover - would contradict the factorisation
            raise InvalidParameterError(f"phi'(t*) = {at} != 0 for {reg.name!r}")
    has_min = finite_minimum(reg)
    gd = ("gradient descent converges to a finite minimiser; for linearly independent u_i "
          "(N <= d) it is the logit-regularised one, U S = t* 1 (logits cluster at t*, "
          "PEGR term = 0 there); for N > d PEGR re-weights samples by ||u_i||^2")
    route = ("phi' = l' (1 + 2 lambda r l'') proved by simplify; l'' > 0 (l_CE'' > 0, f "
             f"convex: {convex.how}, {convex.evidence}); so phi' has the sign of l' and "
             "its only stationary point is the target t*; phi >= l >= l(t*) = phi(t*) "
             f"makes it global; l has a finite minimiser: {has_min.evidence}")
    return PEGRDerivation(reg.name, loss, phi, dphi, factor, factorised, factor_positive,
                          None, bool(factorised and factor_positive and has_min.value), target,
                          {"alpha_max (as derive_binary)": deriv.alpha_max}, gd, route)


def _limit_exp(expr, end):
    r"""``lim expr`` as ``t -> end`` (:math:`\pm\infty`) for an elementary expression in
    :math:`e^{t}` with symbolic parameters: substitute :math:`x = e^{-t}` (so
    :math:`x \to 0^+` resp. :math:`\infty`), simplify, and take SymPy's limit."""
    x = sp.Symbol("x", positive=True)
    rational = sp.simplify(expr.subs(sp.exp(T), 1 / x).subs(T, -sp.log(x)))
    return sp.limit(rational, x, 0 if end == sp.oo else sp.oo, "+" if end == sp.oo else "-")


def _derive_ce() -> PEGRDerivation:
    loss = _cross_entropy_from_registry()
    dl, d2l = sp.diff(loss, T), sp.diff(loss, T, 2)
    phi = pegr_objective(loss)
    dphi = sp.diff(phi, T)
    factor = 1 + 2 * LAM * R2 * d2l
    factorised = sp.simplify(dphi - dl * factor) == 0
    factor_positive = bool(d2l.is_positive) and bool(factor.is_positive)
    dloss_negative = bool(dl.is_negative)
    e_phi, e_dphi = to_elementary(phi), to_elementary(dphi)
    limits = {
        "phi, t -> oo": _limit_exp(e_phi, sp.oo),
        "phi, t -> -oo": _limit_exp(e_phi, -sp.oo),
        "exp(t) phi(t), t -> oo": _limit_exp(sp.exp(T) * e_phi, sp.oo),
        "exp(t) (-phi'(t)), t -> oo": _limit_exp(-sp.exp(T) * e_dphi, sp.oo),
        "exp(t) (exp(t)(-phi') - 1), t -> oo":
            _limit_exp(sp.exp(T) * (-sp.exp(T) * e_dphi - 1), sp.oo),
    }
    # phi' = l' * factor < 0 everywhere and phi -> 0 = inf as t -> oo: no finite minimiser.
    no_min = factorised and factor_positive and dloss_negative and limits["phi, t -> oo"] == 0
    gd = ("no finite minimiser: on separable data ||S_k|| -> oo (margins grow like log k) and "
          "S_k/||S_k|| -> hard-margin SVM direction, as for plain CE (same tight exponential "
          "tail: exp(t)(-phi') = 1 + O(exp(-t))); the logits spread, no clustering")
    route = ("phi' = l' (1 + 2 lambda r l'') proved by simplify; l' = -sigma(-t) < 0 and "
             "l'' = sigma(t) sigma(-t) > 0 by SymPy assumptions, so phi' < 0 for all t; "
             "phi -> 0 as t -> oo (limit), so inf phi = 0 is not attained")
    return PEGRDerivation("cross_entropy", loss, phi, dphi, factor, factorised,
                          factor_positive, dloss_negative, not no_min, None, limits, gd, route)
