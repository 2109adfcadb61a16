"""Numeric claim checks (registered with :mod:`core.claims`)."""

from numerics.claims import asymptotic_checks, clustering, grokking, invariance, multiclass, plateau, population_check, targets, threshold, weight_decay
from numerics.claims import label_noise, related  # noqa: F401
from numerics.claims import implicit_bias, multiclass_geometry, multiclass_grokking, realdata  # noqa: F401
