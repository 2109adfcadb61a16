r"""Claim B4 (population half): the Gaussian population minimiser points along
:math:`\Sigma^{-1}\mu`, found by minimising over :math:`S` at 40 digits (docs/theory.md §2).

For :math:`x \sim \mathcal N(\mu, \Sigma)` the logit :math:`S\cdot x` is
:math:`\mathcal N(m, s^2)`, :math:`m = S\cdot\mu`, :math:`s = \sqrt{S^\top\Sigma S}`, so

.. math::
    F(S) = \mathbb E[\ell(S\cdot x)] = G(m, s),\qquad
    G(m, s) = \mathbb E[\ell(m + sY)],\quad Y \sim \mathcal N(0, 1).

**Derivatives from** :math:`\ell'` **only.** Writing :math:`G = \int \ell(t)\,p(t)\,dt`
with :math:`p = \varphi((t-m)/s)/s` and :math:`y = (t-m)/s`, the weight derivatives
:math:`\partial_m p = p\,y/s` and :math:`\partial_s p = p\,(y^2-1)/s` give

.. math::
    G_m = \mathbb E[\ell'],\quad G_s = \mathbb E[\ell' Y],\quad
    G_{mm} = \frac{\mathbb E[\ell' Y]}{s},\quad
    G_{ms} = \frac{\mathbb E[\ell'(Y^2-1)]}{s},\quad
    G_{ss} = \frac{\mathbb E[\ell'(Y^3-2Y)]}{s},

with :math:`\ell' = \ell'(m + sY)`. No :math:`\ell''` appears, so MaxSup's kink (a jump
of :math:`\ell'` at :math:`t=0`, a Dirac mass in :math:`\ell''`) needs no special term:
the integrals are split at :math:`y_0 = -m/s`. Chain rule through
:math:`\nabla m = \mu`, :math:`\nabla s = v = \Sigma S/s`,
:math:`\nabla^2 s = (\Sigma - vv^\top)/s`:

.. math::
    \nabla F = G_m\mu + G_s v,\qquad
    \nabla^2 F = G_{mm}\mu\mu^\top + G_{ms}(\mu v^\top + v\mu^\top) + G_{ss}vv^\top
    + \frac{G_s}{s}(\Sigma - vv^\top).

A mixture :math:`\sum_k \pi_k\mathcal N(\mu_k, \Sigma_k)` is the weighted sum of such
terms (used as the negative control: a non-Gaussian population, where the direction is
*not* :math:`\Sigma_{tot}^{-1}\mu_{tot}`).

**Quadrature.** :math:`\mathbb E[h(Y)]` by ``mpmath.quad`` (Gauss--Legendre, degree
raised until mpmath's error estimate is below :math:`10^{-\mathrm{dps}}`) on
:math:`[-14, y_0] \cup [y_0, 14]`. The truncated tails are bounded by
:math:`(|h(14)| + |h(-14)|)\varphi(14)`, :math:`\varphi(14) \approx 10^{-43}`, for the
integrands :math:`h` here (polynomial growth: :math:`\ell'` at most linear,
:math:`\ell` quadratic). The reported error is the sum of mpmath's estimate and that
bound, maximised with an independent witness of the rule's accuracy: Stein's identity
:math:`\mathbb E[\ell(t)Y] = s\,\mathbb E[\ell'(t)]`, evaluated with the same rule.

**Minimisation.** Newton's method over :math:`S \in \mathbb R^d` in mpmath (Hessian
eigenvalues floored in absolute value, so a non-convex :math:`\ell` still gets a descent
direction; Armijo backtracking) until :math:`\|\nabla F\| < 10^{-25}`. The theorem is never
used: the start is the float64 :func:`numerics.solve.population.population_minimizer` (itself
started at :math:`t^*\mu/\|\mu\|^2`) or a given point.

Why this can fail and why convexity matters. At any stationary point
:math:`G_m\mu = -(G_s/s)\Sigma S`, so :math:`S \propto \Sigma^{-1}\mu` whenever
:math:`G_s = s\,\mathbb E[\ell''(t)] \ne 0`. The claim is that the *minimiser* is such a
point on the boundary :math:`s = m/\|\Sigma^{-1/2}\mu\|` of the attainable
:math:`(m, s)` region; for convex :math:`\ell`, :math:`G` is non-decreasing in :math:`s`
(Lemma C.1), which forces it. For the non-convex confidence penalty :math:`G_s < 0`
somewhere, so an interior minimiser (any direction with the optimal :math:`(m, s)`) is
possible a priori: it is measured and reported separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from core.claims import CheckResult, register
from theory import get_regularizer
from core.errors import ConvergenceError, InvalidParameterError
from core.validation import check_alpha

from numerics.compile.compiled import compile_binary
from numerics.models.gaussian import gaussian_population
from numerics.solve.population import population_minimizer
from numerics.claims._common import seeds

__all__ = ["LogitMoments", "MpPopulationMinimum", "logit_expectation",
           "mp_population_minimizer", "mp_mixture_minimizer", "mp_fisher_direction",
           "direction_error", "random_population", "population_alignment", "min_curvature",
           "mixture_control",
           "check_b4_population", "CONVEX_BUILTINS", "SIZES"]

#: Working digits: >= 30 asked; 40 leaves 15 digits between the rounding of the
#: quadrature sums and the gradient tolerance below.
DPS = 40
#: Newton stops when ||grad F|| is below this (far above the ~1e-38 quadrature error).
GRAD_TOL = 1e-25
#: Claim B4 tolerance on ``|| S/|S| - w/|w| ||``, w = Sigma^{-1} mu.
DIRECTION_TOL = 1e-15
#: Quadrature error (mpmath estimate and Stein witness) must stay below this.
QUAD_TOL = 1e-25
#: ``|y|`` cut-off of the Gaussian integrals: phi(14) ~ 1e-43 (module notes).
Y_CUT = 14
#: The built-ins with convex f (the confidence penalty is bounded hence not convex).
CONVEX_BUILTINS = ("quadratic", "label_smoothing", "maxsup")
#: Sizes of claim B4's population half (check: "default", ``--full``: "full"): dimensions
#: of the random populations, alphas, and the alphas of the (reported) confidence penalty.
SIZES = {
    "default": dict(dims=(2, 3), alphas=(0.1, 0.4), penalty_alphas=(0.2, 0.9)),
    "full": dict(dims=(2, 3, 4), alphas=(0.05, 0.1, 0.2, 0.4), penalty_alphas=(0.2, 0.5, 0.9)),
}


@dataclass(frozen=True)
class LogitMoments:
    r""":math:`G(m, s)`, its first and second derivatives, and the quadrature error bound
    (max of mpmath's estimates and the Stein residual
    :math:`|\mathbb E[\ell Y] - s\mathbb E[\ell']|`). All ``mpf``."""

    value: object
    d_m: object
    d_s: object
    d_mm: object
    d_ms: object
    d_ss: object
    error: object


class _Expectation:
    """``(m, s) -> G and derivatives`` for one compiled loss at one alpha (mpmath)."""

    def __init__(self, comp, alpha):
        self.loss, self.dloss = comp.mp_loss, comp.mp_dloss
        self.alpha = mpmath.mpf(alpha)

    def _expect(self, fn, y0):
        cut = mpmath.mpf(Y_CUT)
        pts = [-cut, y0, cut] if -cut < y0 < cut else [-cut, cut]
        weight = mpmath.exp(-cut * cut / 2)
        val, err = mpmath.quad(lambda y: fn(y) * mpmath.exp(-y * y / 2), pts,
                               method="gauss-legendre", error=True)
        # Truncated tails: int_L^inf h(y) e^{-y^2/2} dy <= |h(L)| e^{-L^2/2} for h of
        # polynomial growth of degree < L^2/2 (Mills ratio), here degree <= 5.
        tail = (abs(fn(cut)) + abs(fn(-cut))) * weight
        norm = 1 / mpmath.sqrt(2 * mpmath.pi)
        return val * norm, (abs(err) + tail) * norm

    def value(self, m, s):
        return self._expect(lambda y: self.loss(m + s * y, self.alpha), -m / s)

    def __call__(self, m, s) -> LogitMoments:
        c0, c1 = {}, {}

        def l0(y):  # the nodes are shared by the integrals below: evaluate once
            v = c0.get(y)
            if v is None:
                v = c0[y] = self.loss(m + s * y, self.alpha)
            return v

        def d1(y):
            v = c1.get(y)
            if v is None:
                v = c1[y] = self.dloss(m + s * y, self.alpha)
            return v

        y0 = -m / s
        g, e0 = self._expect(l0, y0)
        ly, e1 = self._expect(lambda y: l0(y) * y, y0)
        e = [self._expect(lambda y, k=k: d1(y) * y**k, y0) for k in range(4)]
        (a0, _), (a1, _), (a2, _), (a3, _) = e
        err = max([e0, e1, abs(ly - s * a0)] + [x[1] for x in e])
        return LogitMoments(g, a0, a1, a1 / s, (a2 - a0) / s, (a3 - 2 * a1) / s, err)


def logit_expectation(regularizer, alpha, m, s, *, dps: int = DPS) -> LogitMoments:
    r""":math:`G(m, s) = \mathbb E[\ell(m + sY)]` and its derivatives at ``dps`` digits.

    >>> import mpmath, numpy as np
    >>> from numerics.solve.population import population_loss_mp
    >>> g = logit_expectation("maxsup", 0.2, 0.5, 2.5)   # (m, s) of S=(2, 1.5) below
    >>> ref = population_loss_mp([2.0, 1.5], [0.25, 0.0], np.eye(2), "maxsup", 0.2)
    >>> with mpmath.workdps(40):
    ...     bool(abs(g.value - ref) < 1e-30), bool(g.error < 1e-25)
    (True, True)
    """
    comp = compile_binary(get_regularizer(regularizer))
    alpha = check_alpha(alpha, caller="logit_expectation")
    with mpmath.workdps(dps):
        s = mpmath.mpf(s)
        if not s > 0:
            raise InvalidParameterError(
                f"The 's' parameter of logit_expectation must be > 0. Got {s!r} instead.")
        return _Expectation(comp, _mp_alpha(alpha))(mpmath.mpf(m), s)


def _mp(x):
    """Exact mpf of a float (its binary value); strings and mpf pass through."""
    return mpmath.mpf(x)


def _mp_alpha(alpha):
    """alpha as the decimal it was typed as (``repr``), the convention of
    :func:`numerics.solve.population.population_loss_mp` and ``CompiledBinary.mp_target``."""
    return mpmath.mpf(repr(alpha)) if isinstance(alpha, float) else mpmath.mpf(alpha)


# ------------------------------------------------------------------ the objective F(S)
class _Objective:
    r""":math:`F(S) = \sum_k \pi_k G(S\cdot\mu_k, \sqrt{S^\top\Sigma_k S})` (module notes)."""

    def __init__(self, comps, expectation):
        self.comps, self.expect = comps, expectation

    @staticmethod
    def _ms(S, mu, Sig):
        SS = Sig * S
        s = mpmath.sqrt((S.T * SS)[0])
        return (S.T * mu)[0], s, SS / s

    def value(self, S):
        return mpmath.fsum(p * self.expect.value(*self._ms(S, mu, Sig)[:2])[0]
                           for p, mu, Sig in self.comps)

    def full(self, S):
        d = S.rows
        F, g, H, err, curv = 0, mpmath.zeros(d, 1), mpmath.zeros(d, d), 0, []
        for p, mu, Sig in self.comps:
            m, s, v = self._ms(S, mu, Sig)
            mo = self.expect(m, s)
            F += p * mo.value
            g += p * (mo.d_m * mu + mo.d_s * v)
            H += p * (mo.d_mm * (mu * mu.T) + mo.d_ms * (mu * v.T + v * mu.T)
                      + mo.d_ss * (v * v.T) + (mo.d_s / s) * (Sig - v * v.T))
            err = max(err, mo.error)
            curv.append(mo.d_s / s)  # = E[l''(t)] by Stein (a.e. plus the kink mass)
        return F, g, H, err, curv


@dataclass(frozen=True)
class MpPopulationMinimum:
    r"""Result of the 40-digit minimisation over :math:`S`.

    ``coef`` (mpmath column), ``value`` :math:`F`, ``gradient_norm``, ``quadrature_error``
    (max over the components at ``coef``), ``iterations`` (Newton steps),
    ``hessian_min_eig`` (> 0: a strict local minimum) and ``curvature``
    (:math:`G_s/s = \mathbb E[\ell''(t)]` per component; :math:`\ne 0` forces alignment
    at a stationary point of a Gaussian population).
    """

    coef: object
    value: object
    gradient_norm: object
    quadrature_error: object
    iterations: int
    hessian_min_eig: object
    curvature: tuple
    dps: int


def _newton(obj, S, grad_tol, max_iter, dps, what):
    tiny = mpmath.mpf(10) ** (-dps + 8)
    for it in range(max_iter + 1):
        F, g, H, err, curv = obj.full(S)
        gn = mpmath.norm(g)
        E, Q = mpmath.eigsy(H)
        lam = min(E)
        if gn < grad_tol:
            return MpPopulationMinimum(S, F, gn, err, it, lam, tuple(curv), dps)
        if it == max_iter:
            break
        floor = max(abs(x) for x in E) * mpmath.mpf(10) ** -8
        p = -(Q * mpmath.diag([1 / max(abs(x), floor) for x in E]) * Q.T * g)
        slope = (g.T * p)[0]
        if lam > 0 and -slope < tiny * (1 + abs(F)):
            S = S + p  # quadratic-convergence regime: the decrease is below resolution
            continue
        t = mpmath.mpf(1)
        while True:
            trial = S + t * p
            if obj.value(trial) <= F + mpmath.mpf("1e-4") * t * slope:
                break
            t /= 2
            if t < mpmath.mpf(2) ** -60:
                raise ConvergenceError(f"{what}: line search failed at step {it}",
                                       iterations=it, gradient_norm=float(gn))
        S = trial
    raise ConvergenceError(
        f"{what}: ||grad|| = {mpmath.nstr(gn, 3)} >= {grad_tol!r} after {max_iter} Newton "
        "steps", iterations=max_iter, gradient_norm=float(gn))


def _components(weights, mus, sigmas, caller):
    comps, d = [], None
    for p, mu, sig in zip(weights, mus, sigmas):
        pop = gaussian_population(mu, sig)  # validates shapes, symmetry, definiteness
        if d is not None and pop.d != d:
            raise InvalidParameterError(
                f"{caller}: all components need the same dimension. Got {d} and {pop.d}.")
        d = pop.d
        comps.append((_mp(float(p)), mpmath.matrix([_mp(float(x)) for x in pop.mu]),
                      mpmath.matrix([[_mp(float(x)) for x in row] for row in pop.cov])))
    return comps


def mp_mixture_minimizer(weights, mus, sigmas, regularizer="quadratic", alpha=0.2, *,
                         start, dps: int = DPS, grad_tol: float = GRAD_TOL,
                         max_iter: int = 40) -> MpPopulationMinimum:
    r"""Minimiser of :math:`\sum_k \pi_k\mathbb E_{\mathcal N(\mu_k,\Sigma_k)}[\ell(S\cdot x)]`
    over :math:`S` at ``dps`` digits, Newton from ``start`` (module notes)."""
    caller = "mp_mixture_minimizer"
    comp = compile_binary(get_regularizer(regularizer))
    alpha = check_alpha(alpha, caller=caller, allow_zero=False)
    with mpmath.workdps(dps):
        comps = _components(weights, mus, sigmas, caller)
        S0 = mpmath.matrix([_mp(float(x)) for x in np.asarray(start, dtype=float)])
        obj = _Objective(comps, _Expectation(comp, _mp_alpha(alpha)))
        return _newton(obj, S0, mpmath.mpf(grad_tol), max_iter, dps,
                       f"{caller}({comp.name!r}, alpha={alpha!r})")


def mp_population_minimizer(mu, Sigma, regularizer="quadratic", alpha=0.2, *, start=None,
                            dps: int = DPS, grad_tol: float = GRAD_TOL,
                            max_iter: int = 40) -> MpPopulationMinimum:
    r"""Minimiser of :math:`\mathbb E[\ell(S\cdot x)]`, :math:`x\sim\mathcal N(\mu,\Sigma)`,
    found by Newton over :math:`S` at ``dps`` digits without using claim B4.

    ``start`` defaults to the float64 :func:`numerics.solve.population.population_minimizer`.

    >>> import numpy as np
    >>> mu, Sigma = np.array([1.0, 0.5]), np.array([[1.0, 0.3], [0.3, 2.0]])
    >>> sol = mp_population_minimizer(mu, Sigma, "maxsup", 0.2)
    >>> float(direction_error(sol.coef, mp_fisher_direction(mu, Sigma))) < 1e-25
    True
    """
    if start is None:
        start = population_minimizer(mu, Sigma, regularizer, alpha).coef
    return mp_mixture_minimizer([1.0], [mu], [Sigma], regularizer, alpha, start=start,
                                dps=dps, grad_tol=grad_tol, max_iter=max_iter)


def mp_fisher_direction(mu, Sigma, *, dps: int = DPS):
    r""":math:`\Sigma^{-1}\mu` in mpmath (LU solve of the exact binary inputs)."""
    with mpmath.workdps(dps):
        pop = gaussian_population(mu, Sigma)
        A = mpmath.matrix([[_mp(float(x)) for x in row] for row in pop.cov])
        return mpmath.lu_solve(A, mpmath.matrix([_mp(float(x)) for x in pop.mu]))


def direction_error(S, w, *, dps: int = DPS):
    r""":math:`\|S/\|S\| - w/\|w\|\|` at ``dps`` digits (signed: opposite directions
    give 2)."""
    with mpmath.workdps(dps):
        S, w = mpmath.matrix(S), mpmath.matrix(w)
        return mpmath.norm(S / mpmath.norm(S) - w / mpmath.norm(w))


def random_population(d, seed):
    r"""A generic :math:`(\mu, \Sigma)`: :math:`\mu \sim \mathcal N(0, I)`,
    :math:`\Sigma = AA^\top/d + 0.2I` (condition numbers up to ~30)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    return rng.normal(size=d), A @ A.T / d + 0.2 * np.eye(d)


