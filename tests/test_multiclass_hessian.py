"""M7's Hessian at the target from its class/Kronecker structure
(numerics/claims/multiclass_hessian.py) against the dense matrix of hessian_at_star."""

import numpy as np
import pytest

import numerics.claims.multiclass_hessian as mh
from numerics.claims.multiclass_grokking_dynamics import hessian_at_star
from numerics.models.multiclass import multiclass_signal_noise

#: Dense eigvalsh vs Lanczos on the exact inverse: both backward stable, so lambda_min
#: agrees to ~eps * lambda_max/lambda_min ~ 1e-16 * 1e3; 1e-9 leaves a wide margin.
EIG_RTOL = 1e-9


def _data(n, d, k, seed=4):
    return multiclass_signal_noise(n, d, k, sigma_f=0.0, sigma_n=1.0, mean_scale=0.3,
                                   seed=seed)


@pytest.mark.parametrize("n, d, k, alpha", [(60, 12, 3, 0.1), (100, 30, 4, 0.04)])
def test_operators_match_the_dense_hessian(n, d, k, alpha):
    ds = _data(n, d, k)
    H = hessian_at_star(ds.X, ds.y, k, alpha)  # centred, orthonormal sum-zero basis
    op = mh.hessian_operator(ds.X, ds.y, k, alpha)
    v = np.random.default_rng(0).standard_normal(H.shape[0])
    # Same sums in another order: rounding only.
    np.testing.assert_allclose(op.matvec(v), H @ v, rtol=1e-11, atol=1e-13)
    # The exact inverse (K p coordinates): H^{-1} applied to a sum-zero W, then H again.
    inv = mh.hessian_inverse_operator(ds.X, ds.y, k, alpha)
    p = d + 1
    R = np.random.default_rng(1).standard_normal((k, p))
    R -= R.mean(axis=0)
    W = inv.matvec(R.ravel()).reshape(k, p)
    np.testing.assert_allclose(W.sum(axis=0), 0.0, atol=1e-9 * np.abs(W).max())
    Bk = np.linalg.qr(np.eye(k)[:, : k - 1] - 1.0 / k)[0]
    back = Bk @ (H @ (Bk.T @ W).ravel()).reshape(k - 1, p)
    # Condition number of H ~ 1e3 here: the round trip loses ~3 digits of 1e-16.
    np.testing.assert_allclose(back, R, rtol=0, atol=1e-10 * np.abs(R).max())


@pytest.mark.parametrize("n, d, k, alpha", [(60, 12, 3, 0.1), (100, 30, 4, 0.04),
                                            (120, 20, 5, 0.1)])
def test_structured_lambda_min_equals_dense(monkeypatch, n, d, k, alpha):
    ds = _data(n, d, k)
    dense = float(np.linalg.eigvalsh(hessian_at_star(ds.X, ds.y, k, alpha))[0])
    monkeypatch.setattr(mh, "DENSE_MAX", 0)  # force the structured route
    assert mh.hessian_min_eigenvalue(ds.X, ds.y, k, alpha) == pytest.approx(dense, rel=EIG_RTOL)


def test_symmetric_form_detection():
    # K = 2 has no pair of non-target classes: the form cannot be identified.
    assert mh._symmetric_coefficients(np.eye(2)) is None
    H = np.eye(3)
    H[0, 1] = 0.3  # breaks the symmetry between the two non-target classes
    assert mh._symmetric_coefficients(H) is None

