"""Training dynamics (numerics/solve/gradient_descent.py, multiclass_gradient_descent.py):
GD/Adam against independent optimisers (B1), implicit bias toward the hard-margin SVM
(B7, G1), logit-space vs weight-space agreement."""

import math

import numpy as np
import pytest
from scipy import optimize
from scipy.special import expit, log_softmax, softmax

from numerics.models.multiclass import multiclass_signal_noise
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.gradient_descent import gradient_descent, log_epoch_grid
from numerics.solve.multiclass_gradient_descent import multiclass_gradient_descent
from numerics.solve.max_margin import max_margin_direction
from numerics.solve.multiclass_max_margin import multiclass_max_margin
from core.errors import ConvergenceError, InvalidParameterError, InvalidTypeError

#: Logit-space and weight-space GD perform the same arithmetic in a different order; over
#: 10^3 contracting steps rounding stays ~1e-13 relative, far below 1e-9.
PATH_RTOL = 1e-9
#: GD on a strongly convex loss contracts by (1 - lr*mu) per epoch; the epochs below make
#: that factor < 1e-12, so the remaining error is BFGS's own (gtol 1e-12 / mu ~ 1e-11).
OPT_ATOL = 1e-8


def ce(t):
    return np.logaddexp(0.0, -t)


def dce(t):
    return -expit(-t)


def ce_quad(alpha):
    """(1-alpha) softplus(-t) + alpha t^2: the paper's quadratic logit regulariser."""
    return (lambda t: (1 - alpha) * np.logaddexp(0.0, -t) + alpha * t * t,
            lambda t: -(1 - alpha) * expit(-t) + 2 * alpha * t)


def mc_ce(Z, y):
    return -log_softmax(Z, axis=1)[np.arange(len(y)), y]


def mc_dce(Z, y):
    G = softmax(Z, axis=1)
    G[np.arange(len(y)), y] -= 1.0
    return G


def mc_quad(alpha):
    return (lambda Z, y: (1 - alpha) * mc_ce(Z, y) + alpha * np.sum(Z * Z, axis=1),
            lambda Z, y: (1 - alpha) * mc_dce(Z, y) + 2 * alpha * Z)


def _lipschitz_lr(U, curvature):
    # L-smoothness of mean loss: curvature * lambda_max(U^T U / N); lr = 1/L is stable.
    return 1.0 / (curvature * np.linalg.eigvalsh(U.T @ U / len(U))[-1])


# ------------------------------------------------------------------------ record grid


def test_log_epoch_grid():
    g = log_epoch_grid(200_000, 50)
    assert g[0] == 0 and g[1] == 1 and g[-1] == 200_000
    assert np.all(np.diff(g) > 0)
    ratios = g[2:][g[2:] > 1000] / g[1:-1][g[2:] > 1000]
    # Log-spaced: once rounding is irrelevant, consecutive ratios equal 10^(5.3/49).
    np.testing.assert_allclose(ratios, 10 ** (math.log10(200_000) / 49), rtol=2e-3)
    assert log_epoch_grid(1, 5, include_zero=False).tolist() == [1]


# ------------------------------------------------------------------------ binary


@pytest.mark.parametrize("method", ["gram", "primal"])
def test_gd_converges_to_scipy_optimum(method):
    """alpha > 0 makes the loss strongly convex when N > d: GD must reach its minimiser."""
    U = binary_signal_noise(60, 4, mu_f=1.0, sigma_f=0.5, seed=0).u
    loss, dloss = ce_quad(0.3)
    lr = _lipschitz_lr(U, 0.25 * 0.7 + 2 * 0.3)
    tr = gradient_descent(U, loss=loss, dloss=dloss, epochs=3000, lr=lr, method=method)

    def f(S):
        t = U @ S
        return np.mean(loss(t)), U.T @ dloss(t) / len(U)

    ref = optimize.minimize(f, np.zeros(4), jac=True, method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(tr.final_weights, ref.x, atol=OPT_ATOL)
    assert tr.train_loss[-1] == pytest.approx(ref.fun, rel=1e-12)
    assert np.all(np.diff(tr.train_loss) <= 1e-15)  # GD with lr <= 1/L never increases L


def test_gram_and_primal_paths_agree():
    ds = binary_signal_noise(40, 15, mu_f=0.5, sigma_f=0.0, seed=1)
    loss, dloss = ce_quad(0.05)
    kw = dict(loss=loss, dloss=dloss, epochs=1000, lr=0.1, test=ds.fresh(30, seed=2),
              init=np.full(15, 0.01))
    a = gradient_descent(ds, method="gram", **kw)
    b = gradient_descent(ds, method="primal", **kw)
    np.testing.assert_allclose(a.weights, b.weights, rtol=PATH_RTOL, atol=1e-15)
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "cosine"):
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=PATH_RTOL)


