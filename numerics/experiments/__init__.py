"""Numeric claim checks (registered with :mod:`logitreg.checks`)."""

from . import invariance, population_check, targets, threshold, weight_decay  # noqa: F401