def min_curvature(regularizer, alpha, *, lo=-50.0, hi=50.0, n=20001) -> float:
    r""":math:`\min_t \ell''(t)` on a grid (< 0: :math:`\ell` is not convex)."""
    comp = compile_binary(get_regularizer(regularizer))
    return float(np.min(comp.d2loss(np.linspace(lo, hi, n), alpha)))


def population_alignment(mu, Sigma, regularizer, alpha, **kw):
    """``(direction error, MpPopulationMinimum)`` for one population (claim B4)."""
    sol = mp_population_minimizer(mu, Sigma, regularizer, alpha, **kw)
    return direction_error(sol.coef, mp_fisher_direction(mu, Sigma)), sol


#: Negative control: two Gaussians with different covariances (non-Gaussian mixture).
#: Measured: direction error 2.1e-2 for label smoothing at alpha = 0.2 (3e-5 for the
#: quadratic, whose loss is closer to a squared loss).
_MIXTURE = ([0.8, 0.2], [[1.0, 0.5], [3.0, -2.0]],
            [[[0.5, 0.0], [0.0, 1.0]], [[0.1, 0.0], [0.0, 0.1]]])
#: The control passes when its error exceeds the claim tolerance by >= 9 decades.
CONTROL_MIN = 1e-6


def mixture_control(regularizer="label_smoothing", alpha=0.2):
    r"""Direction error of the minimiser of a two-component mixture against its
    moment-matched :math:`\Sigma_{tot}^{-1}\mu_{tot}` -- must be large (negative control).
    Newton starts *at* the moment-matched Gaussian's minimiser (on the FLD line)."""
    w, mus, sigs = (np.asarray(x, dtype=float) for x in _MIXTURE)
    mu_tot = w @ mus
    cov = sum(p * (s + np.outer(m, m)) for p, m, s in zip(w, mus, sigs)) - np.outer(mu_tot,
                                                                                      mu_tot)
    start = population_minimizer(mu_tot, cov, regularizer, alpha).coef
    sol = mp_mixture_minimizer(w, mus, sigs, regularizer, alpha, start=start)
    return direction_error(sol.coef, mp_fisher_direction(mu_tot, cov)), sol


