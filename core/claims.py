r"""The claim-check registry behind ``logitreg verify``.

A check is a function ``check(full: bool) -> CheckResult`` registered under a claim ID
(B1..B13, M1..M7, G1..G4, A0..A5, R1..R2, S1..). Each result carries the statement, the
measured evidence (numbers), the tolerance and why, and a verdict that could have failed.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, fields
from typing import Callable

__all__ = ["CheckResult", "register", "registered", "run_check"]


@dataclass
class CheckResult:
    """Outcome of one claim check.

    ``evidence`` maps names to measured numbers (or short strings); ``tolerance`` states
    the threshold and its reason; ``passed`` is the verdict. ``data`` maps a figure name
    (e.g. ``"B7_threshold"``) to the measured data that figure is drawn from: checks
    measure and decide, the figure layer (:mod:`numerics.figures.claim_figures`) draws.
    ``figures`` lists the PNG paths written for a report (filled by the command line).
    """

    claim: str
    statement: str
    evidence: dict
    tolerance: str
    passed: bool
    seconds: float = 0.0
    figures: list = field(default_factory=list)
    note: str = ""
    data: dict = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        """JSON-ready record: everything but the figure data."""
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self) if f.name != "data"}
        out["evidence"] = {k: (float(v) if hasattr(v, "__float__") and not isinstance(v, (bool, str))
                               else v) for k, v in self.evidence.items()}
        return out


_REGISTRY: dict = {}


def register(claim: str, statement: str) -> Callable:
    """Decorator registering ``fn(full: bool) -> CheckResult`` for ``claim``."""
    def wrap(fn):
        _REGISTRY.setdefault(claim, []).append((statement, fn))
        return fn
    return wrap


def registered() -> dict:
    """Checks registered so far: claim ID -> [(statement, fn), ...]. The modules that
    declare checks register on import; :func:`logitreg.collect.registry` imports them."""
    return _REGISTRY


def run_check(claim: str, statement: str, fn, *, full: bool) -> CheckResult:
    """Run one check, timing it; an exception becomes a failed result naming it."""
    start = time.perf_counter()
    try:
        result = fn(full=full)
    except Exception as exc:  # a crashing check is a failed check, reported, not hidden
        result = CheckResult(claim, statement, {"error": f"{type(exc).__name__}: {exc}"},
                             "-", False)
    result.seconds = time.perf_counter() - start
    return result
