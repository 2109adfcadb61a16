r"""``logitreg sweep``: placeholder until its issue lands."""

from __future__ import annotations

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Register the ``sweep`` subcommand on the argparse subparsers sub."""
    return sub.add_parser("sweep", help="(not yet available)")


def run(args) -> int:
    """Run the subcommand; returns the exit code."""
    raise NotImplementedError("logitreg sweep is not available yet")
