"""Argument types shared by several subcommands."""

from __future__ import annotations

import argparse
import os

__all__ = ["workers_arg", "available_cores"]


def workers_arg(text):
    """argparse type of ``--workers``: an integer >= 1 (the error names the value)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"workers must be an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"workers must be >= 1, got {text!r}")
    return value


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
