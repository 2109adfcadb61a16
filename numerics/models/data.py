r"""Data models of the theory: signal plus noise (binary, multiclass) and Gaussian populations.

Every dataset is a frozen value that keeps its *standardised raw draws* next to the
parameters that scale them. ``rescaled`` therefore returns the same draw with other
amplitudes, which is what the exact invariance checks need (claims B9, M6), and
``fresh`` draws an independent test set from the same model.

Binary model (THEORY.md Sec. 3), labels :math:`y_i \in \{-1, +1\}`:

.. math::
    x = y\,\mu_f e_1 + \sigma_f \xi_f e_1 + \sigma_n \xi_\perp,
    \qquad \xi_f \sim D_f,\quad \xi_\perp \sim D_n^{\otimes (d-1)} \text{ on } e_1^\perp .

Multiclass model (THEORY.md Sec. 4), labels :math:`c \in \{0, \dots, K-1\}`:

.. math::
    x = \mu_c + \sigma_f \eta_f + \sigma_n \eta_n,
    \qquad \eta_f \sim N(0, P_S),\quad \eta_n \sim N(0, P_{S^\perp}),

with :math:`S` the :math:`(K-1)`-dimensional span of the centred class means.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg

from core.errors import InvalidParameterError, InvalidTypeError

__all__ = [
    "BinaryDataset",
    "MulticlassDataset",
    "GaussianPopulation",
    "binary_signal_noise",
    "multiclass_signal_noise",
    "gaussian_population",
    "simplex_means",
]

_NOISE_NAMES = ("gaussian", "student_t")


# --------------------------------------------------------------------------------------
# Validation at the public boundary (shared with maxmargin.py and dynamics.py).
# --------------------------------------------------------------------------------------

def _check_int(value, name, caller, *, minimum=None):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be an integer. Got {value!r} instead.")
    if minimum is not None and value < minimum:
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be >= {minimum}. Got {value!r} instead.")
    return int(value)


def _check_real(value, name, caller, *, lower=None, upper=None, lower_open=False,
                upper_open=False):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be a real number. Got {value!r} instead.")
    v = float(value)
    if not math.isfinite(v):
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be finite. Got {value!r} instead.")
    bad_low = lower is not None and (v <= lower if lower_open else v < lower)
    bad_high = upper is not None and (v >= upper if upper_open else v > upper)
    if bad_low or bad_high:
        if lower is not None and upper is not None:
            lo, hi = "(" if lower_open else "[", ")" if upper_open else "]"
            what = f"in {lo}{lower}, {upper}{hi}"
        elif lower is not None:
            what = f"{'>' if lower_open else '>='} {lower}"
        else:
            what = f"{'<' if upper_open else '<='} {upper}"
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {what}. Got {value!r} instead.")
    return v


def _check_array(value, name, caller, *, ndim, shape=None):
    """Return a finite float64 C-contiguous copy-if-needed of ``value`` with ``ndim`` dims.

    ``shape`` may contain ``None`` for free axes.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be an array. Got {value!r} instead.")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be a real array. Got {value!r} "
            f"instead ({exc}).") from None
    if arr.ndim != ndim:
        hint = " Reshape your data, e.g. with array.reshape(-1, 1)." if ndim == 2 else ""
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {ndim}-dimensional. Got an array "
            f"of shape {arr.shape} instead.{hint}")
    if shape is not None:
        for axis, (got, want) in enumerate(zip(arr.shape, shape)):
            if want is not None and got != want:
                raise InvalidParameterError(
                    f"The {name!r} parameter of {caller} must have shape "
                    f"{tuple('*' if s is None else s for s in shape)}. Got shape {arr.shape} "
                    f"instead (axis {axis}).")
    if 0 in arr.shape:
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be non-empty. Got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be finite. Got {bad!r} at "
            f"{np.argwhere(~np.isfinite(arr))[0].tolist()} instead.")
    return np.ascontiguousarray(arr)


