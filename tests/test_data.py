"""Data models (numerics/models/signal_noise.py, multiclass.py, gaussian.py): exact rescaling
(B9, M6), moments, validation."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from numerics.models.gaussian import gaussian_population
from numerics.models.multiclass import multiclass_signal_noise, simplex_means
from numerics.models.signal_noise import binary_signal_noise, BinaryDataset
from core.errors import InvalidParameterError, InvalidTypeError

#: Products of the same float64 draw by two scalars: c*(s*x) vs (c*s)*x differ by at most
#: 2 roundings, ~2 ulps; 1e-14 relative leaves ~25x headroom.
RESCALE_RTOL = 1e-14
#: Monte Carlo: an average of n i.i.d. terms with standard deviation s is within 4 s/sqrt(n)
#: of its mean except with probability 6e-5; seeds are fixed, so this is a one-off bound.
MC_SIGMAS = 4.0

sigmas = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.1, max_value=10.0, allow_nan=False, allow_infinity=False)


# ------------------------------------------------------------------------ binary


def test_binary_shapes_labels_and_u():
    ds = binary_signal_noise(50, 7, seed=0)
    assert ds.X.shape == (50, 7) and ds.y.shape == (50,)
    assert set(np.unique(ds.y)) <= {-1, 1}
    np.testing.assert_array_equal(ds.u, ds.y[:, None] * ds.X)
    assert ds.n == 50 and ds.d == 7 and ds.lam == pytest.approx(7 / 50)


def test_binary_noiseless_signal_coordinate_is_exact():
    # sigma_f = 0: u_1 = y * y * mu_f = mu_f exactly for every sample (B7's premise).
    ds = binary_signal_noise(40, 5, mu_f=0.3, sigma_f=0.0, seed=1)
    np.testing.assert_array_equal(ds.u[:, 0], np.full(40, 0.3))


def test_binary_is_frozen_and_read_only():
    ds = binary_signal_noise(10, 3, seed=0)
    with pytest.raises(Exception):
        ds.sigma_n = 2.0
    with pytest.raises(ValueError):
        ds.X[0, 0] = 1.0


def test_same_seed_same_draw_and_generator_accepted():
    a = binary_signal_noise(20, 4, seed=5)
    b = binary_signal_noise(20, 4, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)


@given(sigma_n=positive, new_sigma_n=positive, sigma_f=sigmas, new_sigma_f=sigmas)
def test_rescaled_same_draw_logits_invariant(sigma_n, new_sigma_n, sigma_f, new_sigma_f):
    """B9: scaling S_perp by sigma_n/sigma_n' keeps every logit of the same draw."""
    ds = binary_signal_noise(30, 6, sigma_f=sigma_f, sigma_n=sigma_n, seed=3)
    re = ds.rescaled(sigma_n=new_sigma_n, sigma_f=new_sigma_f)
    np.testing.assert_array_equal(re.xi_perp, ds.xi_perp)
    np.testing.assert_array_equal(re.y, ds.y)
    S = np.random.default_rng(0).standard_normal(6)
    S_re = S.copy()
    S_re[1:] *= sigma_n / new_sigma_n
    perp = ds.X[:, 1:] @ S[1:]
    perp_re = re.X[:, 1:] @ S_re[1:]
    # The dot product sums 5 terms, each within RESCALE_RTOL relative; compare to the sum
    # of magnitudes to avoid cancellation making the relative error meaningless.
    scale = np.abs(ds.X[:, 1:]) @ np.abs(S[1:])
    assert np.all(np.abs(perp_re - perp) <= 10 * RESCALE_RTOL * scale + 1e-300)
    np.testing.assert_allclose(re.X[:, 0], ds.y_clean * ds.mu_f + new_sigma_f * ds.xi_f,
                               rtol=RESCALE_RTOL, atol=0)


def test_rescaled_columns_exactly_scaled():
    ds = binary_signal_noise(100, 4, sigma_n=1.0, seed=0)
    re = ds.rescaled(sigma_n=2.0)  # a power of 2 scales without rounding
    np.testing.assert_array_equal(re.X[:, 1:], 2.0 * ds.X[:, 1:])
    np.testing.assert_array_equal(re.X[:, 0], ds.X[:, 0])


