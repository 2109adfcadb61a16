r"""``logitreg conform MODULE:FUNCTION --regularizer NAME --classes K``: conformance test of
another codebase's loss against the derived one (docs/theory.md §8).

``FUNCTION(logits, labels, strength)`` takes a ``(B, K)`` float64 batch, ``(B,)`` integer
labels (NumPy, torch or JAX arrays; the backend is detected from the module's imports or
given with ``--backend``) and the codebase's own parameter (its eps, lambda, ...). The
report (:class:`numerics.conformance.ConformanceReport`) names the detected convention
(e.g. ``label_smoothing, alpha = eps, mean reduction``), the worst value and gradient
errors with their inputs, and a minimal counterexample of any failure (NaN/inf at large
logits, wrong convention, wrong gradient). Exit code 0 iff it conforms, 1 if not.
``MODULE`` is an importable module or a path ``path/to/file.py``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os

__all__ = ["add_parser", "run", "load_function"]


def add_parser(sub):
    p = sub.add_parser("conform", help="property-test an external loss FUNCTION(logits, "
                                       "labels, strength) against the derived loss")
    p.add_argument("target", help="MODULE:FUNCTION (importable, or path/to/file.py:FUNCTION)")
    p.add_argument("--regularizer", required=True, help="built-in regulariser it implements")
    p.add_argument("--classes", type=int, required=True, help="number of classes K >= 2")
    p.add_argument("--strength", type=float, default=0.1,
                   help="the parameter passed to FUNCTION (its eps, lambda, ...); default 0.1")
    p.add_argument("--backend", default="auto", choices=("auto", "numpy", "torch", "jax"))
    p.add_argument("--examples", type=int, default=60, help="hypothesis examples (default 60)")
    p.add_argument("--rtol", type=float, default=1e-10,
                   help="error bound relative to the input scale (default 1e-10)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def load_function(target: str):
    """The callable named by ``MODULE:FUNCTION`` (``MODULE`` may be a ``.py`` path)."""
    from core.errors import InvalidParameterError

    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        raise InvalidParameterError(f"expected MODULE:FUNCTION, got {target!r}")
    if module_name.endswith(".py"):
        if not os.path.isfile(module_name):
            raise InvalidParameterError(f"no such file {module_name!r}")
        spec = importlib.util.spec_from_file_location(
            os.path.splitext(os.path.basename(module_name))[0], module_name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise InvalidParameterError(f"{attr!r} in {module_name!r} is not a callable")
    return fn


def run(args) -> int:
    from core.validation import check_classes
    from numerics.conformance import conform

    fn = load_function(args.target)
    k = check_classes(args.classes, caller="conform")
    report = conform(fn, args.regularizer, k, strength=args.strength, backend=args.backend,
                     examples=args.examples, rtol=args.rtol)
    if args.json:
        def inp(v):
            return None if v is None else {"logits": v[0].tolist(), "labels": v[1].tolist()}

        print(json.dumps({
            "identified": report.identified, "convention": report.convention,
            "reduction": report.reduction, "alpha": report.alpha, "backend": report.backend,
            "ok": report.ok, "detection_error": report.detection_error,
            "worst_value_error": report.worst_value_error,
            "worst_value_input": inp(report.worst_value_input),
            "worst_grad_error": report.worst_grad_error,
            "worst_grad_input": inp(report.worst_grad_input),
            "failure": report.failure, "counterexample": inp(report.counterexample),
            "notes": report.notes}, indent=2, default=float))
    else:
        print(report.summary())
    return 0 if report.ok else 1