def _check_rng(seed, caller):
    """Explicit seeds only: ``None`` would silently make a run irreproducible."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise InvalidParameterError(
                f"The 'seed' parameter of {caller} must be >= 0. Got {seed!r} instead.")
        return np.random.default_rng(int(seed))
    raise InvalidTypeError(
        f"The 'seed' parameter of {caller} must be a non-negative int or a "
        f"numpy.random.Generator (explicit seeds keep runs reproducible). Got {seed!r} "
        "instead.")


def _frozen(arr):
    arr = np.asarray(arr)
    arr.flags.writeable = False
    return arr


def _flip_count(label_noise, n):
    # Round half up, not Python's banker's rounding, so that eta*n = 2.5 flips 3 labels.
    return int(math.floor(label_noise * n + 0.5))


# --------------------------------------------------------------------------------------
# Noise distributions.
# --------------------------------------------------------------------------------------

def _check_noise(noise, name, caller, df):
    if isinstance(noise, str):
        if noise not in _NOISE_NAMES:
            raise InvalidParameterError(
                f"The {name!r} parameter of {caller} must be one of {_NOISE_NAMES} or an "
                f"object with an .rvs(size=, random_state=) method. Got {noise!r} instead.")
        if noise == "student_t":
            if df is None:
                raise InvalidParameterError(
                    f"The 'df' parameter of {caller} is required when {name}='student_t'. "
                    "Got None instead.")
            _check_real(df, "df", caller, lower=2.0, lower_open=True)
        return noise
    if not callable(getattr(noise, "rvs", None)):
        raise InvalidTypeError(
            f"The {name!r} parameter of {caller} must be one of {_NOISE_NAMES} or an object "
            f"with an .rvs(size=, random_state=) method. Got {noise!r} instead.")
    return noise


def _draw_noise(noise, shape, rng, df, name, caller):
    r"""Standardised draws: N(0,1); Student-t rescaled to unit variance; custom as given.

    Student-t: :math:`\xi = T\sqrt{(\nu-2)/\nu}` with :math:`T \sim t_\nu`, so that
    ``sigma`` is the noise standard deviation for every ``noise`` choice (B6 compares
    Student-t and Gaussian noise at equal variance).
    """
    if noise == "gaussian":
        return rng.standard_normal(shape)
    if noise == "student_t":
        return rng.standard_t(float(df), size=shape) * math.sqrt((df - 2.0) / df)
    out = np.asarray(noise.rvs(size=shape, random_state=rng), dtype=np.float64)
    if out.shape != tuple(shape):
        raise InvalidParameterError(
            f"The {name!r} distribution of {caller} returned shape {out.shape} from "
            f".rvs(size={tuple(shape)}); expected {tuple(shape)}.")
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            f"The {name!r} distribution of {caller} returned non-finite samples.")
    return out


# --------------------------------------------------------------------------------------
# Binary signal plus noise.
# --------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class BinaryDataset:
    r"""One draw of the binary signal-plus-noise model (THEORY.md Sec. 3; B7, B8, B9).

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
        object.__setattr__(self, "X", _frozen(X))
        object.__setattr__(self, "y", _frozen(y))

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

    def rescaled(self, *, sigma_n=None, sigma_f=None, mu_f=None) -> "BinaryDataset":
        r"""The same draw with other amplitudes (claim B9).

        Only the scalars multiplying the stored standardised draws change, so for any
        :math:`S` the logits of :math:`(S_1, S_\perp\,\sigma_n/\sigma_n')` on the rescaled
        data equal those of :math:`S` on this one up to rounding.
        """
        caller = "BinaryDataset.rescaled"
        changes = {}
        if sigma_n is not None:
            changes["sigma_n"] = _check_real(sigma_n, "sigma_n", caller, lower=0.0)
        if sigma_f is not None:
            changes["sigma_f"] = _check_real(sigma_f, "sigma_f", caller, lower=0.0)
        if mu_f is not None:
            changes["mu_f"] = _check_real(mu_f, "mu_f", caller)
        return dataclasses.replace(self, **changes)

    def fresh(self, n, *, seed) -> "BinaryDataset":
        """An independent draw of ``n`` samples from the same model (e.g. a test set)."""
        return binary_signal_noise(
            n, self.d, mu_f=self.mu_f, sigma_f=self.sigma_f, sigma_n=self.sigma_n,
            noise_f=self.noise_f, noise_n=self.noise_n, df=self.df,
            label_noise=self.label_noise, seed=seed)


