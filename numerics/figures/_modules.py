"""Imports every figure module (each registers its figures on import)."""

from . import binary  # noqa: F401
from . import binary_noise  # noqa: F401
from . import multiclass  # noqa: F401
from . import realdata  # noqa: F401
