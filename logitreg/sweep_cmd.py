r"""``logitreg sweep``: resumable parameter sweeps.

::

    logitreg sweep SPEC.toml [--workers N | --scheduler tcp://HOST:PORT] [--resume] [--out DB]
    logitreg sweep show DB
    logitreg sweep export DB --to csv|parquet -o FILE

The first word is a spec file unless it is ``show`` or ``export`` (a spec file with one
of those names is given as ``./show``). Results go to ``DB`` (default: ``<spec
stem>.sqlite`` in the current directory). An existing database is refused unless
``--resume`` is given; then only missing (and failed) points are computed.

Exit codes: 0 all points ok; 1 the sweep finished but some points failed (recorded in the
database, listed by ``sweep show``); 2 user error (bad spec value, foreign or corrupted
database, ...); 130 interrupted (finished points are saved; rerun with ``--resume``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import InvalidParameterError

from logitreg._args import available_cores, workers_arg

__all__ = ["add_parser", "run"]

_ACTIONS = ("show", "export")
_DESCRIPTION = __doc__.split("\n\n", 1)[1].replace("::\n\n", "").replace("``", "")


def add_parser(sub):
    """Register the ``sweep`` subcommand on the argparse subparsers sub."""
    p = sub.add_parser(
        "sweep", help="run a parameter sweep (or: sweep show DB, sweep export DB)",
        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="SPEC|show|export",
                   help="TOML sweep spec to run, or the action 'show'/'export'")
    p.add_argument("db", nargs="?", metavar="DB", help="database (for show/export)")
    run = p.add_argument_group("running a spec")
    run.add_argument("--workers", type=workers_arg,
                     help="local worker processes (default: available cores; 1 = in-process)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (needs [dask])")
    run.add_argument("--resume", action="store_true",
                     help="continue an existing database: compute only missing/failed points")
    run.add_argument("--out", metavar="DB", help="database file (default: SPEC stem + .sqlite)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    exp = p.add_argument_group("export")
    exp.add_argument("--to", choices=("csv", "parquet"), help="export format")
    exp.add_argument("-o", "--output", metavar="FILE", help="export file (written atomically)")
    return p


def _refuse_options(args, action, names):
    for name in names:
        value = getattr(args, name)
        if value not in (None, False):
            flag = "--" + name.replace("_", "-") if name != "output" else "-o/--output"
            raise InvalidParameterError(f"{flag} does not apply to 'sweep {action}'")


def run(args) -> int:
    """Run the subcommand; returns the exit code."""
    from numerics import sweep

    if args.target in _ACTIONS:
        action = args.target
        if not args.db:
            raise InvalidParameterError(f"'sweep {action}' needs a database: sweep {action} DB")
        _refuse_options(args, action, ("workers", "scheduler", "resume", "out", "no_progress"))
        if action == "show":
            _refuse_options(args, action, ("to", "output"))
            print(sweep.describe(args.db))
            return 0
        if not args.to or not args.output:
            raise InvalidParameterError("'sweep export' needs --to csv|parquet and -o FILE")
        n = sweep.export(args.db, args.output, args.to)
        print(f"wrote {n} rows to {args.output}", file=sys.stderr)
        return 0

    if args.db:
        raise InvalidParameterError(
            f"unexpected argument {args.db!r} after the spec (use --out DB for the database)")
    _refuse_options(args, "SPEC", ("to", "output"))
    if args.scheduler and args.workers:
        raise InvalidParameterError(
            "--workers sets the local pool; with --scheduler the cluster's workers are used")
    spec = sweep.load_spec(args.target)
    db = args.out or f"{Path(args.target).stem}.sqlite"
    workers = args.workers or available_cores()
    try:
        report = sweep.run_sweep(spec, db, workers=workers, scheduler=args.scheduler,
                                 resume=args.resume,
                                 progress=False if args.no_progress else None)
    except KeyboardInterrupt:
        print(f"logitreg: finished points are saved in {db}; rerun with --resume to continue",
              file=sys.stderr)
        raise
    print(report.summary())
    if report.failed:  # failed points of this spec are always retried, so this is exact
        print(f"{report.failed} point(s) failed; see: logitreg sweep show {db}")
        return 1
    return 0
