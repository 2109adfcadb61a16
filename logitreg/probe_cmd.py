r"""``logitreg probe``: check the theory of logit regularisation on your own embeddings
(docs/theory.md §5, §7; :func:`numerics.probe.probe`).

``logitreg probe FEATURES LABELS [--test-features F --test-labels L | --test-size 0.5]
[--regularizer NAME | --f EXPR [--multiclass EXPR]] [--alpha-ref A] [--report DIR]
[--json FILE] [--seed S] [--no-standardize] [--bootstrap B] [--max-margin-gammas auto|all|one]
[--quiet]``

FEATURES is an (N, d) array, LABELS N labels of any kind, each in ``.npy``, ``.npz``,
``.csv`` or ``.parquet``. Prints the verdict and the main numbers; ``--json`` writes the
whole result, ``--report`` a Markdown report with the figure (PNG and SVG) and the JSON.
Files are written atomically and only after every step succeeded; a bad input (mismatched
lengths, NaN, one class, d >= N, ...) exits with code 2 and one line naming the value.
Runs with one BLAS thread (the steps are many small solves; see the benchmark).
"""

from __future__ import annotations

import json
import os

__all__ = ["add_parser", "run"]


def _fraction(text):
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"test-size must be a number, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"test-size must be in (0, 1), got {text!r}")
    return value


def add_parser(sub):
    """Register the ``probe`` subcommand on the argparse subparsers ``sub``."""
    p = sub.add_parser("probe", help="check the theory on your own features (embeddings)")
    p.add_argument("features", help="(N, d) features: .npy, .npz, .csv or .parquet")
    p.add_argument("labels", help="N labels (any values): .npy, .npz, .csv or .parquet")
    p.add_argument("--test-features", help="test features (then --test-labels too)")
    p.add_argument("--test-labels", help="test labels")
    p.add_argument("--test-size", type=_fraction,
                   help="fraction held out for testing when no test files are given (0.5)")
    p.add_argument("--regularizer", help="built-in smooth regulariser (default quadratic)")
    p.add_argument("--f", dest="f", help="custom binary form f(t) instead, e.g. 't**2'")
    p.add_argument("--multiclass", help="its K-class form f(z) for --f, e.g. 'sum(z**2)'")
    p.add_argument("--alpha-ref", type=float, default=0.2,
                   help="alpha of the rescaling, Fisher and benefit comparisons (0.2)")
    p.add_argument("--bootstrap", type=int, default=50,
                   help="bootstrap resamples for the effective-noise errors (50)")
    p.add_argument("--seed", type=int, default=0, help="split and bootstrap seed (0)")
    p.add_argument("--no-standardize", action="store_true",
                   help="use the features as given (default: standardise on train)")
    p.add_argument("--max-margin-gammas", choices=("auto", "all", "one"), default="auto",
                   help="re-solve the max-margin control at every gamma (all), at gamma=1 only "
                        "(one), or all up to 20000 margin constraints N(K-1) (auto)")
    p.add_argument("--report", help="write report.md, probe.png/.svg and probe.json into DIR")
    p.add_argument("--json", dest="json_file", help="write the result as JSON to FILE")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _check_outputs(args):
    from core.errors import InvalidParameterError

    if args.json_file:
        parent = os.path.dirname(os.path.abspath(args.json_file))
        if not os.path.isdir(parent):
            raise InvalidParameterError(f"The directory of --json {args.json_file!r} does not exist.")
    if args.report and os.path.exists(args.report) and not os.path.isdir(args.report):
        raise InvalidParameterError(f"--report {args.report!r} exists and is not a directory.")


def _inputs(args):
    from core.errors import InvalidParameterError
    from logitreg.derive_cmd import resolve_regularizer
    from numerics.probe import load_array

    if (args.test_features is None) != (args.test_labels is None):
        raise InvalidParameterError("Give both --test-features and --test-labels, or neither.")
    if args.test_features is not None and args.test_size is not None:
        raise InvalidParameterError("--test-size applies only without --test-features.")
    if args.regularizer and args.f:
        raise InvalidParameterError("Give --regularizer NAME or --f EXPR, not both.")
    reg = (resolve_regularizer("custom", args.f, args.multiclass) if args.f
           else resolve_regularizer(args.regularizer or "quadratic"))
    X, y = load_array(args.features, "features"), load_array(args.labels, "labels")
    Xt = yt = None
    if args.test_features is not None:
        Xt = load_array(args.test_features, "features")
        yt = load_array(args.test_labels, "labels")
    return reg, X, y, Xt, yt


def _summary(r) -> str:
    d, g, a, gc = r["data"], r["geometry"], r["alpha_curve"], r["gamma_curve"]
    p, m = r["prediction"], r["measured"]
    lines = [f"probe: N={d['n_train']} train / {d['n_test']} test, d={d['d']}, K={d['k']}, "
             f"lambda={d['lam']:.3f}, regularizer {d['regularizer']}",
             f"sigma_f^eff {g['sigma_f']:.4f} ± {g['sigma_f_se']:.4f}   sigma_n^eff "
             f"{g['sigma_n']:.4f} ± {g['sigma_n_se']:.4f}",
             f"accuracy alpha=0 ({a['unregularised']}) {a['accuracy_0']:.4f};  alpha>0: "
             + ", ".join(f"{x:.4f}" for x in a["accuracy"]),
             f"jump {a['jump']:+.4f} ± {a['jump_se']:.4f}   plateau spread {a['plateau_spread']:.4f}",
             f"LDA cosine (alpha={r['alignment']['alpha']:g}) {r['alignment']['plateau_min_cos']:.4f}"
             f"   gamma: regularised logit change {gc['reg_logit_change']:.1e}, alpha=0 flips "
             f"{gc['unreg_label_flips']}",
             f"benefit measured {m['benefit']:+.4f} ± {m['benefit_se']:.4f}"
             + (f", predicted {p['benefit']:+.4f} ± {p['benefit_se']:.4f}" if p.get("available")
                else f", no prediction ({p.get('reason')})"),
             "", r["verdict"],
             f"({r['timings']['total']:.1f} s)"]
    return "\n".join(lines)


def run(args) -> int:
    """Run ``logitreg probe``; returns the exit code."""
    from logitreg.theory_cmd import _one_blas_thread

    _check_outputs(args)
    with _one_blas_thread():
        from core.files import atomic_write_text
        from numerics.probe import probe, to_jsonable

        reg, X, y, Xt, yt = _inputs(args)
        result = probe(X, y, Xt, yt, regularizer=reg, alpha_ref=args.alpha_ref,
                       test_size=0.5 if args.test_size is None else args.test_size,
                       seed=args.seed, n_boot=args.bootstrap,
                       standardize=not args.no_standardize,
                       max_margin_gammas=args.max_margin_gammas, progress=not args.quiet)
        text = json.dumps(to_jsonable(result), indent=1, allow_nan=False)
        if args.report:
            from numerics.figures.probe import write_report

            write_report(result, args.report)
        if args.json_file:
            atomic_write_text(args.json_file, text + "\n")
    print(_summary(result))
    return 0
