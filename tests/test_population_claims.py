r"""Claims B4 and B5: Fisher alignment of the population and of the squared-loss minimiser.

* (a) B4, population: for random :math:`\mu, \Sigma` the 40-digit minimiser of
  :math:`\mathbb E[\ell(S\cdot x)]` over :math:`S` points along :math:`\Sigma^{-1}\mu`
  for every convex built-in; the confidence penalty (non-convex) separately.
* (b) B4, finite sample: squared per-sample loss on ANY data with :math:`N > d` gives
  :math:`S \propto \hat\Sigma^{-1}\hat\mu` (Sherman--Morrison), independent of :math:`t^*`.
* (c) B5: the explicit norm, mean logit and minimal loss along a fixed direction.
* (d) Negative control: a non-quadratic loss on non-Gaussian data is *not* aligned.
"""

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import optimize

from core import claims as checks
from numerics.claims import population_check as pc
from numerics.solve.population import collapse_certificate, population_loss_mp
from theory import CollapsedMinimizerError
from numerics.solve.binary import minimize_binary
from numerics.solve.squared import minimize_squared

from tests.tolerances import assert_close

EPS = float(np.finfo(float).eps)
#: Finite-sample B4 in float64: least squares (gelsd) and the normal-equation solve
#: each lose ~cond^2 * eps; the forming of mu_hat loses eps * max|u| / |mu_hat|
#: (cancellation in the mean). 64 covers the O(d) constants for d <= 5.
LS_FACTOR = 64
#: Negative control threshold: >= 3 decades above any finite-sample B4 bound
#: used below (those stay < 1e-12 for the accepted conditioning).
CONTROL_MIN = 1e-9
#: Brent's method (scipy minimize_scalar) resolves the argmin to ~sqrt(eps) = 1.5e-8 of
#: the loss's flatness scale |a|/sqrt(mu^2+sigma^2) (tests scale by it): 1e-7; the loss
#: value, quadratic in the argmin error, to ~1e-16 a^2 plus the rounding of the sum: 1e-11.
BRENT_ARG_RTOL = 1e-7
BRENT_VAL_RTOL = 1e-11
#: Central differences of the 40-digit G with h = 1e-12: truncation h^2 G''' ~ 1e-24,
#: rounding 1e-40 / h = 1e-28; 1e-20 leaves headroom.
MP_FD_TOL = 1e-20
#: G by the module's truncated Gauss-Legendre rule vs population_loss_mp (tanh-sinh on
#: the whole line at 50 digits): both below 1e-38; 1e-30 is the claim's "30+ digits".
MP_QUAD_TOL = 1e-30


# --------------------------------------------------------------------- strategies
@st.composite
def gaussian_populations(draw, d=2):
    r""":math:`(\mu, \Sigma)` with :math:`\Sigma = LL^\top + 0.2I` (condition <= ~60) and
    :math:`\|\mu\| \ge 0.3` (claim B3 needs :math:`\mu \ne 0`)."""
    coord = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    mu = np.array(draw(st.lists(coord, min_size=d, max_size=d)))
    assume(np.linalg.norm(mu) >= 0.3)
    L = np.tril(np.array(draw(st.lists(st.floats(-1.5, 1.5, allow_nan=False),
                                       min_size=d * d, max_size=d * d))).reshape(d, d))
    return mu, L @ L.T + 0.2 * np.eye(d)


@st.composite
def designs(draw):
    """Arbitrary O(1) data with N > d (rows u_i = y_i x_i), as floats, not a distribution."""
    d = draw(st.integers(2, 5))
    n = draw(st.integers(d + 1, d + 25))
    vals = draw(st.lists(st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False),
                         min_size=n * d, max_size=n * d))
    shift = np.array(draw(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=d,
                                   max_size=d)))
    return np.array(vals).reshape(n, d) + shift


def _fisher(U):
    """Independent numpy: mean, centred covariance (1/N), and Sigma_hat^{-1} mu_hat."""
    mu = U.mean(axis=0)
    C = U - mu
    Sig = C.T @ C / U.shape[0]
    return mu, Sig, np.linalg.solve(Sig, mu)


def _unit(v):
    return v / np.linalg.norm(v)