def test_label_balance_and_class_moments():
    n, d = 40_000, 4
    mu_f, sigma_f, sigma_n = 0.7, 0.5, 2.0
    ds = binary_signal_noise(n, d, mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n, seed=11)
    # Rademacher labels: mean 0, sd 1.
    assert abs(ds.y.mean()) <= MC_SIGMAS / math.sqrt(n)
    # u_1 = mu_f + sigma_f * y * xi_f has mean mu_f and sd sigma_f.
    assert abs(ds.u[:, 0].mean() - mu_f) <= MC_SIGMAS * sigma_f / math.sqrt(n)
    # Sample variance of a Gaussian: sd of s^2 is sigma^2 sqrt(2/(n-1)).
    assert abs(ds.xi_f.var(ddof=1) * sigma_f**2 - sigma_f**2) <= \
        MC_SIGMAS * sigma_f**2 * math.sqrt(2 / (n - 1))
    cov = np.cov(ds.X[:, 1:], rowvar=False)
    # Diagonal: sd sigma^2 sqrt(2/n); off-diagonal: sd sigma^2/sqrt(n). Bonferroni over
    # d-1 = 3 variances and 3 covariances is absorbed by using 4 sigmas.
    assert np.all(np.abs(np.diag(cov) - sigma_n**2) <= MC_SIGMAS * sigma_n**2 * math.sqrt(2 / n))
    off = cov[~np.eye(d - 1, dtype=bool)]
    assert np.all(np.abs(off) <= MC_SIGMAS * sigma_n**2 / math.sqrt(n))


def test_student_t_standardised_to_unit_variance():
    nu, n = 20.0, 200_000
    ds = binary_signal_noise(n, 2, noise_f="student_t", noise_n="student_t", df=nu,
                             sigma_f=1.0, sigma_n=1.0, seed=2)
    # Var(s^2) = sigma^4 (2/(n-1) + kappa/n), excess kurtosis kappa = 6/(nu-4) for t_nu.
    sd = math.sqrt(2 / (n - 1) + 6 / (nu - 4) / n)
    for xi in (ds.xi_f, ds.xi_perp[:, 0]):
        assert abs(xi.var() - 1.0) <= MC_SIGMAS * sd
    # Heavy tails really are Student-t: the KS test against the standardised law.
    scale = math.sqrt((nu - 2) / nu)
    assert stats.kstest(ds.xi_f[:5000], stats.t(nu, scale=scale).cdf).pvalue > 1e-4


def test_custom_distribution_used_as_given():
    lap = stats.laplace(scale=2.0)
    ds = binary_signal_noise(10, 3, noise_n=lap, sigma_n=1.0, seed=4)
    rng = np.random.default_rng(4)
    rng.random(10)  # labels
    rng.standard_normal(10)  # xi_f
    np.testing.assert_array_equal(ds.xi_perp, lap.rvs(size=(10, 2), random_state=rng))


def test_label_noise_flips_exact_count():
    ds = binary_signal_noise(101, 3, label_noise=0.25, seed=0)
    assert ds.flipped.sum() == 25  # floor(0.25 * 101 + 0.5) = floor(25.75) = 25
    np.testing.assert_array_equal(ds.y[ds.flipped], -ds.y_clean[ds.flipped])
    np.testing.assert_array_equal(ds.y[~ds.flipped], ds.y_clean[~ds.flipped])
    # Features follow the clean label: the signal coordinate has the clean sign.
    clean = binary_signal_noise(101, 3, label_noise=0.25, sigma_f=0.0, seed=0)
    np.testing.assert_array_equal(np.sign(clean.X[:, 0]), clean.y_clean)


def test_fresh_is_independent_with_same_parameters():
    ds = binary_signal_noise(30, 5, sigma_f=0.2, sigma_n=3.0, label_noise=0.1, seed=0)
    te = ds.fresh(40, seed=1)
    assert isinstance(te, BinaryDataset) and te.X.shape == (40, 5)
    assert (te.sigma_f, te.sigma_n, te.label_noise) == (0.2, 3.0, 0.1)
    assert not np.array_equal(te.xi_perp[:30], ds.xi_perp)


