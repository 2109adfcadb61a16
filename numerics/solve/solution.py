r"""The result type of every exact solver: a certified minimiser (:class:`Solution`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Solution"]


@dataclass(frozen=True)
class Solution:
    r"""A certified minimiser.

    Attributes
    ----------
    coef : ndarray
        :math:`S` (shape ``(d,)``) or :math:`W` (shape ``(K, d)``).
    intercept : ndarray or float
        :math:`b` (``(K,)``) or 0.0 when there is no bias.
    loss : float
        Objective value at ``coef``.
    gradient_norm : float
        :math:`\|\nabla L\|_2` at ``coef``; for a kinked loss, the distance of 0 to the
        subdifferential :math:`\partial L`.
    iterations : int
        Newton steps (summed over the smoothing stages and polish rounds), GD epochs, or 0
        for closed forms.
    method : str
    rank : int
        Rank of the (augmented) design; ``< d`` means the minimum-norm minimiser
        (-1: not computed, gradient descent).
    details : dict
        Extra information (e.g. the active set ``"kink"`` of a non-smooth loss).
    """

    coef: np.ndarray
    intercept: np.ndarray | float
    loss: float
    gradient_norm: float
    iterations: int
    method: str
    rank: int
    details: dict = field(default_factory=dict, compare=False)
