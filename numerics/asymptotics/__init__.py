r"""Proportional-limit (CGMT) theory of the logit-regularised classifier (claims A0-A5).

Public API::

    predict(regularizer, alpha, lam, kappa) -> Prediction   (accuracy, cosine, mu, a, gamma)
    phase_point(regularizer, alpha, lam, sigma_f)            (A4: crossing sigma_n*)
    separability_threshold(kappa)                            (lambda_sep, A2)
    maxmargin_predict(lam, kappa, weight=1)                  (max-margin beyond lambda_sep)
    unregularised_accuracy(lam, kappa, noise_ratio=1)        (alpha=0 / GD limit, A4)

``regularizer`` is a built-in name, ``"square"``, a :class:`theory.Regularizer` or a binary
expression string (``"log(cosh(t))"``). See :mod:`theory.asymptotics` for the derivation and docs/theory.md §7 for reference numbers.
"""

from numerics.asymptotics._certify import certify, mp_residuals
from numerics.asymptotics._fixed_point import gh_rule, residuals, solve_fixed_point, square_closed_form
from numerics.asymptotics._predict import Prediction, predict
from numerics.asymptotics._loss import CompiledLoss, compiled_loss, mp_prox, prox
from numerics.asymptotics._params import as_regularizer
from numerics.asymptotics._phase import PhasePoint, phase_point
from numerics.asymptotics._separability import MaxMarginPrediction, maxmargin_predict, mp_separability_threshold, positive_part, separability_threshold

__all__ = [
    "CompiledLoss", "MaxMarginPrediction", "PhasePoint", "Prediction", "as_regularizer",
    "certify", "compiled_loss", "phase_point",
    "gh_rule", "maxmargin_predict", "mp_prox", "mp_residuals", "mp_separability_threshold",
    "positive_part", "predict", "prox", "residuals", "separability_threshold",
    "solve_fixed_point", "square_closed_form", "unregularised_accuracy",
]


def unregularised_accuracy(lam, kappa, *, noise_ratio: float = 1.0) -> float:
    r"""Limit accuracy of gradient descent on cross-entropy (:math:`\alpha = 0`):
    the logistic MLE for :math:`\lambda < \lambda_{sep}(\kappa)` (invariant to the noise
    scales), the max-margin classifier of the original coordinates beyond it, whose norm
    weights the signal coordinate by ``noise_ratio`` :math:`= \sigma_n/\sigma_f` (A4)."""
    if lam < separability_threshold(kappa):
        return predict("quadratic", 0.0, lam, kappa, certify=False).accuracy
    return maxmargin_predict(lam, kappa, weight=noise_ratio).accuracy
