"""Numeric claim checks (registered with :mod:`logitreg.checks`)."""

from . import targets  # noqa: F401
