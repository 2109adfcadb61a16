r"""The paper's figures, reproducible from the experiment code (issue 7).

``logitreg figure ID [--full] [-o FILE]`` and ``logitreg figure all``; see
:mod:`numerics.figures._registry` for the ``compute``/``draw`` contract.
"""

from numerics.figures._registry import SIZES, Figure, figure, get_figure, list_figures

__all__ = ["Figure", "figure", "get_figure", "list_figures", "SIZES"]
