r"""The multiclass signal-plus-noise model (docs/theory.md §4; claims M1-M7, G1) as a seeded
sampler, and the regular simplex of class means.

Labels :math:`c \in \{0, \dots, K-1\}`,

.. math::
    x = \mu_c + \sigma_f \eta_f + \sigma_n \eta_n,
    \qquad \eta_f \sim N(0, P_S),\quad \eta_n \sim N(0, P_{S^\perp}),

with :math:`S` the :math:`(K-1)`-dimensional span of the centred class means. As in the
binary model the dataset keeps its standardised draws, so
:meth:`MulticlassDataset.rescaled` is the same draw with other amplitudes (claim M6).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from core.errors import InvalidParameterError
from core.validation import (CLASS_COUNT, COUNT, NON_NEGATIVE, POSITIVE, Array, Interval, Seed,
                             parameter_error, validate, validate_params)

from numerics.models._noise import flip_count, frozen

__all__ = ["MulticlassDataset", "multiclass_signal_noise", "simplex_means", "mean_span"]



def _refuse_too_many_classes(k, d, caller):
    if k - 1 > d:
        raise parameter_error("k", k, f"an int with k - 1 <= d = {d} (affinely independent "
                                      "means)", caller)


@validate_params({"k": [CLASS_COUNT], "d": [COUNT], "scale": [POSITIVE]})
def simplex_means(k, d, *, scale=1.0) -> np.ndarray:
    r"""Regular simplex of ``k`` vertices in the first ``k-1`` coordinates of :math:`R^d`.

    Centroid at the origin, :math:`\|\mu_c\| = ` ``scale``, pairwise distances
    :math:`\text{scale}\sqrt{2K/(K-1)}` (affinely independent, claims M1-M7).

    >>> m = simplex_means(3, 4)
    >>> m.shape, bool(np.allclose(np.linalg.norm(m, axis=1), 1.0))
    ((3, 4), True)
    """
    _refuse_too_many_classes(k, d, "simplex_means")
    centred = np.eye(k) - 1.0 / k
    # An orthonormal basis of the sum-zero subspace of R^k turns the centred unit vectors
    # into K points of R^{K-1} with the same Gram matrix.
    basis, _ = np.linalg.qr(centred[:, : k - 1])
    coords = centred @ basis * math.sqrt(k / (k - 1.0))
    means = np.zeros((k, d))
    means[:, : k - 1] = scale * coords
    return means


def mean_span(means, caller):
    """Orthonormal bases of the centred mean span S (d, K-1) and of its complement."""
    k, d = means.shape
    centred = means - means.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=True)
    # Affine independence <=> the K-1 centred means span K-1 dimensions; the relative
    # threshold sits far above the ~1e-16 rounding of an SVD of O(1) data.
    if s[0] == 0.0 or s[k - 2] <= 1e-10 * s[0]:
        raise InvalidParameterError(
            f"The 'means' parameter of {caller} must hold affinely independent class means. "
            f"Got centred singular values {s[: k - 1].tolist()!r} instead.")
    return vt[: k - 1].T.copy(), vt[k - 1:].T.copy()


@dataclass(frozen=True, eq=False)
class MulticlassDataset:
    r"""One draw of the multiclass signal-plus-noise model (docs/theory.md §4; M2-M7, G1).

    .. math::
        X_i = s\,\mu_{c_i} + \sigma_f B_S g_{f,i} + \sigma_n B_{S^\perp} g_{n,i},
        \qquad g \sim N(0, I),

    with :math:`s` = ``mean_scale``, :math:`B_S` (:attr:`basis`, d x (K-1)) and
    :math:`B_{S^\perp}` (:attr:`complement`) orthonormal bases, so that
    :math:`\eta_f = B_S g_f \sim N(0, P_S)`.
    """

    g_f: np.ndarray = field(repr=False)
    g_n: np.ndarray = field(repr=False)
    y_clean: np.ndarray = field(repr=False)
    flipped: np.ndarray = field(repr=False)
    base_means: np.ndarray = field(repr=False)
    basis: np.ndarray = field(repr=False)
    complement: np.ndarray = field(repr=False)
    k: int = 2
    sigma_f: float = 1.0
    sigma_n: float = 1.0
    mean_scale: float = 1.0
    label_noise: float = 0.0
    noisy_labels: np.ndarray = field(repr=False, default=None)
    X: np.ndarray = field(init=False, repr=False)
    y: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        X = self.means[self.y_clean]
        X += self.sigma_f * (self.g_f @ self.basis.T)
        if self.complement.shape[1]:
            X += self.sigma_n * (self.g_n @ self.complement.T)
        object.__setattr__(self, "X", frozen(X))
        object.__setattr__(self, "y", self.noisy_labels)

    @property
    def means(self) -> np.ndarray:
        """Class means, shape (K, d) (``mean_scale`` times ``base_means``)."""
        return self.mean_scale * self.base_means

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @validate_params({"sigma_f": [NON_NEGATIVE, None], "sigma_n": [NON_NEGATIVE, None],
                      "mean_scale": [POSITIVE, None]})
    def rescaled(self, *, sigma_f=None, sigma_n=None, mean_scale=None) -> "MulticlassDataset":
        """The same draw with other amplitudes (claim M6); bases and labels unchanged."""
        changes = {"sigma_f": sigma_f, "sigma_n": sigma_n, "mean_scale": mean_scale}
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def fresh(self, n, *, seed) -> "MulticlassDataset":
        """An independent draw of ``n`` samples with the same means, bases and amplitudes."""
        return multiclass_signal_noise(
            n, self.d, self.k, sigma_f=self.sigma_f, sigma_n=self.sigma_n,
            means=self.base_means, mean_scale=self.mean_scale,
            label_noise=self.label_noise, seed=seed)


@validate_params({"n": [COUNT], "d": [COUNT], "k": [CLASS_COUNT], "sigma_f": [NON_NEGATIVE],
                  "sigma_n": [NON_NEGATIVE], "mean_scale": [POSITIVE], "seed": [Seed()]})
def multiclass_signal_noise(n, d, k, *, sigma_f, sigma_n, means="simplex", mean_scale=1.0,
                            label_noise=0.0, seed) -> MulticlassDataset:
    r"""Draw the multiclass signal-plus-noise model (docs/theory.md §4; M2, M5-M7, G1).

    .. math::
        x = \mu_c + \sigma_f \eta_f + \sigma_n \eta_n,\quad
        \eta_f \sim N(0, P_S),\ \eta_n \sim N(0, P_{S^\perp}),\quad
        S = \operatorname{span}\{\mu_c - \bar\mu\}.

    Parameters
    ----------
    n, d, k : int
        Samples, dimension, classes (:math:`K \ge 2`, :math:`K - 1 \le d`).
    sigma_f, sigma_n : float
        Noise amplitudes inside and orthogonal to the mean span (>= 0).
    means : "simplex" or array (K, d)
        Affinely independent class means; ``"simplex"`` is :func:`simplex_means`.
    mean_scale : float
        Positive factor multiplying the means.
    label_noise : float
        Fraction :math:`\eta \in [0, 1 - 1/K)` of labels (exactly
        :math:`\lfloor \eta N + 1/2\rfloor`) moved to a uniformly random *other* class;
        below :math:`1 - 1/K` the true class stays the most frequent label.
    seed : int or numpy.random.Generator
        Required. Classes are drawn i.i.d. uniform.
    """
    caller, rng = "multiclass_signal_noise", seed
    _refuse_too_many_classes(k, d, caller)
    label_noise = validate("label_noise", label_noise,
                           Interval(Real, 0.0, 1.0 - 1.0 / k, closed="left"), caller)
    if isinstance(means, str):
        if means != "simplex":
            raise InvalidParameterError(
                f"The 'means' parameter of {caller} must be 'simplex' or an array of shape "
                f"({k}, {d}). Got {means!r} instead.")
        base = simplex_means(k, d)
        # The simplex lives in the first K-1 coordinates, so the bases are exact columns
        # of the identity (no rounding in the S / S-perp split).
        eye = np.eye(d)
        basis, complement = eye[:, : k - 1].copy(), eye[:, k - 1:].copy()
    else:
        base = validate("means", means, Array(2, (k, d)), caller)
        basis, complement = mean_span(base, caller)

    y_clean = rng.integers(0, k, size=n).astype(np.int64)
    g_f = rng.standard_normal((n, k - 1))
    g_n = rng.standard_normal((n, d - k + 1))
    flipped = np.zeros(n, dtype=bool)
    idx = rng.permutation(n)[:flip_count(label_noise, n)]
    flipped[idx] = True
    y = y_clean.copy()
    y[idx] = (y[idx] + rng.integers(1, k, size=idx.size)) % k
    return MulticlassDataset(
        g_f=frozen(g_f), g_n=frozen(g_n), y_clean=frozen(y_clean),
        flipped=frozen(flipped), base_means=frozen(base), basis=frozen(basis),
        complement=frozen(complement), k=k, sigma_f=sigma_f, sigma_n=sigma_n,
        mean_scale=mean_scale, label_noise=label_noise, noisy_labels=frozen(y))
