r"""The property table of a regulariser (docs/theory.md §1 table): convex, even, finite minimum."""

from __future__ import annotations

from theory._cache import disk_cached
from theory._derive import finite_minimum
from core.errors import resource_guard
from theory._properties import check_convex, check_even
from theory._registry import T, get_regularizer

__all__ = ["properties"]


@disk_cached
def properties(regularizer) -> dict:
    r"""Convex, even and finite-minimum properties of a regulariser's binary form, each a
    :class:`Property` with how it was established (docs/theory.md §1 table)."""
    reg = get_regularizer(regularizer)
    with resource_guard(f"regulariser {reg.name!r} (f(t) = {reg.binary})"):
        return {
            "convex": check_convex(reg.binary, T),
            "even": check_even(reg.binary, T),
            "finite_minimum": finite_minimum(reg),
        }
