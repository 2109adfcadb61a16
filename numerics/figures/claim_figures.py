r"""Figures of claim checks: a check returns its measured data in ``CheckResult.data``
(figure name -> data); the drawers registered here turn that data into figures for
``logitreg verify --report``. Checks never draw, so they never import matplotlib.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

from core.files import atomic_write_bytes

__all__ = ["claim_figure", "claim_figure_names", "draw_claim_figures", "save_png"]

_DRAWERS: dict[str, Callable] = {}


def claim_figure(name: str) -> Callable:
    """Decorator registering ``draw(data) -> matplotlib.figure.Figure`` for the figure
    ``name`` that a check puts in ``CheckResult.data``."""
    def deco(fn):
        _DRAWERS[name] = fn
        return fn
    return deco


def _load():
    from numerics.figures import load_all

    load_all()


def claim_figure_names() -> list:
    """Every registered claim figure name."""
    _load()
    return sorted(_DRAWERS)


def save_png(fig, path, *, dpi: int = 110) -> str:
    """Write ``fig`` to ``path`` as PNG atomically and close it; return the path."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return str(path)


def draw_claim_figures(result, report_dir) -> list:
    """Draw every figure in ``result.data`` into ``report_dir/NAME.png``; return the paths.

    A name without a registered drawer is a programming error (a check measuring data
    nobody can draw), reported as such.
    """
    _load()
    from numerics.figures._registry import pyplot

    pyplot()  # headless backend before any drawer runs
    missing = [name for name in result.data if name not in _DRAWERS]
    if missing:
        raise KeyError(f"no drawer registered for figure(s) {missing} of claim {result.claim}")
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [save_png(_DRAWERS[name](data), out / f"{name}.png")
            for name, data in result.data.items()]