def test_logit_clustering_at_target_when_overparameterised():
    """B1: with d > N every logit can sit at the per-sample minimiser t*, which for the
    quadratic regulariser at alpha = 0.2 is t* = 0.674832 (docs/theory.md §1)."""
    U = binary_signal_noise(10, 30, mu_f=1.0, sigma_f=0.5, seed=3).u
    loss, dloss = ce_quad(0.2)
    t_star = optimize.brentq(dloss, 0.0, 5.0, xtol=1e-15)
    assert t_star == pytest.approx(0.674832, abs=1e-6)
    tr = gradient_descent(U, loss=loss, dloss=dloss, epochs=4000,
                          lr=_lipschitz_lr(U, 0.25 * 0.8 + 2 * 0.2))
    # The logits contract to t* at rate (1 - lr * l''(t*) * eigmin(UU^T/N)) per epoch.
    assert tr.logit_mean[-1] == pytest.approx(t_star, abs=1e-9)
    assert tr.logit_std[-1] <= 1e-9
    assert tr.logit_std[1] > 1e-3  # it was not clustered early on


def test_gd_implicit_bias_toward_max_margin():
    """B7/G1: on separable data GD on cross-entropy from 0 aligns with the hard-margin SVM
    and |S_t| grows like |S_hat| log t."""
    U = binary_signal_noise(20, 5, mu_f=2.0, sigma_f=0.3, sigma_n=1.0, seed=0).u
    mm = max_margin_direction(U)
    ep = np.array([100, 1000, 10_000])
    tr = gradient_descent(U, loss=ce, dloss=dce, epochs=10_000, lr=1.0, record_at=ep,
                          reference=mm.direction)
    gap = 1.0 - tr.cosine
    assert np.all(np.diff(gap) < 0) and gap[-1] < 0.005
    assert np.all(tr.train_accuracy == 1.0)
    # d|S|/d(ln t) -> |S_hat|; from below and slowly (O(1) offset, Soudry et al. 2018):
    # measured 0.92-0.94 of the limit over these decades, so [0.85, 1.02] is a real check.
    slope = np.diff(tr.weight_norm) / math.log(10) / np.linalg.norm(mm.weights)
    assert np.all((slope > 0.85) & (slope < 1.02))


def test_adam_reaches_the_optimum_neighbourhood():
    U = binary_signal_noise(60, 4, mu_f=1.0, sigma_f=0.5, seed=0).u
    loss, dloss = ce_quad(0.3)
    ref = gradient_descent(U, loss=loss, dloss=dloss, epochs=3000,
                           lr=_lipschitz_lr(U, 0.775)).final_weights
    tr = gradient_descent(U, loss=loss, dloss=dloss, epochs=4000, lr=1e-2, optimizer="adam")
    # Constant-step Adam need not converge in general, but here it does (measured 2e-17):
    # once |g| << eps = 1e-8 its update is momentum GD with step lr/eps. 1e-6 leaves room
    # for BLAS rounding differences while failing any Adam that stalls at ~lr.
    assert np.linalg.norm(tr.final_weights - ref) <= 1e-6
    assert tr.optimizer == "adam" and tr.method == "primal"


def test_test_metrics_and_cosine_are_the_direct_ones():
    ds = binary_signal_noise(50, 6, mu_f=1.0, sigma_f=1.0, seed=4)
    te = ds.fresh(80, seed=5)
    loss, dloss = ce_quad(0.1)
    tr = gradient_descent((ds.X, ds.y), loss=loss, dloss=dloss, epochs=50, lr=0.2,
                          test=(te.X, te.y), record_at=np.array([0, 7, 50]))
    for i, S in enumerate(tr.weights):
        t = te.u @ S
        assert tr.test_loss[i] == pytest.approx(np.mean(loss(t)), rel=1e-13)
        assert tr.test_accuracy[i] == np.mean(t > 0)
        if i:
            assert tr.cosine[i] == pytest.approx(S[0] / np.linalg.norm(S), rel=1e-13)
    assert np.isnan(tr.cosine[0]) and tr.train_accuracy[0] == 0.0  # S_0 = 0: t = 0 is wrong
    assert tr.weights.shape == (3, 6) and tr.epochs.tolist() == [0, 7, 50]


