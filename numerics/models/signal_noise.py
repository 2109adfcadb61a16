r"""The binary signal-plus-noise model (docs/theory.md §3; claims B6-B12) as a seeded sampler.

Labels :math:`y_i \in \{-1, +1\}`,

.. math::
    x = y\,\mu_f e_1 + \sigma_f \xi_f e_1 + \sigma_n \xi_\perp,
    \qquad \xi_f \sim D_f,\quad \xi_\perp \sim D_n^{\otimes (d-1)} \text{ on } e_1^\perp .

A dataset is a frozen value that keeps its *standardised raw draws* next to the
parameters that scale them: :meth:`BinaryDataset.rescaled` returns the same draw with other
amplitudes (the exact invariance checks of claim B9), :meth:`BinaryDataset.fresh` an
independent test set from the same model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from core.errors import InvalidParameterError
from core.validation import COUNT, NON_NEGATIVE, REAL, Interval, Seed, validate_params

from numerics.models._noise import NOISE, draw_noise, flip_count, frozen

__all__ = ["BinaryDataset", "binary_signal_noise"]



@dataclass(frozen=True, eq=False)
class BinaryDataset:
    r"""One draw of the binary signal-plus-noise model (docs/theory.md §3; B7, B8, B9).

    .. math::
        X_i = y^{\mathrm{clean}}_i \mu_f e_1 + \sigma_f \xi_{f,i} e_1 + \sigma_n \xi_{\perp,i}

    Features are generated from the clean labels; ``y`` carries the label flips. The
    label-absorbed samples :math:`u_i = y_i x_i` are :attr:`u`.

    Attributes
    ----------
    xi_f : ndarray, shape (n,)
        Standardised signal-direction noise.
    xi_perp : ndarray, shape (n, d-1)
        Standardised orthogonal noise (coordinates 2..d).
    y_clean, flipped : ndarray, shape (n,)
        Labels before flipping, and the mask of flipped labels.
    X, y : ndarray
        Features (n, d) and observed labels in {-1, +1}.
    """

    xi_f: np.ndarray = field(repr=False)
    xi_perp: np.ndarray = field(repr=False)
    y_clean: np.ndarray = field(repr=False)
    flipped: np.ndarray = field(repr=False)
    mu_f: float = 1.0
    sigma_f: float = 1.0
    sigma_n: float = 1.0
    noise_f: object = "gaussian"
    noise_n: object = "gaussian"
    df: float | None = None
    label_noise: float = 0.0
    X: np.ndarray = field(init=False, repr=False)
    y: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        n = self.xi_f.shape[0]
        X = np.empty((n, self.xi_perp.shape[1] + 1))
        X[:, 0] = self.y_clean * self.mu_f + self.sigma_f * self.xi_f
        np.multiply(self.sigma_n, self.xi_perp, out=X[:, 1:])
        y = np.where(self.flipped, -self.y_clean, self.y_clean).astype(np.int64)
        object.__setattr__(self, "X", frozen(X))
        object.__setattr__(self, "y", frozen(y))

    @property
    def n(self) -> int:
        """Number of samples :math:`N`."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Input dimension :math:`d`."""
        return self.X.shape[1]

    @property
    def lam(self) -> float:
        r"""Aspect ratio :math:`\lambda = d/N`."""
        return self.d / self.n

    @property
    def u(self) -> np.ndarray:
        r"""Label-absorbed samples :math:`u_i = y_i x_i`, shape (n, d) (what the loss sees)."""
        return self.y[:, None] * self.X

    @validate_params({"sigma_n": [NON_NEGATIVE, None], "sigma_f": [NON_NEGATIVE, None],
                      "mu_f": [REAL, None]})
    def rescaled(self, *, sigma_n=None, sigma_f=None, mu_f=None) -> "BinaryDataset":
        r"""The same draw with other amplitudes (claim B9).

        Only the scalars multiplying the stored standardised draws change, so for any
        :math:`S` the logits of :math:`(S_1, S_\perp\,\sigma_n/\sigma_n')` on the rescaled
        data equal those of :math:`S` on this one up to rounding.
        """
        changes = {"sigma_n": sigma_n, "sigma_f": sigma_f, "mu_f": mu_f}
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def fresh(self, n, *, seed) -> "BinaryDataset":
        """An independent draw of ``n`` samples from the same model (e.g. a test set)."""
        return binary_signal_noise(
            n, self.d, mu_f=self.mu_f, sigma_f=self.sigma_f, sigma_n=self.sigma_n,
            noise_f=self.noise_f, noise_n=self.noise_n, df=self.df,
            label_noise=self.label_noise, seed=seed)


