r"""``logitreg figure``: regenerate the paper's figures from the experiment code.

::

    logitreg figure ID [--full] [-o FILE]
    logitreg figure all [--full] [-o DIR] [--workers N]
    logitreg figure list

ID is a figure of the paper's numerics (``logitreg figure list`` prints the IDs and
captions). A figure is written as PNG and SVG -- FILE may end in .png or .svg, the other
format is written beside it; default figure_ID.png in the current directory -- and its
data (numbers and settings, non-finite numbers as null) as FILE's stem + .json, so it can
be re-plotted. ``figure all`` writes figure_ID.{png,svg,json} of every figure into DIR
(default figures/), with a progress bar on stderr; a failing figure is reported and the
others are still written. Sizes: reduced by default, the paper's settings with --full
(slow). Every file is written atomically: complete or not at all.

Exit codes: 0 written; 1 a figure failed while computing or drawing (for 'all': after
the others were written); 2 user error (unknown ID, bad file name, missing directory);
130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import io
import json
import math
import os
import sys
from pathlib import Path

from core.errors import InvalidParameterError

from logitreg._args import available_cores, workers_arg

__all__ = ["add_parser", "run", "render", "to_jsonable"]

_ACTIONS = ("all", "list")
#: Same as numerics.figures.SIZES (not imported here: `logitreg --help` stays fast).
_SIZES = ("test", "default", "full")
_DESCRIPTION = __doc__.split("\n\n", 1)[1].replace("::\n\n", "").replace("``", "")


def add_parser(sub):
    """Register the ``figure`` subcommand on the argparse subparsers sub."""
    p = sub.add_parser(
        "figure", help="regenerate a figure of the paper (or: figure all, figure list)",
        description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="ID|all|list",
                   help="figure ID, 'all' for every figure, 'list' for the IDs and captions")
    p.add_argument("--full", action="store_true", help="the paper's settings (slow)")
    p.add_argument("-o", "--output", metavar="FILE|DIR",
                   help="FILE.png or FILE.svg for one figure (default figure_ID.png); "
                        "a directory for 'all' (default figures/)")
    p.add_argument("--workers", type=workers_arg,
                   help="'all': figures run in N processes, one BLAS thread each "
                        "(default: available cores; 1 = in this process)")
    p.add_argument("--no-progress", action="store_true", help="'all': no progress bar")
    # Advanced: "test" is the size the test suite checks the claims on (seconds).
    p.add_argument("--size", choices=_SIZES, help=argparse.SUPPRESS)
    return p


# ------------------------------------------------------------------------- rendering
def to_jsonable(obj):
    """Plain JSON values for a figure's data: arrays become (nested) lists, NumPy scalars
    Python numbers, dict keys strings, NaN/inf ``None`` (JSON has no non-finite numbers)."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [to_jsonable(v) for v in sorted(obj, key=repr)]
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    return str(obj)


