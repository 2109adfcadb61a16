r"""``logitreg verify``: run claim checks, print a table, write JSON and a Markdown report.

Exit code 0 iff every selected check passes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from theory._errors import InvalidParameterError

from ._io import atomic_write_text
from .checks import registry, run_check

__all__ = ["run_verify"]


def _short(evidence: dict, width: int = 60) -> str:
    parts = []
    for key, value in evidence.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.3g}")
        else:
            parts.append(f"{key}={value}")
    text = "; ".join(parts)
    return text if len(text) <= width else text[: width - 3] + "..."


def run_verify(claims=None, *, full=False, json_file=None, report_dir=None) -> int:
    """Run the selected checks (all when ``claims`` is None); return the exit code."""
    from tqdm import tqdm

    reg = registry()
    if claims is not None:
        unknown = [c for c in claims if c not in reg]
        if unknown:
            raise InvalidParameterError(
                f"unknown claim ID(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(reg))}")
    selected = [(c, s, fn) for c in (claims or sorted(reg)) for s, fn in reg[c]]
    out_dir = Path(report_dir) if report_dir else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    bar = tqdm(selected, desc="verify", unit="check", file=sys.stderr, disable=None)
    for claim, statement, fn in bar:
        bar.set_postfix_str(claim)
        results.append(run_check(claim, statement, fn, full=full, report_dir=out_dir))
    bar.close()

    print(f"{'ID':<5} {'verdict':<7} {'sec':>7}  {'claim':<50} evidence")
    for r in results:
        verdict = "PASS" if r.passed else "FAIL"
        print(f"{r.claim:<5} {verdict:<7} {r.seconds:7.1f}  {r.statement[:50]:<50} {_short(r.evidence)}")
    passed = sum(r.passed for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")

    payload = {"full": full, "results": [r.as_dict() for r in results]}
    if json_file:
        atomic_write_text(json_file, json.dumps(payload, indent=2, default=str))
    if out_dir is not None:
        lines = ["# logitreg verification report", "",
                 f"Mode: {'full (paper sizes)' if full else 'default (reduced sizes)'}", "",
                 "| ID | verdict | seconds | claim | tolerance |", "|---|---|---|---|---|"]
        for r in results:
            lines.append(f"| {r.claim} | {'PASS' if r.passed else 'FAIL'} | {r.seconds:.1f} | "
                         f"{r.statement} | {r.tolerance} |")
        for r in results:
            lines += ["", f"## {r.claim}: {r.statement}", "", "| evidence | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in r.evidence.items()]
            if r.note:
                lines += ["", r.note]
            lines += [f"![{r.claim}]({Path(fig).name})" for fig in r.figures]
        atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")
        atomic_write_text(out_dir / "results.json", json.dumps(payload, indent=2, default=str))
    return 0 if passed == len(results) else 1
