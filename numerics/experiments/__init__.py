"""Numeric claim checks (registered with :mod:`logitreg.checks`)."""

from . import (clustering, grokking, invariance, plateau, population_check,  # noqa: F401
               targets, threshold, weight_decay)
