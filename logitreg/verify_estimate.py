r"""``logitreg verify [--full] --estimate``: the expected wall time of each selected claim and
of the whole run on ``--workers`` processes, read from recorded timings -- the
``seconds`` of every check in ``verify --json`` files of the same mode (full or default).
No cost model is extrapolated: a claim without a record is listed as such.

The whole-run figure is the makespan of longest-processing-time-first scheduling of the
recorded claim times on the workers (each claim is one task of the verify pool), a lower
bound when checks slow each other down on shared cores.
"""

from __future__ import annotations

import json
import pathlib

__all__ = ["DEFAULT_TIMINGS", "recorded_seconds", "makespan", "estimate_table"]

#: Timings recorded on this project's 2-core reference machine (``verify --json`` output,
#: one BLAS thread per worker); ``--timings`` adds or replaces files.
DEFAULT_TIMINGS = (pathlib.Path(__file__).resolve().parent.parent / "benchmarks"
                   / "verify_timings")


def _files(paths):
    for p in paths:
        p = pathlib.Path(p)
        if p.is_dir():
            yield from sorted(p.glob("*.json"))
        elif p.exists():
            yield p


def recorded_seconds(paths, *, full: bool) -> dict:
    r"""``{claim: seconds}`` summed over a claim's checks, from the ``verify --json`` files
    (or directories of them) in ``paths`` whose mode matches ``full``; later files win."""
    out = {}
    for path in _files(paths):
        data = json.loads(path.read_text())
        if bool(data.get("full")) != full:
            continue
        per = {}
        for r in data.get("results", []):
            per[r["claim"]] = per.get(r["claim"], 0.0) + float(r.get("seconds") or 0.0)
        out.update(per)
    return out


def makespan(seconds, workers: int) -> float:
    """Longest-processing-time-first schedule of ``seconds`` on ``workers`` machines."""
    loads = [0.0] * max(1, int(workers))
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s
    return max(loads) if seconds else 0.0


def estimate_table(claims, *, full: bool, workers: int, paths=(DEFAULT_TIMINGS,)) -> str:
    """The ``--estimate`` report: one line per claim, then the totals."""
    rec = recorded_seconds(paths, full=full)
    lines = [f"expected time per claim ({'full' if full else 'default'} sizes; recorded "
             f"timings from {', '.join(str(p) for p in paths)}):"]
    known = []
    for c in claims:
        if c in rec:
            known.append(rec[c])
            lines.append(f"  {c:<5} {rec[c]:10.1f} s  ({rec[c] / 60:.1f} min)")
        else:
            lines.append(f"  {c:<5} {'no record':>10}")
    total = sum(known)
    lines.append(f"recorded claims: {len(known)}/{len(claims)}; sum {total / 60:.1f} min; "
                 f"on {workers} worker(s) >= {makespan(known, workers) / 60:.1f} min "
                 f"(LPT makespan of the recorded claims)")
    return "\n".join(lines)