# --------------------------------------------------------------------- (a) population
@pytest.mark.parametrize("name", pc.CONVEX_BUILTINS)
@given(pop=gaussian_populations(), alpha=st.floats(0.05, 0.45))
@settings(max_examples=3)
def test_b4_population_direction_convex(name, pop, alpha):
    r"""B4 (Cor. 3.3): :math:`\|S/\|S\| - w/\|w\|\| \le 10^{-15}`, :math:`w = \Sigma^{-1}\mu`,
    with :math:`S` from 40-digit Newton over :math:`S` (gradient < 1e-25)."""
    mu, Sigma = pop
    try:
        err, sol = pc.population_alignment(mu, Sigma, name, alpha)
    except CollapsedMinimizerError:
        # only a non-smooth f may collapse to S = 0; prove it by an independent route
        assert name == "maxsup"
        _assert_zero_is_minimum(mu, Sigma, name, alpha)
        return
    assert sol.gradient_norm < pc.GRAD_TOL
    assert sol.quadrature_error < pc.QUAD_TOL
    assert sol.hessian_min_eig > 0  # a strict local (hence, convex: global) minimum
    assert err <= pc.DIRECTION_TOL, f"{name}: direction error {mpmath.nstr(err, 3)}"


#: One-sided difference quotient at 50 digits with eps = 1e-12: the error is the
#: second-order term eps * J''(0; u) = O(1e-12), far below the certificates tested.
COLLAPSE_FD_EPS = 1e-12


def _assert_zero_is_minimum(mu, Sigma, name, alpha, seed=0):
    r"""S = 0 minimises the convex :math:`J` iff no direction descends: 50-digit
    ``population_loss_mp`` (tanh-sinh) rises along :math:`\pm\Sigma^{-1}\mu` and 8 random
    directions."""
    rng = np.random.default_rng(seed)
    j0 = population_loss_mp(np.zeros(mu.size), mu, Sigma, name, alpha)
    dirs = [np.linalg.solve(Sigma, mu), -np.linalg.solve(Sigma, mu),
            *rng.normal(size=(8, mu.size))]
    for u in dirs:
        u = u / np.sqrt(u @ Sigma @ u)
        rise = population_loss_mp(COLLAPSE_FD_EPS * u, mu, Sigma, name, alpha) - j0
        assert rise > 0, f"J decreases from S=0 along {u}"


def test_b4_maxsup_collapse_certificate_matches_difference_quotient():
    r"""The closed-form certificate :math:`g(M)` equals the 50-digit one-sided difference
    quotient of :math:`J` along :math:`\Sigma^{-1}\mu` (the CI counterexample:
    :math:`\mu = (0, 0.5)`, :math:`\Sigma = \mathrm{diag}(0.2, 1.2)`): collapsed at
    :math:`\alpha = 0.375` (the minimiser is S = 0), not at 0.3 (aligned as B4 says)."""
    mu, Sigma = np.array([0.0, 0.5]), np.diag([0.2, 1.2])
    u = np.linalg.solve(Sigma, mu)
    u = u / np.sqrt(u @ Sigma @ u)
    for alpha in (0.3, 0.375):
        quotient = float((population_loss_mp(COLLAPSE_FD_EPS * u, mu, Sigma, "maxsup", alpha)
                          - population_loss_mp(np.zeros(2), mu, Sigma, "maxsup", alpha))
                         / COLLAPSE_FD_EPS)
        along = collapse_certificate(mu, Sigma, "maxsup", alpha)
        # for MaxSup Phi(m*) = 1/(2 alpha) >= 1, so the minimum over directions is attained
        # along Sigma^{-1} mu; the quotient's O(eps) bias is 1e-12, the float64 closed form
        # ~1e-15: 1e-10 is tight enough to catch a wrong slope or a wrong M
        assert abs(along - quotient) <= 1e-10, (alpha, along, quotient)
    assert collapse_certificate(mu, Sigma, "maxsup", 0.3) < 0 < collapse_certificate(
        mu, Sigma, "maxsup", 0.375)
    with pytest.raises(CollapsedMinimizerError, match="alpha=0.375"):
        pc.population_alignment(mu, Sigma, "maxsup", 0.375)
    _assert_zero_is_minimum(mu, Sigma, "maxsup", 0.375)
    err, _ = pc.population_alignment(mu, Sigma, "maxsup", 0.3)
    assert err <= pc.DIRECTION_TOL
    # smooth f never collapses: certificate = -|l'(0)| M < 0
    assert collapse_certificate(mu, Sigma, "label_smoothing", 0.45) < 0


