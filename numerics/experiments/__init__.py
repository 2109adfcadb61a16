"""Numeric claim checks (registered with :mod:`logitreg.checks`)."""

from . import invariance, targets, threshold, weight_decay  # noqa: F401