@pytest.mark.parametrize("kwargs, name, value", [
    (dict(sigma_n=-1.0), "sigma_n", "-1.0"),
    (dict(sigma_f=-0.5), "sigma_f", "-0.5"),
    (dict(mu_f=float("nan")), "mu_f", "nan"),
    (dict(label_noise=0.5), "label_noise", "0.5"),
    (dict(label_noise=-0.1), "label_noise", "-0.1"),
    (dict(noise_n="cauchy"), "noise_n", "cauchy"),
    (dict(noise_f="student_t"), "df", "None"),
    (dict(noise_f="student_t", df=2.0), "df", "2.0"),
])
def test_binary_bad_values_quote_the_value(kwargs, name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}'.*{value}"):
        binary_signal_noise(10, 3, seed=0, **kwargs)


@pytest.mark.parametrize("n, d, bad", [(0, 3, "'n'"), (10, 0, "'d'"), (-2, 3, "'n'")])
def test_binary_bad_sizes(n, d, bad):
    with pytest.raises(InvalidParameterError, match=bad):
        binary_signal_noise(n, d, seed=0)


def test_binary_bad_types():
    with pytest.raises(InvalidTypeError, match="'n'.*2.5"):
        binary_signal_noise(2.5, 3, seed=0)
    with pytest.raises(InvalidTypeError, match="'seed'.*None"):
        binary_signal_noise(5, 3, seed=None)
    with pytest.raises(InvalidTypeError, match="'noise_n'"):
        binary_signal_noise(5, 3, noise_n=object(), seed=0)
    with pytest.raises(InvalidParameterError, match="'sigma_n'.*-3"):
        binary_signal_noise(5, 3, seed=0).rescaled(sigma_n=-3)


# ------------------------------------------------------------------------ multiclass


@pytest.mark.parametrize("k, d", [(2, 1), (3, 3), (10, 20)])
def test_simplex_means_are_regular(k, d):
    m = simplex_means(k, d, scale=1.5)
    dist = np.linalg.norm(m[:, None] - m[None], axis=-1)[~np.eye(k, dtype=bool)]
    # Closed form of the regular simplex with unit circumradius: sqrt(2K/(K-1)); QR and
    # products round to ~1e-15.
    np.testing.assert_allclose(dist, 1.5 * math.sqrt(2 * k / (k - 1)), rtol=1e-13)
    np.testing.assert_allclose(m.mean(axis=0), 0.0, atol=1e-14)
    assert np.all(m[:, k - 1:] == 0.0)


def test_multiclass_bases_and_noise_split():
    ds = multiclass_signal_noise(20_000, 8, 4, sigma_f=0.5, sigma_n=2.0, seed=0)
    B, C = ds.basis, ds.complement
    np.testing.assert_allclose(np.hstack([B, C]).T @ np.hstack([B, C]), np.eye(8), atol=1e-14)
    centred = ds.means - ds.means.mean(axis=0)
    np.testing.assert_allclose(centred @ C, 0.0, atol=1e-14)  # means span exactly S
    resid = ds.X - ds.means[ds.y_clean]
    n = ds.n
    cov_S = np.cov(resid @ B, rowvar=False)
    cov_P = np.cov(resid @ C, rowvar=False)
    # Diagonal sample variances: sd sigma^2 sqrt(2/n); off-diagonal sd sigma^2/sqrt(n).
    np.testing.assert_allclose(np.diag(cov_S), 0.25, atol=MC_SIGMAS * 0.25 * math.sqrt(2 / n))
    np.testing.assert_allclose(np.diag(cov_P), 4.0, atol=MC_SIGMAS * 4.0 * math.sqrt(2 / n))
    cross = (resid @ B).T @ (resid @ C) / n
    np.testing.assert_allclose(cross, 0.0, atol=MC_SIGMAS * 0.5 * 2.0 / math.sqrt(n))
    counts = np.bincount(ds.y, minlength=4) / n
    # Multinomial proportions: sd sqrt(p(1-p)/n) with p = 1/4.
    np.testing.assert_allclose(counts, 0.25, atol=MC_SIGMAS * math.sqrt(0.1875 / n))


