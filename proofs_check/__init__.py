"""Machine checks of each proof step (symbolic), registered with :mod:`logitreg.checks`."""

from . import cv_minimisation, fisher, invariance, label_smoothing, tikhonov  # noqa: F401
from . import maxsup  # noqa: F401