def test_divergence_raises_convergence_error():
    U = binary_signal_noise(20, 3, seed=0).u

    def dloss(t):
        with np.errstate(over="ignore", invalid="ignore"):
            return 2.0 * t

    with pytest.raises(ConvergenceError, match="diverged.*lr=1000.0") as info:
        gradient_descent(U, loss=lambda t: 0 * t, dloss=dloss, epochs=1000, lr=1e3,
                         init=np.ones(3), method="primal")
    assert 0 < info.value.iterations < 1000
    with pytest.raises(ConvergenceError, match="diverged"):
        gradient_descent(U, loss=lambda t: 0 * t, dloss=dloss, epochs=1000, lr=1e3,
                         init=np.ones(3), method="gram")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(lr=0.0), InvalidParameterError, "'lr'.*0.0"),
    (dict(lr=-1.0), InvalidParameterError, "'lr'.*-1.0"),
    (dict(epochs=0), InvalidParameterError, "'epochs'.*0"),
    (dict(epochs=1.5), InvalidTypeError, "'epochs'.*1.5"),
    (dict(optimizer="sgd"), InvalidParameterError, "'optimizer'.*'sgd'"),
    (dict(optimizer="adam", method="gram"), InvalidParameterError, "'method'.*'gram'"),
    (dict(record_at=np.array([0, 50, 20])), InvalidParameterError, "'record_at'"),
    (dict(record_at=np.array([0, 200])), InvalidParameterError, "'record_at'.*200"),
    (dict(reference=np.zeros(3)), InvalidParameterError, "'reference'"),
    (dict(init=np.ones(4)), InvalidParameterError, "'init'.*shape"),
    (dict(test=np.ones((5, 4))), InvalidParameterError, "'test'.*d=3"),
    (dict(dloss=lambda t: t[:-1]), InvalidParameterError, "'dloss'.*shape"),
    (dict(dloss=lambda t: t / 0.0 if False else np.full_like(t, np.nan)),
     InvalidParameterError, "'dloss'.*non-finite"),
    (dict(loss=3), InvalidTypeError, "'loss'.*3"),
    (dict(blas_threads=0), InvalidParameterError, "'blas_threads'.*0"),
])
def test_binary_validation(kwargs, exc, match):
    U = binary_signal_noise(10, 3, seed=0).u
    args = dict(loss=ce, dloss=dce, epochs=100)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gradient_descent(U, **args)


def test_binary_data_validation():
    with pytest.raises(InvalidParameterError, match="'data'.*nan"):
        gradient_descent(np.array([[1.0, np.nan]]), loss=ce, dloss=dce, epochs=1)
    with pytest.raises(InvalidParameterError, match="-1 or \\+1.*2.0"):
        gradient_descent((np.ones((2, 2)), np.array([1, 2])), loss=ce, dloss=dce, epochs=1)


def test_blas_thread_cap_runs():
    U = binary_signal_noise(10, 3, seed=0).u
    tr = gradient_descent(U, loss=ce, dloss=dce, epochs=5, blas_threads=1)
    assert tr.train_loss[-1] < tr.train_loss[0]


# ------------------------------------------------------------------------ multiclass


@pytest.mark.parametrize("bias", [True, False])
def test_multiclass_gd_converges_to_scipy_optimum(bias):
    ds = multiclass_signal_noise(60, 3, 3, sigma_f=0.5, sigma_n=1.0, seed=0)
    loss, grad = mc_quad(0.3)
    k, d, n = 3, 3, 60
    Xb = np.hstack([ds.X, np.ones((n, 1))]) if bias else ds.X
    # Softmax CE has Hessian <= 1/2 (I - 11^T/K) <= 1/2; plus 2 alpha from |z|^2.
    lr = _lipschitz_lr(Xb, 0.5 * 0.7 + 2 * 0.3)
    tr = multiclass_gradient_descent(ds, loss=loss, grad=grad, epochs=4000, lr=lr, bias=bias)

    def f(p):
        W = p[: k * d].reshape(k, d)
        b = p[k * d:] if bias else np.zeros(k)
        Z = ds.X @ W.T + b
        G = grad(Z, ds.y)
        g = np.concatenate([(G.T @ ds.X).ravel(), G.sum(0) if bias else []]) / n
        return np.mean(loss(Z, ds.y)), g

    ref = optimize.minimize(f, np.zeros(k * d + (k if bias else 0)), jac=True, method="BFGS",
                            options={"gtol": 1e-12})
    np.testing.assert_allclose(tr.final_weights.ravel(), ref.x[: k * d], atol=OPT_ATOL)
    if bias:
        np.testing.assert_allclose(tr.biases[-1], ref.x[k * d:], atol=OPT_ATOL)
    else:
        assert np.all(tr.biases == 0.0)


