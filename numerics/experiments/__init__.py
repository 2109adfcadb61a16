"""Numeric claim checks (registered with :mod:`logitreg.checks`)."""

from . import (clustering, invariance, plateau, population_check, targets,  # noqa: F401
               threshold, weight_decay)
