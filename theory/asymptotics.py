r"""Symbolic side of the proportional-limit theory (claims A0-A5; docs/theory.md §7).

After the reduction A0 the training problem is unregularised M-estimation on an isotropic
Gaussian mixture, :math:`\hat w = \arg\min_w \frac1N\sum_i \ell(w\cdot v_i)`,
:math:`v_i = \kappa e_1 + g_i`, :math:`g_i \sim N(0, I_d)`, :math:`d/N \to \lambda`.
Gordon's comparison (CGMT; Thrampoulidis, Oymak & Hassibi, COLT 2015, and
Thrampoulidis, Abbasi & Hassibi, IEEE Trans. IT 2018) reduces it to the scalar game

.. math::
    \min_{\mu, a \ge 0}\ \max_{\gamma > 0}\
    \mathbb E\big[\mathcal M_{\ell}(\kappa\mu + \sigma Z;\gamma)\big] - \frac{\lambda a^2}{2\gamma},
    \qquad \sigma^2 = \mu^2 + a^2,

with the Moreau envelope :math:`\mathcal M_\ell(x;\gamma) = \min_v \ell(v) + (x-v)^2/2\gamma`
(minimiser :math:`p = \operatorname{prox}_{\gamma\ell}(x)`, so :math:`\ell'(p) = (x-p)/\gamma`,
:math:`\partial_x\mathcal M = \ell'(p)`, :math:`\partial_\gamma\mathcal M = -\ell'(p)^2/2`).
Its stationarity conditions are the fixed-point system

.. math::
    \text{(E1)}\ \kappa\,\mathbb E[\ell'(p)] = -\lambda\mu/\gamma,\qquad
    \text{(E2)}\ \mathbb E[Z\ell'(p)] = \lambda\sigma/\gamma,\qquad
    \text{(E3)}\ \mathbb E[\ell'(p)^2] = \lambda a^2/\gamma^2,

and the limit cosine is :math:`\rho = \mu/\sigma`, accuracy :math:`\Phi(\kappa\rho)`. The
same system (in other notation) is in Taheri, Pedarsani & Thrampoulidis (AISTATS 2020;
Entropy 23:178, 2021) for the Gaussian-mixture model, and for logistic loss in
Mai & Liao (2019) and Deng, Kammoun & Thrampoulidis (2019); their equation numbers could
not be confirmed from the sources available here, so the derivation above is our own.

This module (SymPy only) derives what the numerics need: the loss and its derivatives from
the registry (:func:`theory.derive_binary`, never retyped), the prox optimality condition,
the kink of a non-smooth loss, the square-loss closed form (solved symbolically from
E1-E3), and the Gaussian moment :math:`\mathbb E[(Z-m)_+^2]` behind the separability
threshold and the max-margin limit (:func:`separability_ratio`, :func:`maxmargin_equation`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from theory._cache import disk_cached
from theory._derive import derive_binary
from core.errors import InvalidParameterError
from theory._registry import T, get_regularizer

__all__ = [
    "V", "X", "GAMMA", "Z", "MU", "A", "KAPPA", "LAM", "M", "C", "TARGET",
    "AsymptoticLoss", "asymptotic_loss", "square_loss", "prox_condition",
    "fixed_point_equations", "square_loss_solution", "gaussian_expectation",
    "truncated_moment", "positive_part_moment", "separability_ratio", "maxmargin_equation", "SQUARE",
]

V = sp.Symbol("v", real=True)              # prox variable
X = sp.Symbol("x", real=True)              # prox argument kappa*mu + sigma*Z
GAMMA = sp.Symbol("gamma", positive=True)  # Moreau parameter
Z = sp.Symbol("Z", real=True)              # standard normal
MU = sp.Symbol("mu", real=True)            # lim <w, e1>
A = sp.Symbol("a", positive=True)          # lim ||P_perp w||
KAPPA = sp.Symbol("kappa", positive=True)  # signal strength mu_f / sigma_f
LAM = sp.Symbol("lambda", positive=True)   # d / N
M = sp.Symbol("m", real=True)              # threshold of the positive part
C = sp.Symbol("c", real=True)              # cosine of a candidate direction
TARGET = sp.Symbol("tau", positive=True)   # target of the pure square loss

#: Name of the pure square loss (t - 1)^2 (not a logit regulariser; the FLD reference, A5).
SQUARE = "square"


@dataclass(frozen=True)
class AsymptoticLoss:
    r"""A per-sample loss :math:`\ell(t)` and what the fixed point needs from it.

    ``loss``, ``dloss``, ``d2loss`` are expressions in ``(T, ALPHA)``; for a non-smooth
    loss ``d2loss`` is the a.e. second derivative and ``kink = (l'(0-), l'(0+))`` (in
    ``ALPHA``) describes the jump of :math:`\ell'` at the only kink :math:`t = 0` (``f``
    even, written with ``Abs``); ``None`` when smooth.
    """

    name: str
    loss: sp.Expr
    dloss: sp.Expr
    d2loss: sp.Expr
    kink: tuple | None
    uses_alpha: bool

    @property
    def prox(self) -> sp.Eq:
        r"""Prox optimality condition :math:`v + \gamma\ell'(v) = x` (in ``V, X, GAMMA``)."""
        return prox_condition(self)


def prox_condition(loss: AsymptoticLoss) -> sp.Eq:
    r""":math:`p = \operatorname{prox}_{\gamma\ell}(x) \iff p + \gamma\ell'(p) = x`
    (first-order condition of :math:`\min_v \ell(v) + (x-v)^2/2\gamma`; unique root for
    convex :math:`\ell` since the left side is strictly increasing in :math:`v`)."""
    return sp.Eq(V + GAMMA * loss.dloss.subs(T, V), X)


def square_loss(target=1) -> AsymptoticLoss:
    r"""The pure square loss :math:`(t-\tau)^2` (default :math:`\tau = 1`)."""
    loss = (T - sp.sympify(target)) ** 2
    d1 = sp.diff(loss, T)
    return AsymptoticLoss(SQUARE, loss, d1, sp.diff(d1, T), None, False)


@functools.lru_cache(maxsize=32)
@disk_cached
def asymptotic_loss(regularizer) -> AsymptoticLoss:
    r"""The loss :math:`\ell = (1-\alpha)\ell_{CE} + \alpha f` of a registered regulariser
    (from :func:`theory.derive_binary`), or the pure square loss for ``"square"``.

    >>> asymptotic_loss("maxsup").kink
    (-1/2, alpha - 1/2)
    """
    if isinstance(regularizer, str) and regularizer == SQUARE:
        return square_loss()
    reg = get_regularizer(regularizer)
    d = derive_binary(reg)
    kink = None
    if not d.smooth:
        left = sp.limit(d.dloss, T, 0, "-")
        right = sp.limit(d.dloss, T, 0, "+")
        if not (left.is_finite is not False and right.is_finite is not False):
            raise InvalidParameterError(
                f"regulariser {reg.name!r}: l' has no finite one-sided limits at t=0 "
                f"({left}, {right}); the asymptotic theory needs a kink of Abs type")
        kink = (sp.simplify(left), sp.simplify(right))
    return AsymptoticLoss(reg.name, d.loss, d.dloss, d.d2loss, kink, True)


def fixed_point_equations(loss: AsymptoticLoss) -> tuple:
    r"""(E1), (E2), (E3) as SymPy equations with the expectation written ``E(...)`` and
    :math:`p` the prox of :math:`x = \kappa\mu + \sigma Z` (for display and the notebook).

    Derived as the stationarity of the scalar game of the module docstring:
    :math:`\partial_\mu`, :math:`\partial_a` and :math:`\partial_\gamma`.
    """
    E = sp.Function("E")
    p = sp.Symbol("p", real=True)
    sigma = sp.sqrt(MU**2 + A**2)
    dl = loss.dloss.subs(T, p)
    return (sp.Eq(KAPPA * E(dl), -LAM * MU / GAMMA),
            sp.Eq(E(Z * dl), LAM * sigma / GAMMA),
            sp.Eq(E(dl**2), LAM * A**2 / GAMMA**2))


def gaussian_expectation(poly: sp.Expr, z=Z) -> sp.Expr:
    r""":math:`\mathbb E[\mathrm{poly}(Z)]`, :math:`Z\sim N(0,1)`, for a polynomial in ``z``:
    :math:`\mathbb E[Z^{k}] = (k-1)!!` for even ``k``, 0 for odd ``k``."""
    P = sp.Poly(sp.expand(poly), z)
    return sp.expand(sum(coef * (sp.factorial2(k - 1) if k % 2 == 0 else 0)
                         for (k,), coef in P.terms()))


def _linear_root(expr, var):
    """The root of ``expr = 0`` whose numerator (after ``together``) is linear in ``var``."""
    num = sp.expand(sp.numer(sp.together(expr)))
    poly = sp.Poly(num, var)
    if poly.degree() != 1:
        raise InvalidParameterError(f"expected an equation linear in {var}, got degree "
                                    f"{poly.degree()}: {num} = 0")
    c1, c0 = poly.all_coeffs()
    return sp.factor(sp.cancel(-c0 / c1))


@functools.lru_cache(maxsize=4)
@disk_cached
def square_loss_solution(target=1) -> dict:
    r"""Solve (E1)-(E3) symbolically for the square loss :math:`(t-\tau)^2`.

    The prox is linear, :math:`p = (x + 2\gamma\tau)/(1+2\gamma)`, so every expectation is a
    Gaussian moment; SymPy solves the three equations for :math:`(\gamma, \mu, a^2)`:

    .. math::
        \gamma = \frac{\lambda}{2(1-\lambda)},\quad \mu = \frac{\tau\kappa}{1+\kappa^2},\quad
        a^2 = \frac{\tau^2\lambda}{(1-\lambda)(1+\kappa^2)},\quad
        \rho^2 = \frac{\kappa^2(1-\lambda)}{\kappa^2+\lambda}.

    Returns a dict with keys ``gamma, mu, a2, rho2`` (expressions in ``KAPPA, LAM``, and
    ``TARGET`` when ``target`` is symbolic).
    """
    loss = square_loss(target)
    p = _linear_root(prox_condition(loss).lhs - prox_condition(loss).rhs, V)
    a2 = sp.Symbol("a2", positive=True)
    sigma = sp.Symbol("sigma", positive=True)
    dl = sp.expand(loss.dloss.subs(T, p).subs(X, KAPPA * MU + sigma * Z))
    e1 = KAPPA * gaussian_expectation(sp.numer(sp.together(dl))) / sp.denom(sp.together(dl)) \
        + LAM * MU / GAMMA
    e2 = gaussian_expectation(sp.numer(sp.together(Z * dl))) / sp.denom(sp.together(dl)) \
        - LAM * sigma / GAMMA
    e3 = gaussian_expectation(sp.numer(sp.together(dl**2))) / sp.denom(sp.together(dl**2)) \
        - LAM * a2 / GAMMA**2
    gamma = _linear_root(e2, GAMMA)
    mu = _linear_root(e1.subs(GAMMA, gamma), MU)
    e3s = e3.subs(GAMMA, gamma).subs(sigma, sp.sqrt(MU**2 + a2)).subs(MU, mu)
    a2v = sp.factor(_linear_root(e3s, a2))
    mu = sp.factor(mu)
    rho2 = sp.factor(sp.cancel(mu**2 / (mu**2 + a2v)))
    return {"gamma": gamma, "mu": mu, "a2": a2v, "rho2": rho2}


def truncated_moment(k: int, m=M) -> sp.Expr:
    r""":math:`J_k(m) = \int_m^\infty z^k\varphi(z)\,dz` by the integration-by-parts
    recursion :math:`J_k = m^{k-1}\varphi(m) + (k-1)J_{k-2}`, :math:`J_0 = \Phi(-m)`,
    :math:`J_1 = \varphi(m)` (``erfc`` form)."""
    phi = sp.exp(-m**2 / 2) / sp.sqrt(2 * sp.pi)
    if k == 0:
        return sp.erfc(m / sp.sqrt(2)) / 2
    if k == 1:
        return phi
    return m ** (k - 1) * phi + (k - 1) * truncated_moment(k - 2, m)


@functools.lru_cache(maxsize=1)
def positive_part_moment() -> sp.Expr:
    r""":math:`P_2(m) = \mathbb E[(Z-m)_+^2] = \int_m^\infty (z-m)^2\varphi(z)\,dz
    = J_2 - 2mJ_1 + m^2J_0` (:func:`truncated_moment`); it equals
    :math:`(1+m^2)\Phi(-m) - m\varphi(m)` (the tests also compare it with
    ``sympy.integrate`` and with mpmath quadrature)."""
    expr = sp.expand((sp.Symbol("z") - M) ** 2)
    poly = sp.Poly(expr, sp.Symbol("z"))
    out = sum(coef * truncated_moment(k) for (k,), coef in poly.terms())
    return sp.collect(sp.expand(out), [sp.erfc(M / sp.sqrt(2)), sp.exp(-M**2 / 2)])


def separability_ratio() -> sp.Expr:
    r""":math:`R(c) = P_2(c\kappa)/(1-c^2)`; the mixture is linearly separable in the limit
    iff :math:`\lambda > \lambda_{sep}(\kappa) = \min_{c\in(-1,1)} R(c)` (claim A2).

    Gordon's comparison for the feasibility of :math:`w\cdot v_i > 0` with
    :math:`w = (c, \sqrt{1-c^2}\,\cdot)`: the constraint set is nonempty iff
    :math:`N\,\mathbb E[(-c\kappa - Z)_+^2] < (1-c^2)\,d` for some ``c``
    (the route of Candès & Sur 2020 for the logistic MLE and of Deng, Kammoun &
    Thrampoulidis 2019 for the mixture); :math:`\lambda_{sep}(0) = 1/2` is Cover's.
    """
    return positive_part_moment().subs(M, C * KAPPA) / (1 - C**2)


def maxmargin_equation() -> sp.Expr:
    r"""Margin equation of the max-margin classifier in direction cosine ``c``:
    :math:`P_2(c\kappa - m) - \lambda(1-c^2) = 0` (root :math:`m(c)`, the largest
    normalised margin attainable with cosine ``c``).

    Derivation (CGMT as in :func:`separability_ratio`, with margin ``m`` instead of 0):
    unit :math:`w` with cosine ``c`` satisfies :math:`w\cdot v_i \ge m` for all ``i`` in the
    limit iff :math:`\mathbb E[(m - c\kappa - Z)_+^2] \le \lambda(1-c^2)`. The Euclidean
    max-margin direction maximises :math:`m(c)`; a weighted norm
    :math:`r^2\mu^2 + a^2` (max-margin in the original coordinates, A4) minimises
    :math:`(r^2c^2 + 1 - c^2)/m(c)^2`.
    """
    return positive_part_moment().subs(M, C * KAPPA - sp.Symbol("margin", real=True)) \
        - LAM * (1 - C**2)
