r"""The property table of a regulariser (docs/theory.md §1 table): convex, even, finite
minimum, and whether the stationary point is the global minimiser."""

from __future__ import annotations

from theory._cache import disk_cached
from core.errors import resource_guard
from theory._hypotheses import finite_minimum, global_target
from theory._properties import check_convex, check_even
from theory._registry import T, get_regularizer

__all__ = ["properties"]


@disk_cached
def properties(regularizer) -> dict:
    r"""The hypotheses of docs/theory.md §1 for a regulariser's binary form, each a
    :class:`Property` ``(value, how, evidence)``; ``value`` is ``True``, ``False`` (with
    a counterexample or witness) or ``None`` (unknown, with what was seen).

    Keys: ``convex``, ``even``, ``finite_minimum`` (:math:`\ell` attains its infimum for
    every :math:`\alpha \in (0, \alpha_{max})`: proved, or certified at sample
    :math:`\alpha`, or refuted with a witness -- :mod:`theory._hypotheses`) and
    ``global_target`` (the stationary point root finders return is the global minimiser:
    proved for convex f, else certified by interval branch and bound at sample
    :math:`\alpha`; ``None`` when there is no finite minimum to speak of)."""
    reg = get_regularizer(regularizer)
    with resource_guard(f"regulariser {reg.name!r} (f(t) = {reg.binary})"):
        fm = finite_minimum(reg)
        if fm.value is False:
            target = _no_target(fm)
        else:
            target = global_target(reg)
        return {
            "convex": check_convex(reg.binary, T),
            "even": check_even(reg.binary, T),
            "finite_minimum": fm,
            "global_target": target,
        }


def _no_target(fm):
    from theory._properties import Property

    return Property(None, "unknown", "no finite minimum (see finite_minimum)")
