r"""Test accuracy of a linear classifier on the Gaussian signal-plus-noise model: Eqs 4
and 5 (docs/theory.md §3; claims B9, B10, B13, A0-A5), each written once.

A test point of the binary model, labels absorbed, is
:math:`u = \mu_f e_1 + \sigma_f\xi_f e_1 + \sigma_n\xi_\perp` with standard Gaussian
:math:`\xi`, so the logit :math:`S\cdot u` of a classifier :math:`S = (S_1, S_\perp)` is
:math:`N(S_1\mu_f,\ \sigma_f^2S_1^2 + \sigma_n^2\|S_\perp\|^2)` and its accuracy
:math:`P(S\cdot u > 0)` is exactly (Eq. 5)

.. math::
    A(S) = \Phi\Bigl(\frac{S_1\mu_f}{\sqrt{\sigma_f^2S_1^2 + \sigma_n^2\|S_\perp\|^2}}\Bigr).

In the isotropic coordinates :math:`v = u/(\sigma_f, \sigma_n, \dots)` (claim A0) the
model is :math:`v = \kappa e_1 + g`, :math:`\kappa = \mu_f/\sigma_f`, and Eq. 5 reads
:math:`A = \Phi(\kappa\rho_v)` with :math:`\rho_v` the cosine of the classifier with
:math:`e_1` there. The alignment law (Eq. 4) of the logit-regularised minimiser,

.. math::
    \rho = \cos(S, e_1) = \frac{1}{\sqrt{1 + (C/\sigma_n)^2}},

substituted into Eq. 5 cancels :math:`\sigma_n`: :math:`A = \Phi(\mu_f/\sqrt{\sigma_f^2 + C^2})`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["gaussian_accuracy", "isotropic_accuracy", "alignment", "alignment_constant",
           "alignment_accuracy"]


def gaussian_accuracy(S, *, mu_f, sigma_f, sigma_n) -> float:
    r"""Eq. 5: exact population accuracy of :math:`\operatorname{sign}(S\cdot x)` on the
    Gaussian signal-plus-noise model (no sampling); :math:`S = 0` gives 0.

    >>> gaussian_accuracy(np.array([1.0, 0.0]), mu_f=1.0, sigma_f=0.5, sigma_n=3.0)  # Phi(2)
    0.9772...
    """
    s1 = float(S[0])
    spread = math.sqrt(s1 * s1 * sigma_f**2 + float(np.dot(S[1:], S[1:])) * sigma_n**2)
    return float(special.ndtr(s1 * mu_f / spread)) if spread > 0 else float(s1 > 0)


def isotropic_accuracy(cosine, kappa) -> float:
    r"""Eq. 5 in the isotropic coordinates (claim A0): :math:`A = \Phi(\kappa\rho_v)` for a
    classifier at cosine :math:`\rho_v` with :math:`e_1`, :math:`\kappa = \mu_f/\sigma_f`
    (``cosine = 1``: the Bayes accuracy :math:`\Phi(\mu_f/\sigma_f)`).

    >>> isotropic_accuracy(0.5, 2.0)   # Phi(1)
    0.8413...
    """
    return float(special.ndtr(kappa * cosine))


def alignment(C, sigma_n) -> float:
    r"""Eq. 4: the alignment :math:`\rho = 1/\sqrt{1 + (C/\sigma_n)^2}` of the
    logit-regularised minimiser at orthogonal noise :math:`\sigma_n`.

    >>> alignment(1.0, 1.0) ** -2   # 1/rho^2 = 1 + C^2/sigma_n^2
    2.0000...
    """
    return 1.0 / math.sqrt(1.0 + (C / sigma_n) ** 2)


def alignment_constant(cosine, sigma_f) -> float:
    r"""Eq. 4 inverted: the :math:`C` of :math:`1/\rho^2 = 1 + C^2/\sigma_n^2` from the
    cosine :math:`\rho_v` in the isotropic coordinates (:math:`\sigma_n = \sigma_f`),
    :math:`C = \sigma_f\sqrt{1/\rho_v^2 - 1}`.

    >>> round(alignment(alignment_constant(0.6, 0.5), 0.5), 12)   # round trip
    0.6
    """
    return sigma_f * math.sqrt(1.0 / cosine**2 - 1.0)


def alignment_accuracy(C, mu_f, sigma_f) -> float:
    r"""Eq. 5 with Eq. 4 substituted (:math:`\sigma_n` cancels):
    :math:`A = \Phi(\mu_f/\sqrt{\sigma_f^2 + C^2})`.

    >>> alignment_accuracy(0.0, 1.0, 0.5)   # C = 0: the Bayes accuracy Phi(2)
    0.9772...
    """
    return float(special.ndtr(mu_f / math.sqrt(sigma_f**2 + C**2)))
