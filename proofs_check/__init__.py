"""Machine checks of each proof step (symbolic), registered with :mod:`logitreg.checks`."""

from . import label_smoothing  # noqa: F401