def binary_signal_noise(n, d, *, mu_f=1.0, sigma_f=1.0, sigma_n=1.0, noise_f="gaussian",
                        noise_n="gaussian", df=None, label_noise=0.0, seed) -> BinaryDataset:
    r"""Draw the binary signal-plus-noise model (THEORY.md Sec. 3; claims B6-B12).

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
    caller = "binary_signal_noise"
    n = _check_int(n, "n", caller, minimum=1)
    d = _check_int(d, "d", caller, minimum=1)
    mu_f = _check_real(mu_f, "mu_f", caller)
    sigma_f = _check_real(sigma_f, "sigma_f", caller, lower=0.0)
    sigma_n = _check_real(sigma_n, "sigma_n", caller, lower=0.0)
    label_noise = _check_real(label_noise, "label_noise", caller, lower=0.0, upper=0.5,
                              upper_open=True)
    noise_f = _check_noise(noise_f, "noise_f", caller, df)
    noise_n = _check_noise(noise_n, "noise_n", caller, df)
    if df is not None:
        df = _check_real(df, "df", caller, lower=2.0, lower_open=True)
    rng = _check_rng(seed, caller)

    y_clean = np.where(rng.random(n) < 0.5, -1, 1).astype(np.int64)
    xi_f = _draw_noise(noise_f, (n,), rng, df, "noise_f", caller)
    xi_perp = _draw_noise(noise_n, (n, d - 1), rng, df, "noise_n", caller)
    flipped = np.zeros(n, dtype=bool)
    flipped[rng.permutation(n)[:_flip_count(label_noise, n)]] = True
    return BinaryDataset(
        xi_f=_frozen(xi_f), xi_perp=_frozen(xi_perp), y_clean=_frozen(y_clean),
        flipped=_frozen(flipped), mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n,
        noise_f=noise_f, noise_n=noise_n, df=df, label_noise=label_noise)


# --------------------------------------------------------------------------------------
# Multiclass signal plus noise.
# --------------------------------------------------------------------------------------

def simplex_means(k, d, *, scale=1.0) -> np.ndarray:
    r"""Regular simplex of ``k`` vertices in the first ``k-1`` coordinates of :math:`R^d`.

    Centroid at the origin, :math:`\|\mu_c\| = ` ``scale``, pairwise distances
    :math:`\text{scale}\sqrt{2K/(K-1)}` (affinely independent, claims M1-M7).

    >>> m = simplex_means(3, 4)
    >>> m.shape, bool(np.allclose(np.linalg.norm(m, axis=1), 1.0))
    ((3, 4), True)
    """
    caller = "simplex_means"
    k = _check_int(k, "k", caller, minimum=2)
    d = _check_int(d, "d", caller, minimum=1)
    if k - 1 > d:
        raise InvalidParameterError(
            f"The 'k' parameter of {caller} must satisfy k - 1 <= d = {d}. Got {k!r} instead.")
    scale = _check_real(scale, "scale", caller, lower=0.0, lower_open=True)
    centred = np.eye(k) - 1.0 / k
    # An orthonormal basis of the sum-zero subspace of R^k turns the centred unit vectors
    # into K points of R^{K-1} with the same Gram matrix.
    basis, _ = np.linalg.qr(centred[:, : k - 1])
    coords = centred @ basis * math.sqrt(k / (k - 1.0))
    means = np.zeros((k, d))
    means[:, : k - 1] = scale * coords
    return means


def _mean_span(means, caller):
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
    r"""One draw of the multiclass signal-plus-noise model (THEORY.md Sec. 4; M2-M7, G1).

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
        object.__setattr__(self, "X", _frozen(X))
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

    def rescaled(self, *, sigma_f=None, sigma_n=None, mean_scale=None) -> "MulticlassDataset":
        """The same draw with other amplitudes (claim M6); bases and labels unchanged."""
        caller = "MulticlassDataset.rescaled"
        changes = {}
        if sigma_f is not None:
            changes["sigma_f"] = _check_real(sigma_f, "sigma_f", caller, lower=0.0)
        if sigma_n is not None:
            changes["sigma_n"] = _check_real(sigma_n, "sigma_n", caller, lower=0.0)
        if mean_scale is not None:
            changes["mean_scale"] = _check_real(mean_scale, "mean_scale", caller, lower=0.0,
                                                lower_open=True)
        return dataclasses.replace(self, **changes)

    def fresh(self, n, *, seed) -> "MulticlassDataset":
        """An independent draw of ``n`` samples with the same means, bases and amplitudes."""
        return multiclass_signal_noise(
            n, self.d, self.k, sigma_f=self.sigma_f, sigma_n=self.sigma_n,
            means=self.base_means, mean_scale=self.mean_scale,
            label_noise=self.label_noise, seed=seed)


