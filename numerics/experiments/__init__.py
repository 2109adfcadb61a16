"""Numeric claim checks (registered with :mod:`logitreg.checks`)."""

from . import (asymptotic_checks, clustering, grokking, invariance, multiclass, plateau,  # noqa: F401
               population_check, targets, threshold, weight_decay)
from . import label_noise, related  # noqa: F401
from . import implicit_bias, multiclass_geometry, multiclass_grokking, realdata  # noqa: F401
