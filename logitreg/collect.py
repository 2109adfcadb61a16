r"""Collect every claim check: import the packages that declare them (top layer only)."""

from __future__ import annotations

from core.claims import registered

__all__ = ["registry"]


def registry() -> dict:
    """All declared checks, claim ID -> [(statement, fn), ...], importing the symbolic
    (:mod:`proofs_check`) and numeric (:mod:`numerics.claims`) check modules."""
    import numerics.claims  # noqa: F401  (declares the numeric checks)
    import proofs_check  # noqa: F401  (declares the symbolic checks)
    return registered()