@validate_params({"n": [COUNT], "d": [COUNT], "mu_f": [REAL], "sigma_f": [NON_NEGATIVE],
                  "sigma_n": [NON_NEGATIVE], "label_noise": [Interval(Real, 0, 0.5, closed="left")],
                  "noise_f": NOISE, "noise_n": NOISE,
                  "df": [Interval(Real, 2, None, closed="neither"), None], "seed": [Seed()]})
def binary_signal_noise(n, d, *, mu_f=1.0, sigma_f=1.0, sigma_n=1.0, noise_f="gaussian",
                        noise_n="gaussian", df=None, label_noise=0.0, seed) -> BinaryDataset:
    r"""Draw the binary signal-plus-noise model (docs/theory.md §3; claims B6-B12).

    .. math::
        x = y\,\mu_f e_1 + \sigma_f \xi_f e_1 + \sigma_n \xi_\perp,\qquad
        y \sim \mathrm{Rademacher}.

    Parameters
    ----------
    n, d : int
        Samples :math:`N \ge 1` and dimension :math:`d \ge 1`.
    mu_f, sigma_f, sigma_n : float
        Signal mean, signal-direction noise and orthogonal noise amplitudes (sigmas >= 0).
    noise_f, noise_n : {"gaussian", "student_t"} or frozen scipy distribution
        Noise laws. ``"student_t"`` needs ``df`` > 2 and is standardised to unit variance,
        :math:`\xi = T\sqrt{(\nu-2)/\nu}`, so ``sigma`` is always the standard deviation.
        A custom object is used as drawn (``.rvs(size=, random_state=)``), unscaled.
    df : float, optional
        Student-t degrees of freedom :math:`\nu > 2` (shared by both noises).
    label_noise : float
        Fraction :math:`\eta \in [0, 0.5)`; exactly :math:`\lfloor \eta N + 1/2 \rfloor`
        labels chosen at random are flipped (features keep the clean label).
    seed : int or numpy.random.Generator
        Required; the draw order is labels, :math:`\xi_f`, :math:`\xi_\perp`, flips.

    Examples
    --------
    >>> ds = binary_signal_noise(4, 3, sigma_f=0.0, seed=0)
    >>> ds.X.shape, bool(abs(ds.u[:, 0] - 1.0).max() < 1e-15)
    ((4, 3), True)
    """
    caller, rng = "binary_signal_noise", seed
    for name, noise in (("noise_f", noise_f), ("noise_n", noise_n)):
        if df is None and isinstance(noise, str) and noise == "student_t":
            raise InvalidParameterError(
                f"The 'df' parameter of {caller} is required when {name}='student_t'. "
                "Got None instead.")

    y_clean = np.where(rng.random(n) < 0.5, -1, 1).astype(np.int64)
    xi_f = draw_noise(noise_f, (n,), rng, df, "noise_f", caller)
    xi_perp = draw_noise(noise_n, (n, d - 1), rng, df, "noise_n", caller)
    flipped = np.zeros(n, dtype=bool)
    flipped[rng.permutation(n)[:flip_count(label_noise, n)]] = True
    return BinaryDataset(
        xi_f=frozen(xi_f), xi_perp=frozen(xi_perp), y_clean=frozen(y_clean),
        flipped=frozen(flipped), mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n,
        noise_f=noise_f, noise_n=noise_n, df=df, label_noise=label_noise)
