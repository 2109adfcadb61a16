r"""One point of the analytic benefit phase diagram (claim A4; docs/theory.md §7).

With :math:`\kappa = \mu_f/\sigma_f` the regularised accuracy :math:`\Phi(\kappa\rho)` of the
CGMT fixed point (A1) does not depend on the noise scale :math:`\sigma_n` (docs/theory.md
§2, B9), while the limit of gradient descent on cross-entropy does: below
:math:`\lambda_{sep}(\kappa)` it is the logistic MLE (also flat), above it the max-margin
classifier of the original coordinates, whose norm weights the signal coordinate by
:math:`r = \sigma_n/\sigma_f` (A2). Regularisation helps for :math:`\sigma_n > \sigma_n^*`,
the crossing of the two accuracies (Brent on :math:`[10^{-3}, 100]`), the same computation
as the A4 check.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import optimize

from core.errors import InvalidParameterError
from numerics.asymptotics._params import as_regularizer, check_lam, real, regularizer_label
from numerics.asymptotics._predict import predict
from numerics.asymptotics._separability import maxmargin_predict, separability_threshold

__all__ = ["PhasePoint", "phase_point"]


@dataclass(frozen=True)
class PhasePoint:
    r"""``accuracy_regularized`` (flat in :math:`\sigma_n`), ``lam_sep``, ``separable``
    (:math:`\lambda > \lambda_{sep}`), ``sigma_n_star`` (``nan`` below the threshold or
    without a crossing in :math:`[10^{-3}, 100]`) and the unregularised accuracy at each
    requested :math:`\sigma_n` (``sigma_ns``, ``accuracy_unregularized``)."""

    regularizer: str
    alpha: float
    lam: float
    sigma_f: float
    kappa: float
    lam_sep: float
    separable: bool
    accuracy_regularized: float
    sigma_n_star: float
    sigma_ns: tuple
    accuracy_unregularized: tuple

    def as_dict(self) -> dict:
        out = asdict(self)
        out["sigma_n_star"] = None if math.isnan(self.sigma_n_star) else self.sigma_n_star
        out["sigma_ns"], out["accuracy_unregularized"] = list(self.sigma_ns), \
            list(self.accuracy_unregularized)
        return out


def phase_point(regularizer, alpha, lam, sigma_f, *, sigma_ns=()) -> PhasePoint:
    r"""Regularised vs unregularised asymptotic accuracy at :math:`\mu_f = 1` (claim A4).

    >>> p = phase_point("quadratic", 0.4, 0.7, 0.5)
    >>> round(p.sigma_n_star, 3)
    1.216
    """
    caller = "phase_point"
    original, reg = regularizer, as_regularizer(regularizer)
    lam = check_lam(lam, caller)
    sigma_f = real(sigma_f, "sigma_f", caller)
    if sigma_f <= 0:
        raise InvalidParameterError(
            f"The 'sigma_f' parameter of {caller} must be > 0. Got {sigma_f!r} instead.")
    sigma_ns = tuple(real(s, "sigma_n", caller) for s in sigma_ns)
    if any(s <= 0 for s in sigma_ns):
        raise InvalidParameterError(
            f"The 'sigma_n' values of {caller} must be > 0. Got {sigma_ns!r} instead.")
    kappa = 1.0 / sigma_f
    reg_acc = predict(reg, alpha, lam, kappa, certify=False).accuracy
    lam_sep = separability_threshold(kappa)
    separable = lam > lam_sep
    if not separable:
        mle = predict("quadratic", 0.0, lam, kappa, certify=False).accuracy
        return PhasePoint(regularizer_label(reg, original), float(alpha), lam, sigma_f, kappa,
                          lam_sep, False, reg_acc, float("nan"), sigma_ns,
                          tuple(mle for _ in sigma_ns))

    def gap(s):
        return maxmargin_predict(lam, kappa, weight=s / sigma_f).accuracy - reg_acc
    lo, hi = 1e-3, 100.0
    star = optimize.brentq(gap, lo, hi, xtol=1e-10) if gap(lo) * gap(hi) < 0 else float("nan")
    mm = tuple(maxmargin_predict(lam, kappa, weight=s / sigma_f).accuracy for s in sigma_ns)
    return PhasePoint(regularizer_label(reg, original), float(alpha), lam, sigma_f, kappa,
                      lam_sep, True, reg_acc, star, sigma_ns, mm)