@register("B4", "Gaussian population, convex l: the minimiser of E[l(S.x)] points along "
                "population Sigma^-1 mu (found by 40-digit Newton over S)")
def check_b4_population(full: bool = False, regularizer=None) -> CheckResult:
    """Claim B4 (population half) at :data:`SIZES` ``"default"`` (``full``: ``"full"``),
    for the convex built-ins or for ``regularizer`` alone (a ``theory.Regularizer``: its
    min l'' and the minimiser's Hessian are reported, as for a non-convex f they decide
    whether Prop. 3.1 applies)."""
    size = SIZES["full" if full else "default"]
    dims, alphas = list(size["dims"]), list(size["alphas"])
    pops = [random_population(d, s) for d, s in zip(dims, seeds(4, len(dims)))]
    ev, worst = {}, {"direction": 0, "gradient": 0, "quadrature": 0}
    rng = np.random.default_rng(seeds(5, 1)[0])
    for reg in (CONVEX_BUILTINS if regularizer is None else [regularizer]):
        name = get_regularizer(reg).name
        runs = [(mu, Sigma, a, None) for mu, Sigma in pops for a in alphas]
        # One generic random start per regulariser (not the float64 minimiser).
        mu, Sigma = pops[0]
        z = rng.normal(size=mu.size)
        runs.append((mu, Sigma, alphas[0], z if z @ mu > 0 else -z))
        err_max = 0
        for mu, Sigma, a, start in runs:
            err, sol = population_alignment(mu, Sigma, reg, a, start=start)
            err_max = max(err_max, err)
            worst["gradient"] = max(worst["gradient"], sol.gradient_norm)
            worst["quadrature"] = max(worst["quadrature"], sol.quadrature_error)
        ev[f"{name}: max direction error ({len(runs)} runs)"] = float(err_max)
        worst["direction"] = max(worst["direction"], err_max)
    ev["max gradient norm"] = float(worst["gradient"])
    ev["max quadrature error"] = float(worst["quadrature"])
    control, _ = mixture_control()
    ev["negative control (2-Gaussian mixture) direction error"] = float(control)
    # Reported, not part of the verdict: f = -H is not convex (Prop. 3.1 does not apply).
    mu, Sigma = pops[0]
    other = "confidence_penalty" if regularizer is None else regularizer
    label = get_regularizer(other).name
    for a in size["penalty_alphas"]:
        err, sol = population_alignment(mu, Sigma, other, a)
        if regularizer is None:
            ev[f"{label} a={a}: direction error"] = float(err)
        ev[f"{label} a={a}: min l''(t)"] = min_curvature(other, a)
        ev[f"{label} a={a}: E[l''] at minimiser"] = float(sol.curvature[0])
        ev[f"{label} a={a}: Hessian min eig"] = float(sol.hessian_min_eig)
    passed = (worst["direction"] <= DIRECTION_TOL and worst["gradient"] < GRAD_TOL
              and worst["quadrature"] < QUAD_TOL and control > CONTROL_MIN)
    return CheckResult(
        "B4", "population minimiser direction = Sigma^-1 mu (Cor. 3.3), convex built-ins",
        ev, "1e-15 at 30+ digits (quadrature error below 1e-25): ||S/|S| - w/|w||| <= 1e-15, "
        f"Newton to ||grad|| < {GRAD_TOL:g} at {DPS} digits; negative control (non-Gaussian "
        f"mixture) must exceed {CONTROL_MIN:g}", passed,
        note="confidence penalty (non-convex f) reported, not judged: see its evidence")
