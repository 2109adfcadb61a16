r"""Exact solvers: float64 Newton vs 50-digit mpmath, vs scipy, closed forms,
scikit-learn references (LDA, LogisticRegression) and the population minimiser.

Tolerances (each tied to the method):

* ``REL_MP = 1e-10``: float64 vs 50-digit solution. Newton ends at the rounding level
  (gradient ~1e-16 after the chord steps), so the error is ~cond(H) x 1e-16; the data
  below keep cond(H) < 1e4.
* ``GRAD_TOL = 1e-10``: the solver's stopping rule.
* ``REL_SCIPY = 1e-8``: scipy stops at ``gtol=1e-11`` on the gradient, i.e. at a distance
  ~gtol / lambda_min(H) ~ 1e-10 from the minimiser, with margin.
* ``COS_EXACT = 1e-12``: exact identities (Sherman--Morrison, stationarity of the
  population objective) evaluated in float64: a few ulps times a small condition number.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize, special

from numerics.solve._mpsolve import certify_binary, minimize_binary_mp
from numerics.solve._newton import damped_newton, row_space_basis
from numerics.compile.compiled import compile_binary, compile_multiclass
from numerics.solve.population import gauss_hermite, population_loss, population_loss_mp, population_minimizer
from numerics.solve.binary import gradient_descent, minimize_binary
from numerics.solve.multiclass import minimize_multiclass
from numerics.solve.squared import minimize_squared, minimize_squared_multiclass
from numerics.solve.weight_decay import minimize_weight_decay
from theory import (ConvergenceError, InvalidParameterError, InvalidTypeError,
                    list_regularizers)

REL_MP = 1e-10
GRAD_TOL = 1e-10
REL_SCIPY = 1e-8
COS_EXACT = 1e-12

FEW = settings(max_examples=4, derandomize=True, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])


def _design(seed, n, d, signal=0.8):
    """Rows u_i = y_i x_i of a signal-plus-noise draw (mean signal along e_1)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) + signal * np.eye(d)[0]


