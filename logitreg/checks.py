r"""The claim-check registry behind ``logitreg verify``.

A check is a function ``check(full: bool) -> CheckResult`` registered under a claim ID
(B1..B13, M1..M7, G1..G4, A0..A5, R1..R2, S1..). Each result carries the statement, the
measured evidence (numbers), the tolerance and why, and a verdict that could have failed.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

__all__ = ["CheckResult", "register", "registry", "run_check"]


@dataclass
class CheckResult:
    """Outcome of one claim check.

    ``evidence`` maps names to measured numbers (or short strings); ``tolerance`` states
    the threshold and its reason; ``passed`` is the verdict; ``figures`` lists PNG paths.
    """

    claim: str
    statement: str
    evidence: dict
    tolerance: str
    passed: bool
    seconds: float = 0.0
    figures: list = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict:
        out = asdict(self)
        out["evidence"] = {k: (float(v) if hasattr(v, "__float__") and not isinstance(v, (bool, str))
                               else v) for k, v in self.evidence.items()}
        return out


_REGISTRY: dict = {}


def register(claim: str, statement: str) -> Callable:
    """Decorator registering ``fn(full: bool, report_dir) -> CheckResult`` for ``claim``."""
    def wrap(fn):
        _REGISTRY.setdefault(claim, []).append((statement, fn))
        return fn
    return wrap


def registry() -> dict:
    """All registered checks, importing the modules that define them."""
    import proofs_check  # noqa: F401  (registers the symbolic checks)
    import numerics.experiments  # noqa: F401  (registers the numeric checks)
    return _REGISTRY


def run_check(claim: str, statement: str, fn, *, full: bool, report_dir=None) -> CheckResult:
    """Run one check, timing it; an exception becomes a failed result naming it."""
    start = time.perf_counter()
    try:
        result = fn(full=full, report_dir=report_dir)
    except Exception as exc:  # a crashing check is a failed check, reported, not hidden
        result = CheckResult(claim, statement, {"error": f"{type(exc).__name__}: {exc}"},
                             "-", False)
    result.seconds = time.perf_counter() - start
    return result
