r"""The proportional-limit prediction for one setting: fixed point, accuracy, alignment,
the separability threshold, and the optional 30-digit certificate (docs/theory.md §7)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from core.errors import InvalidParameterError
from core.validation import check_alpha
from numerics.asymptotics._certify import certify as _certify
from numerics.asymptotics._fixed_point import solve_fixed_point
from numerics.asymptotics._loss import compiled_loss, is_square
from numerics.asymptotics._params import (as_regularizer, check_kappa, check_lam,
                                          regularizer_label)
from numerics.asymptotics._separability import separability_threshold
from numerics.models.accuracy import isotropic_accuracy

__all__ = ["Prediction", "predict"]


@dataclass(frozen=True)
class Prediction:
    r"""Proportional-limit prediction (claim A1).

    ``accuracy`` :math:`=\Phi(\kappa\rho)`; ``cosine`` :math:`\rho = \mu/\sqrt{\mu^2+a^2}`;
    ``mu``, ``a``, ``gamma`` the fixed point; ``lam_sep`` :math:`\lambda_{sep}(\kappa)`;
    ``residual`` the max float64 (Gauss-Hermite) residual; ``certificate`` the 30-digit
    check (:func:`._certify.certify`) or ``None``; ``alpha_path`` the continuation.
    """

    regularizer: str
    alpha: float
    lam: float
    kappa: float
    accuracy: float
    cosine: float
    mu: float
    a: float
    gamma: float
    lam_sep: float
    residual: float
    alpha_path: tuple
    certificate: dict | None

    def as_dict(self) -> dict:
        return asdict(self)


def predict(regularizer, alpha, lam, kappa, *, certify: bool = True) -> Prediction:
    r"""Asymptotic accuracy of the logit-regularised minimiser (claim A1).

    Parameters
    ----------
    regularizer : str or theory.Regularizer
        A registered regulariser, ``"square"`` for the pure square loss
        :math:`(t-1)^2` (then ``alpha`` is not used), a :class:`theory.Regularizer`, or a
        binary expression such as ``"log(cosh(t))"`` (:func:`theory.from_expression`).
    alpha : float in [0, 1)
    lam : float
        :math:`\lambda = d/N`, in :math:`(0, 1)` for :math:`\alpha > 0`, in
        :math:`(0, \lambda_{sep}(\kappa))` for :math:`\alpha = 0`.
    kappa : float > 0
        :math:`\kappa = \mu_f/\sigma_f`.
    certify : bool
        Recompute the residuals at 30 digits with mpmath (:func:`._certify.certify`).

    Examples
    --------
    >>> p = predict("square", 0.0, 0.5, 2.0, certify=False)
    >>> round(p.cosine**2, 10) == round(4 * 0.5 / 4.5, 10)     # kappa^2(1-lam)/(kappa^2+lam)
    True
    """
    caller = "predict"
    original, regularizer = regularizer, as_regularizer(regularizer)
    kappa = check_kappa(kappa, caller)
    lam = check_lam(lam, caller)
    square = is_square(regularizer)
    alpha = 0.0 if square else float(check_alpha(alpha, caller=caller))
    lam_sep = separability_threshold(kappa)
    if alpha == 0.0 and not square and lam >= lam_sep:
        raise InvalidParameterError(
            f"alpha=0 (logistic) has no finite minimiser for lam={lam!r} >= lam_sep(kappa="
            f"{kappa!r})={lam_sep:.6g}: the data are separable; use alpha > 0 or the "
            "max-margin prediction (maxmargin_predict)")
    loss = compiled_loss(regularizer, alpha)   # validates convexity / kink
    mu, a, gamma, r, path = solve_fixed_point(regularizer, alpha, lam, kappa)
    rho = mu / math.hypot(mu, a)
    cert = _certify(loss, mu, a, gamma, lam, kappa) if certify else None
    name = regularizer_label(regularizer, original)
    return Prediction(name, alpha, lam, kappa, isotropic_accuracy(rho, kappa), rho, mu, a,
                      gamma, lam_sep, float(np.max(np.abs(r))), tuple(path), cert)
