r"""The ``logitreg`` command line.

Subcommands: ``list``, ``derive``, ``export``, ``verify``, ``sweep``, ``theory``,
``figure``; ``logitreg --version``. User errors (bad names, alpha outside [0, 1), K < 2,
unsafe expressions, unwritable files) exit with code 2 and one line
``logitreg: error: ...`` naming the bad value; no traceback. Output files are written
atomically, with the permissions ``open()`` gives (:mod:`core.files`).

An expression option (``--f``, ``--multiclass``) takes its value even when it starts
with a minus sign: ``--f '-t**2'`` means ``--f=-t**2`` (argparse alone would read
``-t**2`` as an unknown option).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from core.errors import InvalidParameterError, LogitRegError
from core.version import __version__

from logitreg._args import available_cores, workers_arg

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage + message."""

    def error(self, message):
        self.exit(2, f"logitreg: error: {message}\n")


def _alpha(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"alpha must be a number, got {text!r}") from None
    if not (0.0 <= value < 1.0):
        raise argparse.ArgumentTypeError(f"alpha must be in [0, 1), got {text!r}")
    return value


def _classes(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"classes must be an integer, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"classes must be >= 2, got {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="logitreg", description="Verify the theory of logit regularisation.")
    p.add_argument("--version", action="version", version=f"logitreg {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="list the built-in regularisers and their conventions")

    d = sub.add_parser("derive", help="derive loss, stationarity and target of a regulariser")
    d.add_argument("name", help="built-in name, or 'custom' with --f")
    d.add_argument("--alpha", type=_alpha, help="regularisation strength in [0, 1)")
    d.add_argument("--classes", type=_classes, help="number of classes K >= 2 (simplex target)")
    d.add_argument("--f", dest="f", help="binary form f(t) for 'custom', e.g. 't**4'")
    d.add_argument("--multiclass", help="multiclass form f(z) for 'custom', e.g. 'sum(z**4)'")
    d.add_argument("--json", action="store_true", help="print one JSON object")

    e = sub.add_parser("export", help="export loss, derivatives and target as code")
    e.add_argument("name", help="built-in name, or 'custom' with --f")
    e.add_argument("--to", required=True, help="numpy, c, latex, json, torch or jax")
    e.add_argument("--f", dest="f", help="binary form f(t) for 'custom'")
    e.add_argument("--classes", type=_classes,
                   help="K >= 2: batched K-class loss(logits, labels, alpha, reduction), its "
                        "gradient and simplex targets instead of the binary form")
    e.add_argument("--multiclass", help="multiclass form f(z) for 'custom' with --classes")
    e.add_argument("-o", "--output", help="write to FILE (atomically) instead of stdout")

    v = sub.add_parser("verify", help="run the claim checks and report")
    v.add_argument("--claims", help="comma-separated claim IDs (default: all)")
    v.add_argument("--list", action="store_true",
                   help="print every claim (or those of --claims): statement, paper "
                        "reference, theory section and where each check lives; run nothing")
    v.add_argument("--full", action="store_true", help="paper-scale sizes (slow)")
    v.add_argument("--json", dest="json_file", help="write results as JSON to FILE")
    v.add_argument("--report", help="write a Markdown report with plots into DIR")
    v.add_argument("--workers", type=workers_arg,
                   help="checks run in N processes, one BLAS thread each (default: available "
                        "cores; 1 = in this process)")
    v.add_argument("--regularizer", help="run every claim about a general regulariser for "
                                         "this built-in one (see 'logitreg list')")
    v.add_argument("--f", dest="f", help="... or for the binary form f(t), e.g. 'log(cosh(t))'")
    v.add_argument("--multiclass", help="K-class form f(z) for --f (runs the multiclass "
                                        "claims), e.g. 'sum(log(cosh(z)))'")
    v.add_argument("--estimate", action="store_true",
                   help="print the expected time per claim (with --full: paper sizes) from "
                        "recorded 'verify --json' timings; run nothing")
    v.add_argument("--timings", action="append",
                   help="with --estimate: a 'verify --json' file or a directory of them "
                        "(repeatable; default benchmarks/verify_timings/)")

    # Larger subcommands live in their own modules: each exposes add_parser(sub) -> the
    # subparser, and run(args) -> exit code.
    for name in _PLUGINS:
        _plugin(name).add_parser(sub)
    return p


#: Subcommands defined in ``logitreg.<name>_cmd`` modules.
_PLUGINS = ("sweep", "theory", "figure", "conform", "convert", "probe")


def _plugin(name):
    import importlib

    return importlib.import_module(f"logitreg.{name}_cmd")


def _cmd_list(args):
    from theory import BUILTIN

    from numerics.export import conventions_of

    for name, reg in BUILTIN.items():
        print(f"{name:<20} {reg.description}")
        for line in conventions_of(reg):
            print(f"{'':<20}   {line}")
    return 0


def _cmd_derive(args):
    from logitreg.derive_cmd import derivation_record, format_record

    rec = derivation_record(args.name, alpha=args.alpha, classes=args.classes, f=args.f,
                            multiclass=args.multiclass)
    if args.json:
        print(json.dumps(rec, indent=2))
    else:
        print(format_record(rec))
    return 0


def _cmd_export(args):
    from numerics.export import export

    from core.files import atomic_write_text
    from logitreg.derive_cmd import resolve_regularizer

    reg = resolve_regularizer(args.name, args.f, args.multiclass)
    text = export(reg, args.to, classes=args.classes)
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_verify(args):
    claims = [c.strip() for c in args.claims.split(",")] if args.claims else None
    if args.list:
        for flag, value in (("--full", args.full), ("--json", args.json_file),
                            ("--report", args.report), ("--workers", args.workers),
                            ("--regularizer", args.regularizer), ("--f", args.f),
                            ("--multiclass", args.multiclass)):
            if value not in (None, False):
                raise InvalidParameterError(f"{flag} does not apply to 'verify --list'")
        from logitreg.verify import list_claims

        print(list_claims(claims))
        return 0
    if args.estimate:
        from logitreg.collect import registry
        from logitreg.verify_estimate import DEFAULT_TIMINGS, estimate_table

        print(estimate_table(claims or sorted(registry()), full=args.full,
                             workers=args.workers or available_cores(),
                             paths=tuple(args.timings or (DEFAULT_TIMINGS,))))
        return 0
    from logitreg.verify import run_verify
    from logitreg.verify_regularizer import spec_from_flags

    spec = spec_from_flags(args.regularizer, args.f, args.multiclass)
    return run_verify(claims, full=args.full, json_file=args.json_file, report_dir=args.report,
                      workers=args.workers or available_cores(), regularizer=spec)


#: Options whose value is an expression, which may start with a minus sign.
_EXPRESSION_OPTIONS = ("--f", "--multiclass")


def _option_strings(parser) -> set:
    found = set(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found |= _option_strings(child)
    return found


def _attach_expressions(argv, options) -> list:
    """``--f -t**2`` -> ``--f=-t**2`` (see the module docstring); a following token that
    is itself an option (``--f --json``) is left alone, so argparse reports the missing
    value."""
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        if token == "--":  # the rest is positional
            return out + argv[i:]
        if (token in _EXPRESSION_OPTIONS and i + 1 < len(argv)
                and argv[i + 1].startswith("-") and argv[i + 1] not in options):
            out.append(f"{token}={argv[i + 1]}")
            i += 2
        else:
            out.append(token)
            i += 1
    return out


def main(argv=None) -> int:
    """Entry point of the ``logitreg`` console script; returns the exit code."""
    parser = _build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(_attach_expressions(argv, _option_strings(parser)))
    handlers = {"list": _cmd_list, "derive": _cmd_derive, "export": _cmd_export,
                "verify": _cmd_verify}
    handlers.update({name: _plugin(name).run for name in _PLUGINS})
    handler = handlers[args.command]
    try:
        return handler(args)
    except (LogitRegError, ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"logitreg: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) closed the pipe: not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except OSError as exc:
        print(f"logitreg: error: {exc.strerror or exc}: {exc.filename!r}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("logitreg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
