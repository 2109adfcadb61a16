"""Imports every figure module (each registers its figures on import)."""

from numerics.figures import binary  # noqa: F401
from numerics.figures import binary_noise  # noqa: F401
from numerics.figures import multiclass  # noqa: F401
from numerics.figures import realdata  # noqa: F401