def test_multiclass_gram_and_primal_paths_agree():
    ds = multiclass_signal_noise(40, 25, 4, sigma_f=0.2, sigma_n=1.0, seed=2)
    loss, grad = mc_quad(0.04)
    kw = dict(loss=loss, grad=grad, epochs=500, lr=0.1, test=ds.fresh(20, seed=3))
    a = multiclass_gradient_descent(ds, method="gram", **kw)
    b = multiclass_gradient_descent(ds, method="primal", **kw)
    np.testing.assert_allclose(a.weights, b.weights, rtol=PATH_RTOL, atol=1e-14)
    np.testing.assert_allclose(a.biases, b.biases, rtol=PATH_RTOL, atol=1e-14)
    for key in ("train_loss", "test_loss", "test_accuracy", "subspace_fraction",
                "logit_spread"):
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=PATH_RTOL)


def test_multiclass_implicit_bias_g1():
    """G1: CE GD from W = 0 keeps sum_c w_c = 0 and turns toward the multiclass SVM."""
    ds = multiclass_signal_noise(30, 6, 3, sigma_f=0.1, sigma_n=0.3, seed=1)
    svm = multiclass_max_margin(ds.X, ds.y, 3)
    ep = np.array([100, 1000, 10_000])
    tr = multiclass_gradient_descent(ds, loss=mc_ce, grad=mc_dce, epochs=10_000, lr=1.0,
                                     bias=False, record_at=ep, reference=svm.W)
    gap = 1.0 - tr.cosine
    assert np.all(np.diff(gap) < 0) and gap[-1] < 0.02
    # The softmax gradient rows sum to zero, so sum_c w_c stays 0 up to rounding of
    # ~1e4 updates of size ~1: 1e-10 relative to |W|.
    assert np.all(tr.row_sum_norm <= 1e-10 * tr.weight_norm)
    slope = np.diff(tr.weight_norm) / math.log(10) / np.linalg.norm(svm.W)
    assert np.all((slope > 0.8) & (slope < 1.02))


def test_multiclass_adam_and_metrics():
    ds = multiclass_signal_noise(50, 10, 3, sigma_f=0.1, sigma_n=0.5, seed=4)
    te = ds.fresh(40, seed=5)
    loss, grad = mc_quad(0.2)
    tr = multiclass_gradient_descent(ds, loss=loss, grad=grad, epochs=300, lr=0.05,
                                     optimizer="adam", test=te)
    W, b = tr.weights[-1], tr.biases[-1]
    Zt = te.X @ W.T + b
    assert tr.test_accuracy[-1] == np.mean(np.argmax(Zt, 1) == te.y)
    assert tr.subspace_fraction[-1] == pytest.approx(
        np.linalg.norm(W @ ds.basis) / np.linalg.norm(W), rel=1e-12)
    assert tr.train_loss[-1] < tr.train_loss[0]
    # M2: with alpha > 0 the per-class logit spread first grows, then contracts toward the
    # class vertex (measured peak 0.32, final 0.11).
    assert tr.logit_spread[-1] < 0.5 * tr.logit_spread.max()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(k=None), InvalidParameterError, "'k'.*None"),
    (dict(k=2), InvalidParameterError, r"\[0, 2\).*2"),
    (dict(bias=1), InvalidTypeError, "'bias'.*1"),
    (dict(reference=np.ones((2, 4))), InvalidParameterError, "'reference'.*shape"),
    (dict(init=np.zeros((3, 4))), InvalidParameterError, "'init'"),
    (dict(grad=lambda Z, y: Z[:, :2]), InvalidParameterError, "'grad'.*shape"),
    (dict(optimizer="adam", method="gram"), InvalidParameterError, "'method'"),
])
def test_multiclass_validation(kwargs, exc, match):
    X = np.random.default_rng(0).standard_normal((6, 4))
    y = np.array([0, 1, 2, 0, 1, 2])
    args = dict(loss=mc_ce, grad=mc_dce, epochs=10, k=3)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        multiclass_gradient_descent((X, y), **args)
