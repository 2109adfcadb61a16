r"""``logitreg theory``: proportional-limit predictions (claims A1, A2, A4).

``logitreg theory accuracy (--regularizer R | --f EXPR) --alpha A --lam L --kappa K
[--certify] [--json]``
solves the CGMT fixed point (E1)-(E3) of :mod:`numerics.asymptotics` in float64 and prints
the asymptotic accuracy :math:`\Phi(\kappa\rho)`, the cosine :math:`\rho`, the fixed point
``(mu, a, gamma)``, :math:`\lambda_{sep}(\kappa)` and the float64 residual of the root.
``--certify`` adds the 30-digit mpmath certificate of the root (0.2-3 s more; JSON key
``certificate``, ``null`` without it). ``--no-certify`` is accepted and ignored: it was the
way to skip the certificate when that was the default.
``logitreg theory separability --kappa K [--json]`` prints :math:`\lambda_{sep}(\kappa)`
(with ``--regularizer``/``--f``: the same number and why it does not depend on ``f``).
``logitreg theory phase (--regularizer R | --f EXPR) --alpha A --lam L --sigma-f S
[--sigma-n S1 S2 ..]`` prints the A4 phase point (:func:`numerics.asymptotics.phase_point`).
``--f EXPR`` is a user regulariser (:func:`theory.from_expression`); its hypotheses
(``theory.properties``) are checked first and reported in the JSON (``hypotheses``).
Bad values raise :class:`theory.InvalidParameterError` (one line, exit 2).

With a warm derivation cache (:mod:`theory._cache`, :mod:`numerics.compile._generated`) the
command does not import SymPy and answers in well under a second. It runs with one BLAS
thread: its vectors (at most 64k Gauss nodes) are too short for threads to pay, and
waking the BLAS thread pool cost more than the whole solve (~0.1 s wall and CPU). A
threaded dot product sums in another order, so the numbers can differ from a threaded
run by a few ulps (~1e-15 relative), never more.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

__all__ = ["add_parser", "run"]


def _number(name):
    def parse(text):
        try:
            return float(text)
        except ValueError:
            import argparse

            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
    return parse


def _regularizer_options(p, *, required):
    """``--regularizer NAME`` or ``--f EXPR`` (one of them; ``required`` for accuracy/phase)."""
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--regularizer",
                   help="built-in regulariser name, or 'square' for the pure (t-1)^2 loss")
    g.add_argument("--f", metavar="EXPR",
                   help="binary form f(t) of your own regulariser, e.g. 'log(cosh(t))' "
                        "(even; docs/theory.md §1)")


def add_parser(sub):
    """Register the ``theory`` subcommand on the argparse subparsers sub."""
    p = sub.add_parser("theory", help="proportional-limit predictions (A1, A2, A4)")
    tsub = p.add_subparsers(dest="theory_command", required=True,
                            parser_class=type(p))
    a = tsub.add_parser("accuracy", help="asymptotic accuracy of the regularised minimiser")
    _regularizer_options(a, required=True)
    a.add_argument("--alpha", type=_number("alpha"), required=True, help="alpha in [0, 1)")
    a.add_argument("--lam", type=_number("lam"), required=True, help="lambda = d/N")
    a.add_argument("--kappa", type=_number("kappa"), required=True,
                   help="kappa = mu_f/sigma_f > 0")
    a.add_argument("--certify", action="store_true",
                   help="also certify the root: recompute the residuals at 30 digits with "
                        "mpmath (slower)")
    a.add_argument("--no-certify", action="store_true",
                   help="accepted for compatibility and ignored: the certificate is off "
                        "unless --certify is given")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    s = tsub.add_parser("separability", help="separability threshold lambda_sep(kappa)")
    s.add_argument("--kappa", type=_number("kappa"), required=True, help="kappa >= 0")
    _regularizer_options(s, required=False)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    ph = tsub.add_parser("phase", help="benefit phase point (A4): regularised vs gradient-"
                                       "descent limit accuracy and the crossing sigma_n*")
    _regularizer_options(ph, required=True)
    ph.add_argument("--alpha", type=_number("alpha"), required=True, help="alpha in (0, 1)")
    ph.add_argument("--lam", type=_number("lam"), required=True, help="lambda = d/N")
    ph.add_argument("--sigma-f", type=_number("sigma_f"), required=True,
                    help="feature noise sigma_f > 0 (mu_f = 1, kappa = 1/sigma_f)")
    ph.add_argument("--sigma-n", type=_number("sigma_n"), nargs="*", default=[],
                    help="noise scales at which to report the unregularised accuracy")
    ph.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(args) -> int:
    """Run the subcommand; returns the exit code."""
    with _one_blas_thread():
        from numerics.asymptotics import predict, separability_threshold

        return _run(args, predict, separability_threshold)


#: Read by OpenBLAS / MKL / OpenMP when the library loads.
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


@contextlib.contextmanager
def _one_blas_thread():
    """One BLAS thread inside the block (module docstring). Before NumPy is loaded (the
    command line) by the environment variables the BLAS reads when it loads, which never
    starts the thread pool, restored on exit (a user's own setting wins); in a process
    that has NumPy already, by :func:`threadpoolctl.threadpool_limits`."""
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            yield
        return
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _regularizer(args):
    """The built-in name (a string: SymPy stays unloaded when the cache is warm) or the
    user's :class:`theory.Regularizer` parsed from ``--f``, with its hypotheses."""
    if getattr(args, "f", None) is None:
        return getattr(args, "regularizer", None), None
    from theory import from_expression, properties

    reg = from_expression(args.f)
    props = properties(reg)
    fm = props["finite_minimum"]
    if fm.value is False:
        from core.errors import InvalidParameterError

        raise InvalidParameterError(
            f"f(t) = {args.f} fails a hypothesis of the theory (docs/theory.md §1): no "
            f"finite attained minimum ({fm.evidence})")
    return reg, {k: v.as_dict() for k, v in props.items()}


def _run(args, predict, separability_threshold) -> int:
    reg, hypotheses = _regularizer(args)
    if args.theory_command == "separability":
        lam_sep, c = separability_threshold(args.kappa, return_cosine=True)
        rec = {"kappa": args.kappa, "lam_sep": lam_sep, "cosine_at_threshold": c}
        if reg is not None:
            rec["regularizer"] = args.f if args.f is not None else reg
            rec["note"] = _SEPARABILITY_NOTE
            if hypotheses is not None:
                rec["hypotheses"] = hypotheses
        print(json.dumps(rec, indent=2) if args.json
              else f"lam_sep(kappa={args.kappa:g}) = {lam_sep:.10g}"
              + ("" if reg is None else f"\n{_SEPARABILITY_NOTE}"))
        return 0
    if args.theory_command == "phase":
        return _phase(args, reg, hypotheses)
    pred = predict(reg, args.alpha, args.lam, args.kappa, certify=args.certify)
    rec = pred.as_dict()
    rec["alpha_path"] = list(rec["alpha_path"])
    if args.f is not None:
        rec["regularizer"] = args.f
        rec["hypotheses"] = hypotheses
    if args.json:
        print(json.dumps(rec, indent=2))
        return 0
    cert = pred.certificate
    lines = [f"regularizer {rec['regularizer']}  alpha={pred.alpha:g}  lam={pred.lam:g}  "
             f"kappa={pred.kappa:g}",
             f"accuracy  {pred.accuracy:.10f}",
             f"cosine    {pred.cosine:.10f}",
             f"mu, a, gamma = {pred.mu:.10g}, {pred.a:.10g}, {pred.gamma:.10g}",
             f"lam_sep   {pred.lam_sep:.10g}",
             f"residual  {pred.residual:.2e} (float64 fixed point)"]
    if cert is not None:
        lines.append(f"certified {cert['certified']} (30-digit residual "
                     f"{cert['residual_mp']:.2e}, root error <~ {cert['root_error_bound']:.1e})")
    print("\n".join(lines))
    return 0


#: Why ``separability`` answers the same for every regulariser (docs/theory.md §7, A2).
_SEPARABILITY_NOTE = ("lam_sep depends on kappa only: it is where the unregularised "
                      "(alpha=0) minimiser stops existing; for alpha > 0 and an f whose loss "
                      "attains its minimum the regularised fixed point exists at every lam < 1")


def _phase(args, reg, hypotheses) -> int:
    from numerics.asymptotics import phase_point

    point = phase_point(reg, args.alpha, args.lam, args.sigma_f, sigma_ns=args.sigma_n)
    rec = point.as_dict()
    if args.f is not None:
        rec["regularizer"] = args.f
        rec["hypotheses"] = hypotheses
    if args.json:
        print(json.dumps(rec, indent=2))
        return 0
    star = rec["sigma_n_star"]
    lines = [f"regularizer {rec['regularizer']}  alpha={point.alpha:g}  lam={point.lam:g}  "
             f"sigma_f={point.sigma_f:g} (kappa={point.kappa:g})",
             f"regularised accuracy     {point.accuracy_regularized:.10f} (flat in sigma_n)",
             f"lam_sep                  {point.lam_sep:.10g}"]
    if not point.separable:
        lines.append("lam <= lam_sep: gradient descent tends to the logistic MLE (flat in "
                     "sigma_n); no crossing")
    elif star is None:
        lines.append("no crossing sigma_n* in [1e-3, 100]")
    else:
        lines.append(f"crossing sigma_n*        {star:.10g} (regularisation helps for "
                     "sigma_n > sigma_n*)")
    for sn, acc in zip(point.sigma_ns, point.accuracy_unregularized):
        lines.append(f"sigma_n={sn:g}: unregularised accuracy {acc:.10f}")
    print("\n".join(lines))
    return 0
