r"""Label-absorbed Gaussian populations :math:`u \sim N(\mu, \Sigma)` (claims B3, B4): the
population the Fisher-direction claims are stated for, as a validated frozen value."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg

from core.errors import InvalidParameterError
from core.validation import COUNT, Array, Seed, validate, validate_params

from numerics.models._noise import frozen

__all__ = ["GaussianPopulation", "gaussian_population"]


@dataclass(frozen=True, eq=False)
class GaussianPopulation:
    r"""Label-absorbed Gaussian population :math:`u \sim N(\mu, \Sigma)` (claims B3, B4).

    Build it with :func:`gaussian_population`, which validates the inputs.
    """

    mu: np.ndarray = field(repr=False)
    cov: np.ndarray = field(repr=False)
    chol: np.ndarray = field(repr=False)

    @property
    def d(self) -> int:
        return self.mu.shape[0]

    @validate_params({"n": [COUNT], "seed": [Seed()]})
    def sample(self, n, *, seed) -> np.ndarray:
        r"""``n`` samples :math:`\mu + L z`, :math:`LL^\top = \Sigma`, shape (n, d)."""
        rng = seed  # a Generator once validated
        return self.mu + rng.standard_normal((n, self.d)) @ self.chol.T

    def moments(self, S):
        r"""Logit mean and standard deviation of a direction: :math:`(S\cdot\mu,
        \sqrt{S^\top\Sigma S})` (B3)."""
        S = validate("S", S, Array(1, (self.d,)), "GaussianPopulation.moments")
        return float(S @ self.mu), float(np.linalg.norm(self.chol.T @ S))

    def fisher_direction(self) -> np.ndarray:
        r"""Unit Fisher direction :math:`\Sigma^{-1}\mu / \|\Sigma^{-1}\mu\|` (Cor. 3.3, B4).

        Uses the Cholesky factor (two triangular solves) rather than an inverse.
        """
        w = linalg.cho_solve((self.chol, True), self.mu)
        norm = np.linalg.norm(w)
        if norm == 0.0:
            raise InvalidParameterError(
                "The Fisher direction of a population with mu = 0 is undefined. Got mu = 0.")
        return w / norm


@validate_params({"mu": [Array(1)]})
def gaussian_population(mu, cov) -> GaussianPopulation:
    r"""Validate and freeze :math:`N(\mu, \Sigma)`, :math:`\Sigma` symmetric positive definite.

    >>> pop = gaussian_population([1.0, 0.0], [[2.0, 0.0], [0.0, 1.0]])
    >>> pop.fisher_direction().tolist()
    [1.0, 0.0]
    """
    caller = "gaussian_population"
    d = mu.shape[0]
    cov = validate("cov", cov, Array(2, (d, d)), caller)
    # Symmetry to a few ulps of the largest entry: covariances assembled by X.T @ X / n are
    # symmetric only up to rounding.
    asym = float(np.max(np.abs(cov - cov.T)))
    if asym > 1e-12 * max(float(np.max(np.abs(cov))), 1e-300):
        raise InvalidParameterError(
            f"The 'cov' parameter of {caller} must be symmetric. Got max |cov - cov.T| = "
            f"{asym!r} instead.")
    cov = 0.5 * (cov + cov.T)
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        eig = float(np.linalg.eigvalsh(cov)[0])
        raise InvalidParameterError(
            f"The 'cov' parameter of {caller} must be positive definite. Got smallest "
            f"eigenvalue {eig!r} instead.") from None
    return GaussianPopulation(mu=frozen(mu), cov=frozen(cov), chol=frozen(chol))
