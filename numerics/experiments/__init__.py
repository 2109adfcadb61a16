"""Numeric claim checks (registered with :mod:`logitreg.checks`)."""

from . import (clustering, grokking, invariance, multiclass, plateau,  # noqa: F401
               population_check, targets, threshold, weight_decay)