def test_multiclass_custom_means_and_rescaled_same_draw():
    means = np.random.default_rng(1).standard_normal((3, 5))
    ds = multiclass_signal_noise(50, 5, 3, sigma_f=1.0, sigma_n=1.0, means=means, seed=2)
    np.testing.assert_allclose(ds.basis.T @ ds.basis, np.eye(2), atol=1e-14)
    np.testing.assert_allclose((means - means.mean(0)) @ ds.complement, 0.0, atol=1e-13)
    re = ds.rescaled(sigma_n=3.0)
    # M6: the in-span part of every sample is unchanged, the orthogonal part scales by 3.
    np.testing.assert_allclose(re.X @ ds.basis, ds.X @ ds.basis, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(re.X @ ds.complement - means.mean(0) @ ds.complement,
                               3.0 * (ds.X @ ds.complement - means.mean(0) @ ds.complement),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(re.y, ds.y)
    te = ds.fresh(7, seed=9)
    np.testing.assert_array_equal(te.means, ds.means)


def test_multiclass_label_noise_moves_to_other_class():
    ds = multiclass_signal_noise(200, 6, 5, sigma_f=0.1, sigma_n=0.1, label_noise=0.3, seed=0)
    assert ds.flipped.sum() == 60
    assert np.all(ds.y[ds.flipped] != ds.y_clean[ds.flipped])
    np.testing.assert_array_equal(ds.y[~ds.flipped], ds.y_clean[~ds.flipped])


def test_multiclass_validation():
    with pytest.raises(InvalidParameterError, match="'k'.*5"):
        multiclass_signal_noise(10, 3, 5, sigma_f=1.0, sigma_n=1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="'k'.*1"):
        multiclass_signal_noise(10, 3, 1, sigma_f=1.0, sigma_n=1.0, seed=0)
    collinear = np.array([[0.0, 0, 0], [1.0, 0, 0], [2.0, 0, 0]])
    with pytest.raises(InvalidParameterError, match="affinely independent"):
        multiclass_signal_noise(10, 3, 3, sigma_f=1.0, sigma_n=1.0, means=collinear, seed=0)
    with pytest.raises(InvalidParameterError, match="'means'.*shape"):
        multiclass_signal_noise(10, 3, 3, sigma_f=1.0, sigma_n=1.0, means=np.eye(3)[:2],
                                seed=0)
    with pytest.raises(InvalidParameterError, match="'sigma_f'.*-1"):
        multiclass_signal_noise(10, 3, 3, sigma_f=-1, sigma_n=1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="'label_noise'.*0.9"):
        multiclass_signal_noise(10, 3, 3, sigma_f=1, sigma_n=1.0, label_noise=0.9, seed=0)
    with pytest.raises(InvalidParameterError, match="'means'.*inf"):
        bad = np.eye(3)
        bad[0, 0] = np.inf
        multiclass_signal_noise(10, 3, 3, sigma_f=1, sigma_n=1.0, means=bad, seed=0)


# ------------------------------------------------------------------------ Gaussian population


def test_gaussian_population_fisher_and_sampling():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    cov = A @ A.T + 0.5 * np.eye(4)
    mu = rng.standard_normal(4)
    pop = gaussian_population(mu, cov)
    w = np.linalg.solve(cov, mu)
    # Cholesky solve vs LU solve of a well-conditioned 4x4: both backward stable, ~1e-15.
    np.testing.assert_allclose(pop.fisher_direction(), w / np.linalg.norm(w), rtol=1e-12)
    n = 100_000
    x = pop.sample(n, seed=1)
    sd = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(x.mean(axis=0) - mu) <= MC_SIGMAS * sd)
    # Entrywise sample covariance: Var = (S_ij^2 + S_ii S_jj)/n for Gaussian data.
    var = (cov**2 + np.outer(np.diag(cov), np.diag(cov))) / n
    assert np.all(np.abs(np.cov(x, rowvar=False) - cov) <= MC_SIGMAS * np.sqrt(var))
    m, s = pop.moments(w)
    assert m == pytest.approx(w @ mu, rel=1e-14) and s == pytest.approx(math.sqrt(w @ cov @ w),
                                                                          rel=1e-12)


@pytest.mark.parametrize("mu, cov, match", [
    ([0.0, 1.0], [[1.0, 0.5], [0.4, 1.0]], "symmetric"),
    ([0.0, 1.0], [[1.0, 2.0], [2.0, 1.0]], "positive definite.*-1.0"),
    ([0.0, 1.0], [[1.0]], "shape"),
    ([0.0, float("nan")], np.eye(2), "'mu'.*nan"),
    ([[0.0, 1.0]], np.eye(2), "1-dimensional"),
])
def test_gaussian_population_validation(mu, cov, match):
    with pytest.raises(InvalidParameterError, match=match):
        gaussian_population(mu, cov)
