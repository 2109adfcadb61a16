r"""``logitreg verify``: run claim checks, print a table, write JSON and a Markdown report.

Exit code 0 iff every selected check passes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.errors import InvalidParameterError

from core.files import atomic_write_text
from core.claims import CheckResult, run_check
from logitreg.collect import registry

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


def _worker_init():
    """Pool worker: one BLAS/OpenMP/rayon thread (two workers on two cores must not run
    four BLAS threads each: oversubscription slowed dense solves 6-150x); Ctrl-C is the
    parent's to handle."""
    import os
    import signal

    from threadpoolctl import threadpool_limits

    os.environ["RAYON_NUM_THREADS"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(limits=1)


def _run_indexed(claim, index, full, report_dir):
    statement, fn = registry()[claim][index]
    result = run_check(claim, statement, fn, full=full)
    if report_dir is not None and result.data:
        from numerics.figures.claim_figures import draw_claim_figures

        result.figures = draw_claim_figures(result, report_dir)
    result.data = {}  # drawn (or not asked for): nothing to send back between processes
    return result


def _run_pool(selected, workers, full, report_dir, bar):
    """Results in ``selected`` order; checks are independent and deterministic (explicit
    seeds), so the verdicts do not depend on ``workers``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("fork")  # the registry is already imported
    results = [None] * len(selected)
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init)
    try:
        futures = {pool.submit(_run_indexed, claim, index, full, report_dir): i
                   for i, (claim, index) in enumerate(selected)}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except Exception as exc:  # the worker died (e.g. killed): a failed check
                claim, index = selected[i]
                statement = registry()[claim][index][0]
                results[i] = CheckResult(claim, statement,
                                         {"error": f"{type(exc).__name__}: {exc}"}, "-", False)
            bar.set_postfix_str(selected[i][0])
            bar.update()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def run_verify(claims=None, *, full=False, json_file=None, report_dir=None,
               workers: int = 1) -> int:
    """Run the selected checks (all when ``claims`` is None) in ``workers`` processes
    (1: in this process); return the exit code."""
    from tqdm import tqdm

    reg = registry()
    if claims is not None:
        unknown = [c for c in claims if c not in reg]
        if unknown:
            raise InvalidParameterError(
                f"unknown claim ID(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(reg))}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InvalidParameterError(f"workers must be an integer >= 1, got {workers!r}")
    selected = [(c, i) for c in (claims or sorted(reg)) for i in range(len(reg[c]))]
    out_dir = Path(report_dir) if report_dir else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(selected), desc="verify", unit="check", file=sys.stderr, disable=None)
    if workers == 1 or len(selected) == 1:
        results = []
        for claim, index in selected:
            bar.set_postfix_str(claim)
            results.append(_run_indexed(claim, index, full, out_dir))
            bar.update()
    else:
        results = _run_pool(selected, min(workers, len(selected)), full, out_dir, bar)
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