def multiclass_signal_noise(n, d, k, *, sigma_f, sigma_n, means="simplex", mean_scale=1.0,
                            label_noise=0.0, seed) -> MulticlassDataset:
    r"""Draw the multiclass signal-plus-noise model (THEORY.md Sec. 4; M2, M5-M7, G1).

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
    caller = "multiclass_signal_noise"
    n = _check_int(n, "n", caller, minimum=1)
    d = _check_int(d, "d", caller, minimum=1)
    k = _check_int(k, "k", caller, minimum=2)
    if k - 1 > d:
        raise InvalidParameterError(
            f"The 'k' parameter of {caller} must satisfy k - 1 <= d = {d} (affinely "
            f"independent means). Got {k!r} instead.")
    sigma_f = _check_real(sigma_f, "sigma_f", caller, lower=0.0)
    sigma_n = _check_real(sigma_n, "sigma_n", caller, lower=0.0)
    mean_scale = _check_real(mean_scale, "mean_scale", caller, lower=0.0, lower_open=True)
    label_noise = _check_real(label_noise, "label_noise", caller, lower=0.0,
                              upper=1.0 - 1.0 / k, upper_open=True)
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
        base = _check_array(means, "means", caller, ndim=2, shape=(k, d))
        basis, complement = _mean_span(base, caller)
    rng = _check_rng(seed, caller)

    y_clean = rng.integers(0, k, size=n).astype(np.int64)
    g_f = rng.standard_normal((n, k - 1))
    g_n = rng.standard_normal((n, d - k + 1))
    flipped = np.zeros(n, dtype=bool)
    idx = rng.permutation(n)[:_flip_count(label_noise, n)]
    flipped[idx] = True
    y = y_clean.copy()
    y[idx] = (y[idx] + rng.integers(1, k, size=idx.size)) % k
    return MulticlassDataset(
        g_f=_frozen(g_f), g_n=_frozen(g_n), y_clean=_frozen(y_clean),
        flipped=_frozen(flipped), base_means=_frozen(base), basis=_frozen(basis),
        complement=_frozen(complement), k=k, sigma_f=sigma_f, sigma_n=sigma_n,
        mean_scale=mean_scale, label_noise=label_noise, noisy_labels=_frozen(y))


# --------------------------------------------------------------------------------------
# Gaussian populations (B3, B4).
# --------------------------------------------------------------------------------------

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

    def sample(self, n, *, seed) -> np.ndarray:
        r"""``n`` samples :math:`\mu + L z`, :math:`LL^\top = \Sigma`, shape (n, d)."""
        caller = "GaussianPopulation.sample"
        n = _check_int(n, "n", caller, minimum=1)
        rng = _check_rng(seed, caller)
        return self.mu + rng.standard_normal((n, self.d)) @ self.chol.T

    def moments(self, S):
        r"""Logit mean and standard deviation of a direction: :math:`(S\cdot\mu,
        \sqrt{S^\top\Sigma S})` (B3)."""
        S = _check_array(S, "S", "GaussianPopulation.moments", ndim=1, shape=(self.d,))
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


def gaussian_population(mu, cov) -> GaussianPopulation:
    r"""Validate and freeze :math:`N(\mu, \Sigma)`, :math:`\Sigma` symmetric positive definite.

    >>> pop = gaussian_population([1.0, 0.0], [[2.0, 0.0], [0.0, 1.0]])
    >>> pop.fisher_direction().tolist()
    [1.0, 0.0]
    """
    caller = "gaussian_population"
    mu = _check_array(mu, "mu", caller, ndim=1)
    d = mu.shape[0]
    cov = _check_array(cov, "cov", caller, ndim=2, shape=(d, d))
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
    return GaussianPopulation(mu=_frozen(mu), cov=_frozen(cov), chol=_frozen(chol))
