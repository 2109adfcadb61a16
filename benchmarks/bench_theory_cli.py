r"""Benchmark: wall and user-CPU time of ``logitreg theory accuracy`` (A1). Not a test.

Each call is a fresh process (``python -m logitreg.cli``), as a user runs it, so the time
includes interpreter start-up and imports. The derivation and generated-source caches are
warmed first by one untimed call per row, so the table is the warm path (no SymPy import);
the acceptance target is < 0.5 s wall without ``--certify``. Each row is the best of
``--repeat`` runs (the machine may be shared); user CPU is that of the same best run.

Run: ``python benchmarks/bench_theory_cli.py [--repeat 5] [--alpha 0.2 --lam 0.5 --kappa 2]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOSSES = ("quadratic", "label_smoothing", "maxsup", "square")


def _timed_run(cmd) -> tuple:
    """Wall and user-CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    user = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
    return wall, user


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--alpha", default="0.2")
    parser.add_argument("--lam", default="0.5")
    parser.add_argument("--kappa", default="2")
    args = parser.parse_args(argv)
    env_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_path if env_path else "")
    print(f"logitreg theory accuracy --alpha {args.alpha} --lam {args.lam} "
          f"--kappa {args.kappa} --json  (best of {args.repeat}, seconds)")
    print(f"{'regularizer':<16} {'flags':<10} {'wall':>7} {'user':>7}")
    for loss in LOSSES:
        for flags in ([], ["--certify"]):
            cmd = [sys.executable, "-m", "logitreg.cli", "theory", "accuracy",
                   "--regularizer", loss, "--alpha", args.alpha, "--lam", args.lam,
                   "--kappa", args.kappa, "--json", *flags]
            _timed_run(cmd)  # warm the caches
            wall, user = min(_timed_run(cmd) for _ in range(args.repeat))
            print(f"{loss:<16} {' '.join(flags) or '-':<10} {wall:7.3f} {user:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
