r"""The paper's figures, reproducible from the experiment code.

``logitreg figure ID [--full] [-o FILE]`` and ``logitreg figure all``; see
:mod:`numerics.figures._registry` for the ``compute``/``draw`` contract.
"""

from numerics.figures._registry import SIZES, Figure, figure, get_figure, list_figures

__all__ = ["Figure", "figure", "get_figure", "list_figures", "SIZES"]


def load_all() -> None:
    """Import every figure module: each registers its figures and claim drawers on
    import. Called lazily, so `logitreg --help` and a report-less `verify` never import
    matplotlib."""
    from numerics.figures import _modules  # noqa: F401
