"""Machine checks of each proof step (symbolic), registered with :mod:`core.claims`."""

from proofs_check import cv_minimisation, fisher, invariance, label_smoothing, tikhonov  # noqa: F401
from proofs_check import maxsup  # noqa: F401