@pytest.mark.parametrize("alpha", [0.2, 0.9])
def test_b4_population_confidence_penalty_reported(alpha):
    r"""Confidence penalty: :math:`\ell` is NOT convex, so Prop. 3.1 does not apply.
    Measured: the minimiser still points along :math:`\Sigma^{-1}\mu`, through the
    mechanism that stationarity forces alignment whenever
    :math:`G_s/s = \mathbb E[\ell''(t)] \ne 0` (here > 0: the point sits on the boundary
    of the attainable (m, s) region)."""
    mu, Sigma = pc.random_population(2, 7)
    assert pc.min_curvature("confidence_penalty", alpha) < 0  # outside the theorem
    err, sol = pc.population_alignment(mu, Sigma, "confidence_penalty", alpha)
    assert sol.gradient_norm < pc.GRAD_TOL and sol.hessian_min_eig > 0
    assert sol.curvature[0] > 0
    assert err <= pc.DIRECTION_TOL


def test_population_random_start_and_negative_control():
    """The minimiser does not depend on the start; a non-Gaussian mixture is not aligned."""
    mu, Sigma = pc.random_population(3, 11)
    err, _ = pc.population_alignment(mu, Sigma, "label_smoothing", 0.3,
                                     start=np.array([0.3, -1.0, 0.7]) * np.sign(mu[0]))
    assert err <= pc.DIRECTION_TOL
    control, sol = pc.mixture_control()
    assert sol.gradient_norm < pc.GRAD_TOL
    assert control > pc.CONTROL_MIN


@pytest.mark.parametrize("name", ["quadratic", "maxsup", "confidence_penalty"])
def test_logit_expectation_derivatives(name):
    r"""The :math:`\ell'`-only formulas for :math:`G_m, G_s, G_{mm}, G_{ms}, G_{ss}` against
    central differences at 40 digits, and :math:`G` against ``population_loss_mp``."""
    alpha, m, s = 0.3, mpmath.mpf("0.4"), mpmath.mpf("1.7")
    G = lambda m_, s_: pc.logit_expectation(name, alpha, m_, s_)  # noqa: E731
    g = G(m, s)
    with mpmath.workdps(40):
        h = mpmath.mpf("1e-12")
        gm_p, gm_m, gs_p, gs_m = G(m + h, s), G(m - h, s), G(m, s + h), G(m, s - h)
        fd = {"d_m": (gm_p.value - gm_m.value) / (2 * h),
              "d_s": (gs_p.value - gs_m.value) / (2 * h),
              "d_mm": (gm_p.d_m - gm_m.d_m) / (2 * h),
              "d_ms": (gs_p.d_m - gs_m.d_m) / (2 * h),
              "d_ss": (gs_p.d_s - gs_m.d_s) / (2 * h)}
        for key, ref in fd.items():
            assert abs(getattr(g, key) - ref) < MP_FD_TOL, key
    # Independent implementation (tanh-sinh on the whole line, 50 digits):
    # S = (2, 1.5), mu = (0.25, 0), Sigma = I give the exact logit moments (0.5, 2.5).
    val = population_loss_mp([2.0, 1.5], [0.25, 0.0], np.eye(2), name, alpha)
    g2 = pc.logit_expectation(name, alpha, 0.5, 2.5)
    with mpmath.workdps(40):
        assert abs(g2.value - val) < MP_QUAD_TOL
        assert g.error < pc.QUAD_TOL


def test_b4_registered():
    fns = [fn for _, fn in checks._REGISTRY.get("B4", [])]
    assert pc.check_b4_population in fns