def render(fig_id, size: str) -> tuple:
    """Compute and draw figure ``fig_id`` at ``size``; return ``(png, svg, json_text)``
    in memory (nothing is written here, so a failure leaves no file behind)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure as MplFigure

    from numerics.figures import get_figure

    spec = get_figure(fig_id)
    data = spec.compute(size)
    drawn = spec.draw(data)
    if not isinstance(drawn, MplFigure):
        plt.close("all")
        raise TypeError(f"the drawer of figure {spec.id!r} returned "
                        f"{type(drawn).__name__}, not a matplotlib Figure")
    try:
        png, svg = io.BytesIO(), io.BytesIO()
        drawn.savefig(png, format="png", dpi=150, bbox_inches="tight")
        # No date in the SVG: the same data gives the same file.
        drawn.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    finally:
        plt.close(drawn)
    record = {"figure": spec.id, "caption": spec.caption, "claims": list(spec.claims),
              "size": size, "data": to_jsonable(data)}
    return png.getvalue(), svg.getvalue(), json.dumps(record, indent=1, allow_nan=False)


def _output_paths(output) -> tuple:
    """``(png, svg, json)`` paths for ``-o FILE`` (FILE ends in .png or .svg)."""
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise InvalidParameterError(
            f"the output file must end in .png or .svg (the other format is written "
            f"beside it); got {str(output)!r}")
    png = path if suffix == ".png" else path.with_suffix(".png")
    svg = path if suffix == ".svg" else path.with_suffix(".svg")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "directory does not exist", str(path))
    return png, svg, path.with_suffix(".json")


def _write(paths, payload) -> None:
    from core.files import atomic_write_bytes, atomic_write_text

    png_path, svg_path, json_path = paths
    png, svg, text = payload
    atomic_write_text(json_path, text + "\n")
    atomic_write_bytes(svg_path, svg)
    atomic_write_bytes(png_path, png)


def _failure(fig_id, exc) -> str:
    return f"figure {fig_id} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _file_stem(fig_id) -> str:
    return "figure_" + "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in fig_id)


# ------------------------------------------------------------------------------- run
def _size(args) -> str:
    if args.size and args.full and args.size != "full":
        raise InvalidParameterError(f"--full contradicts --size {args.size}")
    return "full" if args.full else (args.size or "default")


def _refuse(args, action, names):
    for name in names:
        if getattr(args, name) not in (None, False):
            flag = "-o/--output" if name == "output" else "--" + name.replace("_", "-")
            raise InvalidParameterError(f"{flag} does not apply to 'figure {action}'")


def run(args) -> int:
    """Run the subcommand; returns the exit code."""
    size = _size(args)
    if args.target == "list":
        _refuse(args, "list", ("output", "full", "size", "workers", "no_progress"))
        from numerics.figures import get_figure, list_figures

        for fig_id in list_figures():
            spec = get_figure(fig_id)
            claims = f"  [{', '.join(spec.claims)}]" if spec.claims else ""
            print(f"{fig_id:<22} {spec.caption}{claims}")
        return 0
    if args.target == "all":
        return _run_all(size, args.output or "figures", workers=args.workers or available_cores(),
                        progress=not args.no_progress)

    _refuse(args, "ID", ("workers", "no_progress"))
    from numerics.figures import get_figure

    spec = get_figure(args.target)  # unknown ID: InvalidParameterError naming the known ones
    paths = _output_paths(args.output or f"{_file_stem(spec.id)}.png")
    try:
        payload = render(spec.id, size)
    except Exception as exc:  # a bug in the figure's code, not a user error
        print(f"logitreg: error: {_failure(spec.id, exc)}", file=sys.stderr)
        return 1
    _write(paths, payload)
    print(f"wrote {', '.join(map(str, paths))}", file=sys.stderr)
    return 0


#: What the pool's fork server imports once for all workers.
_PRELOAD = ("matplotlib", "numerics.figures", "numerics.figures._modules")


def _render_safe(fig_id, size):
    """Worker body: ``("ok", payload)`` or ``("error", message)`` (exceptions need not
    pickle)."""
    try:
        return "ok", render(fig_id, size)
    except Exception as exc:
        return "error", _failure(fig_id, exc)


def _results(ids, size, workers):
    """Yield ``(fig_id, status, payload_or_message)`` as figures finish (in this process,
    or in the project's worker pool, :mod:`core.pool`: a worker that dies fails only its
    figure)."""
    if workers == 1 or len(ids) <= 1:
        for fig_id in ids:
            yield (fig_id, "start", None)
            yield (fig_id, *_render_safe(fig_id, size))
        return
    from core.pool import run_completed

    def crashed(i, message):
        return "error", f"figure {ids[i]} failed: {message}"

    stream = run_completed(_render_safe, [(fig_id, size) for fig_id in ids],
                           workers=min(workers, len(ids)), on_crash=crashed,
                           preload=_PRELOAD)
    try:
        for i, outcome in stream:
            yield (ids[i], *outcome)
    finally:
        stream.close()


def _run_all(size, out_dir, *, workers, progress) -> int:
    from tqdm import tqdm

    from numerics.figures import list_figures

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"'figure all' writes into a directory; {out_dir!r} is a file")
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK):
        raise PermissionError(errno.EACCES, "directory is not writable", str(out))
    ids = list_figures()
    failed, written = [], 0
    bar = tqdm(total=len(ids), desc="figures", unit="fig", file=sys.stderr,
               disable=True if not progress else None)
    try:
        for fig_id, status, payload in _results(ids, size, workers):
            if status == "start":
                bar.set_postfix_str(f"figure {fig_id}")
                continue
            if status == "ok":
                stem = _file_stem(fig_id)
                _write(tuple(out / f"{stem}.{ext}" for ext in ("png", "svg", "json")), payload)
                written += 1
            else:
                failed.append(payload)
                bar.write(f"logitreg: {payload}", file=sys.stderr)
            bar.set_postfix_str(f"figure {fig_id}")
            bar.update()
    finally:
        bar.close()
    print(f"wrote {written} of {len(ids)} figures to {out}/ (png, svg, json)", file=sys.stderr)
    for message in failed:
        print(f"logitreg: error: {message}", file=sys.stderr)
    return 1 if failed else 0
