r"""Registry of the paper's figures.

A figure is two functions: ``compute(size) -> dict`` returns the underlying numbers (NumPy
arrays, floats, and the settings used), and ``draw(data) -> matplotlib.figure.Figure``
plots them. ``size`` is one of :data:`SIZES`: ``"test"`` (seconds: the test suite checks
that this data satisfies the figure's claim), ``"default"`` (the reduced size of
``logitreg figure``; all figures together within 10 minutes on 2 cores) and ``"full"``
(the paper's settings, docs/theory.md §2, §4, §5). ``logitreg figure`` calls both and writes PNG and SVG
atomically.

>>> from numerics.figures import get_figure
>>> get_figure("6").claims
('B10',)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from core.errors import InvalidParameterError

__all__ = ["Figure", "figure", "get_figure", "list_figures", "SIZES", "check_size", "pyplot"]

SIZES = ("test", "default", "full")


@dataclass(frozen=True)
class Figure:
    """One reproducible figure: paper number/ID, caption, claim IDs, compute and draw."""

    id: str
    caption: str
    claims: tuple
    compute: Callable
    draw: Callable


_REGISTRY: dict[str, Figure] = {}


def check_size(size, caller):
    """``size`` if it is one of :data:`SIZES`, else an error naming ``caller`` and the value."""
    if size not in SIZES:
        raise InvalidParameterError(
            f"The 'size' parameter of {caller} must be one of {', '.join(SIZES)}. "
            f"Got {size!r} instead.")
    return size


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (drawers run headless)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def figure(fig_id: str, caption: str, *, claims=()):
    r"""Decorator registering ``compute`` as figure ``fig_id``; use ``@<compute>.draw`` ...

    Usage::

        @figure("6", "B10 benefit phase diagram, lambda = 0.7", claims=("B10",))
        def fig6(size: str = "default") -> dict: ...

        @fig6.drawer
        def _(data): ...   # returns a matplotlib Figure
    """
    def deco(compute):
        holder = {}

        def drawer(fn):
            holder["draw"] = fn
            _REGISTRY[fig_id] = Figure(fig_id, caption, tuple(claims), compute, fn)
            return fn

        compute.drawer = drawer
        compute.figure_id = fig_id
        return compute

    return deco


def _sort_key(fig_id):
    head = "".join(ch for ch in fig_id if ch.isdigit())
    return (0, int(head), fig_id) if head and fig_id[0].isdigit() else (1, 0, fig_id)


def list_figures() -> list:
    """Registered figure IDs in paper order (numbers first, then named figures)."""
    _load()
    return sorted(_REGISTRY, key=_sort_key)


def get_figure(fig_id) -> Figure:
    """The registered :class:`Figure` ``fig_id``; an unknown ID names the known ones."""
    _load()
    key = str(fig_id)
    if key not in _REGISTRY:
        raise InvalidParameterError(
            f"unknown figure {fig_id!r}; known: {', '.join(list_figures())}")
    return _REGISTRY[key]


def _load():
    from numerics.figures import load_all

    load_all()
