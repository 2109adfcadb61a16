r"""``logitreg theory``: placeholder until its issue lands."""

from __future__ import annotations

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Register the ``theory`` subcommand on the argparse subparsers sub."""
    return sub.add_parser("theory", help="(not yet available)")


def run(args) -> int:
    """Run the subcommand; returns the exit code."""
    raise NotImplementedError("logitreg theory is not available yet")