def _cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@st.composite
def binary_problems(draw):
    """(U, alpha): over-determined (N >= 3d, unique minimiser) or under-determined
    (N <= d/2, minimum-norm minimiser); small enough for 50-digit Newton."""
    seed = draw(st.integers(0, 2**31 - 1))
    d = draw(st.integers(2, 6))
    if draw(st.booleans()):
        n = draw(st.integers(3 * d, 60))
    else:
        d = 2 * d
        n = draw(st.integers(1, d // 2))
    alpha = draw(st.sampled_from([0.05, 0.2, 0.45]))
    return _design(seed, n, d), alpha


# ------------------------------------------------------------------ float64 vs mpmath
@pytest.mark.parametrize("name", [r for r in list_regularizers() if r != "confidence_penalty"])
@FEW
@given(problem=binary_problems())
def test_float64_solution_matches_50_digit_solution(name, problem):
    U, alpha = problem
    cert = certify_binary(U, name, alpha, dps=50)
    assert cert["float64"].gradient_norm <= GRAD_TOL
    assert float(cert["mpmath"].gradient_norm) < 1e-40  # Newton at 50 digits converged
    assert cert["relative_error"] <= REL_MP


@FEW
@given(problem=binary_problems())
def test_confidence_penalty_local_minimiser_certified(problem):
    """The confidence penalty is not convex (docs/theory.md §1): Newton (with Hessian shifts)
    finds a stationary point; we certify it is a strict local minimiser (positive
    definite Hessian in the row space) and that it agrees with 50 digits."""
    U, alpha = problem
    cert = certify_binary(U, "confidence_penalty", alpha)
    S = cert["float64"].coef
    comp = compile_binary("confidence_penalty")
    h = comp.d2loss(U @ S, alpha)
    Q, _ = row_space_basis(U)
    V = U if Q is None else U @ Q
    assert np.linalg.eigvalsh((V.T * h) @ V / len(U))[0] > 0
    assert cert["relative_error"] <= REL_MP


def test_maxsup_kink_samples_are_certified():
    """MaxSup, N > d: some samples sit exactly on the kink t = 0 at the minimiser; the
    returned point has dist(0, subdifferential) <= 1e-10, every kink multiplier lies in
    [l'(0-), l'(0+)], it matches the 50-digit KKT solution, and no small perturbation
    decreases the (convex) loss."""
    U = _design(7, 200, 10, signal=0.3)
    sol = minimize_binary(U, "maxsup", 0.2)
    kink = sol.details["kink"]
    assert kink.size > 0  # this draw does exercise the active set
    lo, hi = sol.details["kink_interval"]
    assert np.all((sol.details["kink_multipliers"] >= lo) & (sol.details["kink_multipliers"] <= hi))
    assert sol.gradient_norm <= GRAD_TOL
    assert np.max(np.abs(U[kink] @ sol.coef)) < 1e-13  # on the kink up to rounding
    mp = minimize_binary_mp(U, "maxsup", 0.2, start=sol)
    assert np.linalg.norm(mp.coef - sol.coef) <= REL_MP * np.linalg.norm(mp.coef)
    comp = compile_binary("maxsup")
    base = np.mean(comp.loss(U @ sol.coef, 0.2))
    rng = np.random.default_rng(0)
    for _ in range(20):
        v = rng.normal(size=U.shape[1]) * 1e-6
        assert np.mean(comp.loss(U @ (sol.coef + v), 0.2)) >= base - 1e-15


def _mc_data(seed, n, d, k, shift):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return rng.normal(size=(n, d)) + shift * np.eye(k, d)[y], y


def test_multiclass_maxsup_two_classes_equals_binary_kink_solution():
    """K=2: max(z) - mean(z) = |z_0 - z_1|/2 and CE depends on z_y - z_other only, so the
    centred minimiser has w_0 - w_1 = S_binary for u_i = s_i x_i (s_i = +1 for class 0).
    Two independent non-smooth solvers (box multipliers at the binary kink, simplex
    multipliers at a multiclass tie) must agree; this draw has samples on the kink."""
    X, y = _mc_data(18, 53, 5, 2, 1.2)
    sol = minimize_multiclass(X, y, "maxsup", 0.3, fit_intercept=False)
    binary = minimize_binary(np.where(y == 0, 1.0, -1.0)[:, None] * X, "maxsup", 0.3)
    n_ties = sum(t.size > 0 for t in sol.details["ties"])
    assert 0 < n_ties < len(y) and binary.details["kink"].size == n_ties
    assert sol.gradient_norm <= GRAD_TOL
    diff = sol.coef[0] - sol.coef[1]
    assert np.linalg.norm(diff - binary.coef) <= REL_MP * np.linalg.norm(binary.coef)


def test_multiclass_maxsup_ties_are_certified():
    """K=3 with bias: some samples end on a tie of their top logits; the multipliers lie
    on the simplex, the certified subgradient bound is <= 1e-10, and (convexity) no
    random perturbation of (W, b) lowers the loss."""
    X, y = _mc_data(1, 66, 3, 3, 1.0)
    sol = minimize_multiclass(X, y, "maxsup", 0.3)
    tied = [i for i, t in enumerate(sol.details["ties"]) if t.size]
    assert tied and sol.gradient_norm <= GRAD_TOL
    for lam in sol.details["tie_multipliers"].values():
        assert np.all(lam >= 0) and abs(lam.sum() - 1) < 1e-12
    Z = X @ sol.coef.T + sol.intercept
    for i in tied:  # tied logits equal to rounding
        top = Z[i, sol.details["ties"][i]]
        assert np.ptp(top) < 1e-12 and np.isclose(top[0], Z[i].max())
    comp = compile_multiclass("maxsup", 3)

    perm = np.tile(np.arange(3), (len(y), 1))  # swap columns 0 and y_i: loss of class y_i
    perm[np.arange(len(y)), 0], perm[np.arange(len(y)), y] = y, 0

    def loss(W, b):
        Zp = np.take_along_axis(X @ W.T + b, perm, axis=1)
        return np.mean(comp.loss(*Zp.T, 0.3))

    base = loss(sol.coef, sol.intercept)
    rng = np.random.default_rng(0)
    for _ in range(20):
        dW, db = 1e-6 * rng.normal(size=sol.coef.shape), 1e-6 * rng.normal(size=3)
        assert loss(sol.coef + dW, sol.intercept + db) >= base - 1e-15


# ------------------------------------------------------------------ vs scipy
@pytest.mark.parametrize("seed", [0, 1])
def test_newton_equals_scipy_trust_exact(seed):
    """Quadratic f with the loss retyped independently (logaddexp), minimised by scipy's
    trust-region method."""
    U, alpha = _design(seed, 120, 5), 0.2
    n = len(U)

    def fun(S):
        t = U @ S
        return np.mean(np.logaddexp(0, -t) * (1 - alpha) + alpha * t**2)

    def jac(S):
        t = U @ S
        return U.T @ (-(1 - alpha) * special.expit(-t) + 2 * alpha * t) / n

    def hess(S):
        t = U @ S
        h = (1 - alpha) * special.expit(t) * special.expit(-t) + 2 * alpha
        return (U.T * h) @ U / n

    ref = optimize.minimize(fun, np.zeros(5), jac=jac, hess=hess, method="trust-exact",
                            options={"gtol": 1e-11})
    sol = minimize_binary(U, "quadratic", alpha)
    assert ref.success
    assert np.linalg.norm(sol.coef - ref.x) <= REL_SCIPY * np.linalg.norm(ref.x)
    assert sol.iterations < 10  # quadratic convergence: a handful of steps


def test_multiclass_newton_equals_scipy_bfgs():
    """Label smoothing (shift-invariant f), K=3, with bias: the logits are unique; the
    centred parametrisation gives sum_k w_k = 0. Reference: BFGS on an independently
    typed loss (scipy.special.logsumexp)."""
    rng = np.random.default_rng(3)
    k, d, n, alpha = 3, 4, 150, 0.3
    y = rng.integers(0, k, n)
    X = rng.normal(size=(n, d)) + 1.5 * np.eye(k, d)[y]

    def fun(w):
        W, b = w[:k * d].reshape(k, d), w[k * d:]
        Z = X @ W.T + b
        lse = special.logsumexp(Z, axis=1)
        ce = lse - Z[np.arange(n), y]
        return np.mean((1 - alpha) * ce + alpha * (lse - Z.mean(axis=1)))

    ref = optimize.minimize(fun, np.zeros(k * d + k), method="BFGS", options={"gtol": 1e-10})
    sol = minimize_multiclass(X, y, "label_smoothing", alpha)
    assert sol.gradient_norm <= GRAD_TOL
    Wr, br = ref.x[:k * d].reshape(k, d), ref.x[k * d:]
    Zr, Z = X @ Wr.T + br, X @ sol.coef.T + sol.intercept
    # BFGS stops at gtol 1e-10 on a problem with curvature ~1e-2: logits within ~1e-7.
    assert np.max(np.abs((Z - Z.mean(1, keepdims=True)) - (Zr - Zr.mean(1, keepdims=True)))) < 1e-6
    assert np.allclose(sol.coef.sum(axis=0), 0, atol=1e-13)
    assert abs(sol.intercept.sum()) < 1e-13


def test_multiclass_quadratic_dense_and_cg_paths_agree(monkeypatch):
    """Dense Newton and Newton-CG (Hessian-vector products) reach the same minimiser."""
    import numerics.solve.multiclass as multiclass

    rng = np.random.default_rng(4)
    y = rng.integers(0, 4, 120)
    X = rng.normal(size=(120, 6)) + np.eye(4, 6)[y]
    dense = minimize_multiclass(X, y, "quadratic", 0.2)
    monkeypatch.setattr(multiclass, "_DENSE_MAX", 0)
    cg = minimize_multiclass(X, y, "quadratic", 0.2)
    assert dense.method == "newton" and cg.method == "newton-cg"
    assert cg.gradient_norm <= GRAD_TOL
    # both at gradient <= 1e-10 with curvature >= 2 alpha = 0.4: within 2.5e-10.
    assert np.max(np.abs(dense.coef - cg.coef)) < 1e-9


# ------------------------------------------------------------------ squared loss (B4, M3, M4)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_squared_loss_is_fisher_direction_B4(seed):
    """B4: min sum (S.u_i - t*)^2 is t*/(1 + mu^T Sigma^-1 mu) Sigma^-1 mu exactly, with the
    empirical mean and the centred covariance (Sherman--Morrison), for any t*."""
    rng = np.random.default_rng(seed)
    U = rng.standard_t(3, size=(80, 6)) @ rng.normal(size=(6, 6)) + rng.normal(size=6)
    mu = U.mean(axis=0)
    Sigma = np.cov(U.T, bias=True)
    fisher = np.linalg.solve(Sigma, mu)
    for target in (0.5, 3.0):
        S = minimize_squared(U, target).coef
        expected = target / (1 + mu @ fisher) * fisher
        assert np.linalg.norm(S - expected) <= 1e-10 * np.linalg.norm(expected)
        assert 1 - _cos(S, fisher) <= COS_EXACT


@pytest.mark.parametrize("loader", ["load_wine", "load_digits"])
def test_multiclass_squared_loss_spans_fisher_subspace_M4(loader):
    """M4: the class-centred W of the squared loss with bias spans the LDA subspace
    (scikit-learn's LinearDiscriminantAnalysis, SVD solver) on real data; M3:
    W(q) = q W(1)."""
    from scipy.linalg import subspace_angles
    from sklearn import datasets
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    X, y = getattr(datasets, loader)(return_X_y=True)
    k = np.unique(y).size
    sol = minimize_squared_multiclass(X, y, 1.0)
    Wc = sol.coef - sol.coef.mean(axis=0)
    lda = LinearDiscriminantAnalysis(solver="svd").fit(X, y)
    F = lda.scalings_[:, :k - 1]
    assert np.linalg.matrix_rank(Wc) == k - 1
    cosines = np.cos(subspace_angles(Wc.T, F))
    assert cosines.min() >= 1 - 1e-10
    sol3 = minimize_squared_multiclass(X, y, 3.0)
    assert np.allclose(sol3.coef, 3 * sol.coef, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ weight decay (B13)
@pytest.mark.parametrize("gamma", [0.2, 5.0])
def test_weight_decay_equals_sklearn_logistic_regression(gamma):
    r"""sum_i log(1+e^{-t_i}) + gamma/2 |S|^2 is sklearn's C sum_i log(..) + |w|^2/2 divided
    by C with C = 1/gamma (scikit-learn normalises internally by 1/(C * n_samples), which
    is the same objective up to the factor C n). C = 1/(gamma N) solves another problem."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    n, d = 300, 8
    y = rng.choice([-1, 1], n)
    X = y[:, None] * 0.5 * np.eye(d)[0] + rng.normal(size=(n, d))
    sol = minimize_weight_decay(y[:, None] * X, gamma)
    assert sol.gradient_norm <= GRAD_TOL
    ref = LogisticRegression(C=1 / gamma, fit_intercept=False, tol=1e-12, max_iter=1000,
                             solver="newton-cholesky").fit(X, y)
    assert np.linalg.norm(sol.coef - ref.coef_[0]) <= 1e-8 * np.linalg.norm(sol.coef)
    wrong = LogisticRegression(C=1 / (gamma * n), fit_intercept=False, tol=1e-12,
                               solver="newton-cholesky").fit(X, y)
    assert np.linalg.norm(sol.coef - wrong.coef_[0]) > 1e-2 * np.linalg.norm(sol.coef)


# ------------------------------------------------------------------ N < d: minimum norm
def test_underdetermined_solution_is_minimum_norm_and_interpolates():
    """N < d: the minimiser set is S0 + ker U; we return the point in the row space of U
    (the GD-from-zero limit). Every logit equals t*(alpha) (claim B7's interpolation)."""
    U = _design(11, 15, 40)
    alpha = 0.2
    sol = minimize_binary(U, "quadratic", alpha)
    tstar = compile_binary("quadratic").target(alpha)
    assert sol.rank == 15
    assert np.max(np.abs(U @ sol.coef - tstar)) < 1e-12
    proj = U.T @ np.linalg.lstsq(U.T, sol.coef, rcond=None)[0]  # projection on row(U)
    assert np.linalg.norm(sol.coef - proj) <= 1e-12 * np.linalg.norm(sol.coef)
    # Independent closed form of the minimum-norm interpolant: t* U^+ 1.
    assert np.allclose(sol.coef, tstar * np.linalg.pinv(U) @ np.ones(15), rtol=1e-10)
    # Gradient descent from zero approaches the same point (and stays in the row space).
    gd = gradient_descent(U, "quadratic", alpha, lr=0.5, epochs=3000)
    assert np.linalg.norm(gd.coef - sol.coef) < 1e-6 * np.linalg.norm(sol.coef)


def test_rank_deficient_design_splits_weight_over_duplicates():
    """A duplicated feature (N > d but rank d-1): minimum norm puts equal weight on both
    copies, i.e. the solution of the de-duplicated problem with weight split in half."""
    U = _design(12, 50, 3)
    Ud = np.column_stack([U, U[:, 0]])
    ref = minimize_binary(U, "label_smoothing", 0.2).coef
    sol = minimize_binary(Ud, "label_smoothing", 0.2)
    assert sol.rank == 3
    assert np.allclose(sol.coef, [ref[0] / 2, ref[1], ref[2], ref[0] / 2], rtol=1e-10)


# ------------------------------------------------------------------ population (B3, B4)
@pytest.mark.parametrize("name", ["quadratic", "label_smoothing", "maxsup"])
@FEW
@given(seed=st.integers(0, 2**31 - 1), d=st.integers(2, 6))
def test_population_minimiser_is_fisher_direction_B4(name, seed, d):
    """B4: for x ~ N(mu, Sigma) and convex l the population minimiser is along
    Sigma^{-1} mu. The solver is not told so: it starts along mu."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    mu, Sigma = rng.normal(size=d), A @ A.T / d + 0.2 * np.eye(d)
    sol = population_minimizer(mu, Sigma, name, 0.2)
    assert sol.gradient_norm <= GRAD_TOL
    assert 1 - _cos(sol.coef, np.linalg.solve(Sigma, mu)) <= COS_EXACT


def test_population_quadrature_matches_mpmath():
    """200-node Gauss-Hermite vs 50-digit tanh-sinh: smooth l is analytic in a strip, so
    the quadrature error is exponentially small (< 1e-13 here); MaxSup's kink limits it
    to algebraic convergence in the number of nodes (1.6e-4 relative at 200 nodes for
    this S: tolerance 1e-3)."""
    mu, Sigma = np.array([1.0, -0.5, 0.3]), np.diag([1.0, 2.0, 0.5])
    S = np.array([0.4, -0.2, 0.7])
    for name, tol in [("quadratic", 1e-13), ("label_smoothing", 1e-13),
                      ("confidence_penalty", 1e-13), ("maxsup", 1e-3)]:
        exact = float(population_loss_mp(S, mu, Sigma, name, 0.2))
        assert abs(population_loss(S, mu, Sigma, name, 0.2) - exact) <= tol * abs(exact)
    y, w = gauss_hermite(200)
    assert abs(w.sum() - 1) < 1e-14 and abs(w @ y**2 - 1) < 1e-13


def test_population_minimum_beats_other_directions_B3():
    """B3: the minimiser has the smallest CV ratio r = s/m among directions; any rotated
    direction at its own optimal scale has a larger population loss."""
    mu, Sigma = np.array([1.0, 0.5]), np.array([[1.0, 0.6], [0.6, 2.0]])
    sol = population_minimizer(mu, Sigma, "quadratic", 0.2)
    best = sol.loss
    for angle in (0.05, 0.3, 1.0):
        c, s = np.cos(angle), np.sin(angle)
        direction = np.array([[c, -s], [s, c]]) @ sol.coef
        scale = optimize.minimize_scalar(
            lambda g: population_loss(g * direction, mu, Sigma), bounds=(0.01, 10),
            method="bounded", options={"xatol": 1e-10}).fun
        assert scale > best


# ------------------------------------------------------------------ failure modes
def test_separable_cross_entropy_raises_convergence_error():
    """alpha = 0 on separable data: no minimiser (||S|| -> oo); never return a point."""
    U = np.abs(_design(13, 30, 3)) + 0.1  # all u_i in the positive orthant: separable
    with pytest.raises(ConvergenceError) as info:
        minimize_binary(U, "quadratic", 0.0, max_iter=50)
    # The CE gradient decays like e^{-t}, so it falls below tol at a finite point; the
    # Newton step (~1 per iteration in the margin direction) does not: that is the signal.
    assert info.value.iterations == 50 and "no finite minimiser" in str(info.value)
    assert info.value.gradient_norm is not None


def test_damped_newton_reports_iterations_on_failure():
    with pytest.raises(ConvergenceError) as info:
        damped_newton(lambda x: float(-np.sum(x)), lambda x: (-np.ones_like(x), 0.0),
                      np.zeros(2), hess=lambda x: np.zeros((2, 2)), max_iter=5)
    assert info.value.iterations <= 5 and info.value.gradient_norm == pytest.approx(np.sqrt(2))


@pytest.mark.parametrize("bad, kwargs, err", [
    (np.array([[1.0, np.nan]]), {}, InvalidParameterError),
    (np.array([[1.0, np.inf]]), {}, InvalidParameterError),
    (np.ones(3), {}, InvalidParameterError),
    (np.ones((0, 3)), {}, InvalidParameterError),
    ("abc", {}, InvalidTypeError),
    (np.ones((3, 2)), {"alpha": 1.0}, InvalidParameterError),
    (np.ones((3, 2)), {"alpha": float("nan")}, InvalidParameterError),
    (np.ones((3, 2)), {"alpha": "0.2"}, InvalidTypeError),
    (np.ones((3, 2)), {"regularizer": "nope"}, InvalidParameterError),
    (np.ones((3, 2)), {"tol": -1.0}, InvalidParameterError),
    (np.ones((3, 2)), {"max_iter": 2.5}, InvalidTypeError),
])
def test_bad_inputs_raise_our_errors(bad, kwargs, err):
    with pytest.raises(err) as info:
        minimize_binary(bad, **kwargs)
    assert isinstance(info.value, ValueError if err is InvalidParameterError else TypeError)


def test_bad_multiclass_labels_and_population_inputs():
    X = np.ones((4, 2))
    with pytest.raises(InvalidParameterError, match=r"\[0, 3\)"):
        minimize_multiclass(X, np.array([0, 1, 2, 3]), n_classes=3)
    with pytest.raises(InvalidParameterError, match="integer"):
        minimize_multiclass(X, np.array([0.5, 1, 0, 1]))
    with pytest.raises(InvalidParameterError, match="positive definite"):
        population_minimizer(np.ones(2), -np.eye(2))
    with pytest.raises(InvalidParameterError, match="mu != 0"):
        population_minimizer(np.zeros(2), np.eye(2))