# --------------------------------------------------------------------- (b) finite sample
@given(U=designs(), t1=st.floats(0.1, 10.0), t2=st.floats(0.1, 10.0))
def test_b4_squared_loss_any_data(U, t1, t2):
    r"""B4 (Cor. 3.3, Sherman--Morrison): :math:`\arg\min \frac1N\sum(S\cdot u_i - t^*)^2
    = \frac{t^*}{1 + \hat\mu^\top\hat\Sigma^{-1}\hat\mu}\hat\Sigma^{-1}\hat\mu`,
    so the direction is :math:`\hat\Sigma^{-1}\hat\mu` for every :math:`t^*`."""
    kU = np.linalg.cond(U)
    mu = U.mean(axis=0)
    cancel = np.abs(U).max() / max(np.linalg.norm(mu), 1e-300)
    kC = np.linalg.cond(np.cov(U.T, bias=True))
    assume(kU < 1e3 and kC < 1e6 and cancel < 1e3)
    mu, Sig, w = _fisher(U)
    bound = LS_FACTOR * EPS * (kU**2 + kC) * cancel
    for t in (t1, t2):
        S = minimize_squared(U, t).coef
        expected = t / (1.0 + mu @ w) * w
        err = np.linalg.norm(S - expected) / np.linalg.norm(expected)
        assert err <= bound, (err, bound)
        assert np.linalg.norm(_unit(S) - _unit(w)) <= bound
    # t*-independence of the direction, directly between the two targets.
    S1, S2 = minimize_squared(U, t1).coef, minimize_squared(U, t2).coef
    assert np.linalg.norm(_unit(S1) - _unit(S2)) <= bound


# --------------------------------------------------------------------- (c) B5 formulas
@given(U=designs(), a=st.floats(0.1, 10.0), seed=st.integers(0, 2**32 - 1))
def test_b5_explicit_quadratic(U, a, seed):
    r"""B5 (App. C.4): along a unit :math:`v` with logit moments :math:`\hat\mu, \hat\sigma`
    of :math:`u\cdot v` (1/N), :math:`\min_g \frac1N\sum(g\,u_i\cdot v - a)^2` has
    :math:`g^* = a\hat\mu/(\hat\mu^2+\hat\sigma^2)`, mean logit :math:`a/(1+r^2)` and
    minimum :math:`a^2/(1+1/r^2)`, :math:`r = \hat\sigma/\hat\mu`; smaller :math:`r`
    means smaller loss."""
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(2):
        v = _unit(rng.normal(size=U.shape[1]))
        x = U @ v
        m, sd = x.mean(), x.std()
        assume(abs(m) > 1e-3 * np.abs(x).max() and sd > 1e-3 * np.abs(x).max())
        r = sd / m
        g_star = a * m / (m * m + sd * sd)
        # Flatness: the loss changes by eps*a^2 when g moves by sqrt(eps)*scale, so
        # Brent can locate g only to ~1e-8 * scale, however small g* itself is.
        scale = abs(a) / np.hypot(m, sd)
        res = optimize.minimize_scalar(lambda g: np.mean((g * x - a) ** 2),
                                       bracket=(g_star - scale, g_star + scale), tol=1e-12)
        assert_close(res.x, g_star, rtol=0, atol=BRENT_ARG_RTOL * scale, what="g*")
        assert_close(np.mean(res.x * x), a / (1 + r * r), rtol=0,
                     atol=BRENT_ARG_RTOL * scale * abs(m), what="mu*")
        assert_close(res.fun, a * a / (1 + 1 / (r * r)), rtol=0, atol=BRENT_VAL_RTOL * a * a,
                     what="loss")
        results.append((abs(r), res.fun))
    (r1, l1), (r2, l2) = results
    assume(abs(r1 - r2) > 1e-6 * max(r1, r2))
    assert (r1 < r2) == (l1 < l2)


# --------------------------------------------------------------------- (d) negative control
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=10)
def test_b4_negative_control_non_quadratic(seed):
    r"""A non-quadratic loss (quadratic logit regulariser, :math:`\alpha = 0.2`) on skewed
    (exponential) data: :math:`\|S/\|S\| - w/\|w\|\|` with :math:`w = \hat\Sigma^{-1}\hat\mu`
    is far above the finite-sample B4 bound, while the squared loss on the same data is
    aligned (so the comparison itself can tell them apart)."""
    rng = np.random.default_rng(seed)
    U = rng.exponential(size=(60, 3)) @ rng.normal(size=(3, 3)) + np.array([0.5, 0.0, 0.0])
    _, Sig, w = _fisher(U)
    assume(np.linalg.cond(Sig) < 1e6)
    S = minimize_binary(U, "quadratic", 0.2).coef
    assert np.linalg.norm(_unit(S) - _unit(w)) > CONTROL_MIN
    Q = minimize_squared(U, 0.674832).coef
    assert np.linalg.norm(_unit(Q) - _unit(w)) < 1e-3 * CONTROL_MIN
