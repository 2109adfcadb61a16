r"""Conformance of an external loss implementation with the derived multiclass loss.

A user's ``fn(logits, labels, strength)`` (NumPy, PyTorch or JAX) is compared with the
50-digit reference of :mod:`numerics.conformance._reference` (docs/theory.md §4, §8).

1. **Convention.** On a fixed batch, ``fn`` at strength ``p`` is matched against
   ``scale(p) * reduce(ours at alpha(p))`` for every candidate of :data:`CANDIDATES` and
   reduction ``mean``/``sum``/``none``: :math:`\alpha = \varepsilon` (PyTorch/optax/timm),
   :math:`\alpha = \varepsilon K/(K-1)` (:math:`\varepsilon/(K-1)` off-target mass),
   :math:`\alpha = \lambda/(1+\lambda)` with scale :math:`1+\lambda` (MaxSup's and the
   confidence penalty's published losses) and :math:`\alpha = 2p` (binary flip, K = 2).
2. **Property test.** Under that convention, hypothesis draws batches
   (:mod:`numerics.conformance._strategies`: ties, :math:`|z|` up to :math:`10^4`, tiny
   values) and checks values and gradients (autograd for torch/jax; ``grad_fn`` for
   NumPy). The first failure is shrunk to a minimal counterexample.

Errors are measured against the scale at which float64 must lose digits: for the value
:math:`|v - e| / \max(|e|, \|z\|_\infty, 1)` (``lse(z) - z_y`` cancels terms of size
:math:`\|z\|_\infty`), for the gradient :math:`\|g - g^*\|_\infty / (\max(\|g^*\|_\infty, 1)
\max(\|z\|_\infty, 1))` (``exp(z_k - lse)`` inherits the absolute error
:math:`\epsilon\|z\|_\infty` of its exponent).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from theory import get_regularizer

from numerics.conformance._adapters import call_backend, detect_backend
from numerics.conformance._reference import reference_grad, reference_loss
from numerics.export import from_alpha, to_alpha

__all__ = ["CANDIDATES", "ConformanceReport", "conform", "assert_loss_matches"]

#: name -> (description, parameterisation of :func:`numerics.export.to_alpha`, scale(p)).
CANDIDATES = {
    "alpha = eps": ("alpha = eps (PyTorch/optax/timm label_smoothing=eps: eps/K off-target)",
                    "torch_eps", lambda p: 1.0),
    "alpha = eps K/(K-1)": ("alpha = eps K/(K-1): eps/(K-1) off-target mass, NOT "
                            "PyTorch/optax/timm's eps/K", "eps_k_minus_1", lambda p: 1.0),
    "alpha = lam/(1+lam)": ("alpha = lam/(1+lam), loss scaled by 1+lam (MaxSup's / the "
                            "confidence penalty's published form)", "maxsup_lambda",
                            lambda p: 1.0 + p),
    "alpha = 2p": ("alpha = 2p: binary label flip with probability p (K = 2 only)",
                   "flip_probability", lambda p: 1.0),
}


def _alpha_of(name, p, k):
    """Our alpha for strength ``p`` under candidate ``name`` (None: not applicable)."""
    if name == "alpha = 2p" and k != 2:
        return None
    return to_alpha(CANDIDATES[name][1], p, k)


_REDUCE = {"mean": np.mean, "sum": np.sum}


@dataclass
class ConformanceReport:
    r"""What :func:`conform` found. ``ok``: a convention matched and no drawn input broke it."""

    regularizer: str
    classes: int
    backend: str
    strength: float
    convention: str | None = None
    description: str = ""
    alpha: float | None = None
    reduction: str | None = None
    detection_error: float = math.inf
    worst_value_error: float = 0.0
    worst_value_input: tuple | None = None
    worst_grad_error: float | None = None
    worst_grad_input: tuple | None = None
    failure: str | None = None
    counterexample: tuple | None = None
    examples: int = 0
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.convention is not None and self.failure is None

    @property
    def identified(self) -> str:
        """E.g. ``"label_smoothing, alpha = eps, mean reduction"``."""
        if self.convention is None:
            return f"{self.regularizer}: no convention matches"
        return f"{self.regularizer}, {self.convention}, {self.reduction} reduction"

    def summary(self) -> str:
        lines = [f"conformance of a {self.backend} loss with {self.regularizer!r}, "
                 f"K = {self.classes}, strength {self.strength!r}:",
                 f"  detected: {self.identified}"]
        if self.convention is not None:
            lines.append(f"    ({self.description}; our alpha = {self.alpha!r}; detection "
                         f"error {self.detection_error:.1e})")
        else:
            lines.append(f"    best candidate error {self.detection_error:.2e}")
        lines.append(f"  examples evaluated (shrinking included): {self.examples}; worst "
                     f"value error {self.worst_value_error:.2e}" + _at(self.worst_value_input))
        if self.worst_grad_error is not None:
            lines.append(f"  worst gradient error {self.worst_grad_error:.2e}"
                         + _at(self.worst_grad_input))
        lines += [f"  note: {n}" for n in self.notes]
        if self.failure:
            lines.append(f"  FAIL: {self.failure}")
            if self.counterexample is not None:
                z, y = self.counterexample
                lines.append(f"  minimal counterexample: logits={np.asarray(z).tolist()!r}, "
                             f"labels={np.asarray(y).tolist()!r}")
        lines.append("  PASS" if self.ok else "  verdict: does not conform")
        return "\n".join(lines)


def _at(inp):
    if inp is None:
        return ""
    z, y = inp
    text = repr(np.asarray(z).tolist())
    more = "..." if len(text) > 160 else ""
    return f" at logits={text[:160]}{more}, labels={np.asarray(y).tolist()!r}"


def _expected(reg, z, y, alpha, with_grad):
    rows = np.array([float(v) for v in reference_loss(reg, z, y, alpha)])
    grads = None
    if with_grad:
        grads = np.array([[float(v) for v in row] for row in reference_grad(reg, z, y, alpha)])
    return rows, grads


def _value_error(v, e, z):
    if not np.all(np.isfinite(v)):
        return math.inf
    scale = np.maximum(np.maximum(np.abs(e), np.max(np.abs(z))), 1.0)
    return float(np.max(np.abs(v - e) / scale))


def _grad_error(g, e, z):
    if not np.all(np.isfinite(g)):
        return math.inf
    scale = max(float(np.max(np.abs(e))), 1.0) * max(float(np.max(np.abs(z))), 1.0)
    return float(np.max(np.abs(g - e)) / scale)


def _evaluate(fn, backend, reg, z, y, p, alpha, scale, reduction, grad_fn):
    """(value error, gradient error or None, their value, their grad, reference rows)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value, grad = call_backend(fn, backend, z, y, p, grad_fn)
        except Exception as exc:  # the implementation raised: a numerical failure
            return math.inf, math.inf, f"{type(exc).__name__}: {exc}", None, None
    want_grad = grad is not None
    rows, grows = _expected(reg, z, y, alpha, want_grad)
    value = np.asarray(value, dtype=float) / scale
    if reduction == "none":
        e = rows
    else:
        e = np.asarray(_REDUCE[reduction](rows))
    verr = _value_error(value, e, z) if value.shape == e.shape else math.inf
    gerr = None
    if want_grad:
        g = np.asarray(grad, dtype=float) / scale
        if reduction == "mean":
            g = g * z.shape[0]
        gerr = _grad_error(g, grows, z) if g.shape == grows.shape else math.inf
    return verr, gerr, value, grad, grows


def _detect(report, fn, backend, reg, p, k):
    rng = np.random.default_rng(20240)
    z = rng.standard_normal((4, k)) * 3.0
    y = rng.integers(0, k, 4)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value, _ = call_backend(fn, backend, z, y, p, None, need_grad=False)
    value = np.asarray(value, dtype=float)
    reductions = ("none",) if value.shape == (4,) else ("mean", "sum")
    best = (math.inf, None, None)
    for name, (desc, _, scale_of) in CANDIDATES.items():
        a = _alpha_of(name, p, k)
        if a is None or not 0.0 <= a < 1.0:
            continue
        rows = np.array([float(v) for v in reference_loss(reg, z, y, a)])
        for red in reductions:
            e = rows if red == "none" else _REDUCE[red](rows)
            err = _value_error(value / scale_of(p), np.asarray(e), z)
            if err < best[0]:
                best = (err, (name, desc, a, scale_of(p)), red)
    report.detection_error = best[0]
    if best[1] is not None and best[0] <= 1e-8:
        name, desc, a, _ = best[1]
        report.convention, report.description = name, desc
        report.alpha, report.reduction = a, best[2]
        if name == "alpha = eps K/(K-1)":
            report.notes.append("eps/(K-1) off-target mass: its eps is our alpha (K-1)/K, "
                                "not PyTorch/optax/timm's eps (= alpha)")
    return best, (z, y)


def conform(fn, regularizer, classes: int, *, strength: float = 0.1, backend: str = "auto",
            grad_fn=None, examples: int = 60, rtol: float = 1e-10,
            max_abs: float = 1e4) -> ConformanceReport:
    r"""Detect ``fn``'s convention and property-test it (module docstring).

    Parameters
    ----------
    fn : callable
        ``fn(logits, labels, strength)``: a ``(B, K)`` float64 batch and ``(B,)`` integer
        labels (arrays of the backend) -> loss (scalar or ``(B,)``).
    regularizer : str or theory.Regularizer
        What ``fn`` claims to implement (built-in name or :func:`theory.from_expression`).
    strength : float
        The parameter passed to ``fn`` (its eps, lambda, ...).
    backend : {"auto", "numpy", "torch", "jax"}
        ``auto``: the library ``fn``'s code refers to (globals and closure), else its
        module's imports, else NumPy.
    grad_fn : callable, optional
        NumPy backend: ``grad_fn(logits, labels, strength)`` -> gradient (else values only).
    examples : int
        Hypothesis examples (deterministic, no database).
    rtol : float
        Error bound (module docstring); float64 implementations reach ~1e-13.
    """
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import NoSuchExample

    from numerics.conformance._strategies import batches

    reg = get_regularizer(regularizer)
    backend = detect_backend(fn) if backend == "auto" else backend
    report = ConformanceReport(reg.name, int(classes), backend, float(strength))
    best, (z0, y0) = _detect(report, fn, backend, reg, float(strength), int(classes))
    if report.convention is None:
        if best[1] is None:
            report.failure = "no candidate convention applies at this strength"
            return report
        name, desc, a, scale = best[1]
        report.failure = (f"no convention matches: the closest, {name} with {best[2]} "
                          f"reduction, is off by {best[0]:.2e} relative")
        report.alpha, report.reduction = a, best[2]
        report.counterexample = _simple_counterexample(
            fn, backend, reg, float(strength), int(classes), a, scale, best[2], rtol) or (z0, y0)
        _shift_hint(report, fn, backend, reg, float(strength), z0, y0, a, scale)
        return report  # nothing to property-test without a convention
    scale = CANDIDATES[report.convention][2](float(strength))

    def bad(batch):
        z, y = batch
        report.examples += 1
        verr, gerr, *_ = _evaluate(fn, backend, reg, z, y, float(strength), report.alpha,
                                   scale, report.reduction, grad_fn)
        if verr > report.worst_value_error or report.worst_value_input is None:
            report.worst_value_error, report.worst_value_input = verr, (z, y)
        if gerr is not None and (report.worst_grad_error is None or gerr > report.worst_grad_error):
            report.worst_grad_error, report.worst_grad_input = gerr, (z, y)
        return verr > rtol or (gerr is not None and gerr > rtol)

    cfg = settings(max_examples=examples, database=None, derandomize=True, deadline=None,
                   suppress_health_check=list(HealthCheck))
    try:
        example = find(batches(int(classes), max_abs=max_abs), bad, settings=cfg)
    except NoSuchExample:
        return report
    verr, gerr, value, grad, grows = _evaluate(fn, backend, reg, example[0], example[1],
                                               float(strength), report.alpha, scale,
                                               report.reduction, grad_fn)
    report.counterexample = example
    if report.failure is None:
        report.failure = _explain(verr, gerr, value, grad, grows, report, example, scale, rtol)
    return report


def _simple_counterexample(fn, backend, reg, p, k, alpha, scale, reduction, rtol):
    """The first of a few one-row inputs (zeros, a unit logit, a ramp) on which ``fn`` and
    the closest candidate disagree: a small counterexample without a search."""
    ramp = np.arange(k, dtype=float)
    for row, label in ((np.zeros(k), 0), (np.eye(k)[0], 0), (np.eye(k)[0], 1 % k),
                       (ramp, 0), (ramp, k - 1), (-ramp, 0)):
        z, y = row[None, :], np.array([label])
        verr, *_ = _evaluate(fn, backend, reg, z, y, p, alpha, scale, reduction, None)
        if verr > rtol:
            return z, y
    return None


def _shift_hint(report, fn, backend, reg, p, z, y, alpha, scale):
    """Name the missing piece when ours is shift-invariant and ``fn`` is not (e.g. MaxSup
    without its mean term: ``CE + lam max z`` moves by ``lam c`` under ``z -> z + c``)."""
    c = 1.0
    ours = [float(a) - float(b) for a, b in zip(reference_loss(reg, z + c, y, alpha),
                                                reference_loss(reg, z, y, alpha))]
    if max(abs(v) for v in ours) > 1e-12:
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        v0, _ = call_backend(fn, backend, z, y, p, None, need_grad=False)
        v1, _ = call_backend(fn, backend, z + c, y, p, None, need_grad=False)
    moved = float(np.max(np.abs(np.asarray(v1, dtype=float) - np.asarray(v0, dtype=float))))
    if moved > 1e-9:
        report.notes.append(
            f"the derived loss is invariant under z -> z + c (every logit shifted by c), "
            f"fn is not: it moves by {moved:.6g} at c = 1 (a missing mean-logit term, e.g. "
            f"MaxSup's lam (max z - mean z) written as lam max z?)")


def _explain(verr, gerr, value, grad, grows, report, example, scale, rtol):
    if isinstance(value, str):
        return f"the implementation raised {value}"
    if not np.all(np.isfinite(value)):
        return "non-finite loss value (nan/inf): overflow at large logits?"
    if verr > rtol:
        return f"loss value off by {verr:.2e} (relative to the input scale) > {rtol:g}"
    g = np.asarray(grad, dtype=float) / scale * (example[0].shape[0] if report.reduction == "mean"
                                                  else 1)
    if not np.all(np.isfinite(g)):
        return "non-finite gradient (nan/inf) where the loss is finite"
    denom = float(np.sum(grows * grows))
    if denom > 0:
        c = float(np.sum(g * grows)) / denom
        # g = c g* to 1e-8 (far above float64 rounding, far below any other defect)
        proportional = np.max(np.abs(g - c * grows)) <= 1e-8 * max(1.0, np.max(np.abs(grows)))
        if proportional and abs(c - 1) > 1e-6:
            return f"gradient is {c:.6g} x the derived gradient (values match)"
    return f"gradient off by {gerr:.2e} (relative to the input scale) > {rtol:g}"


def assert_loss_matches(fn, regularizer, alpha=None, classes: int = 10, *, strength=None,
                        convention: str | None = None, backend: str = "auto", grad_fn=None,
                        examples: int = 60, rtol: float = 1e-10) -> ConformanceReport:
    r"""Raise ``AssertionError`` (with :meth:`ConformanceReport.summary`) unless ``fn``
    conforms. ``alpha`` (ours) or ``strength`` (the parameter ``fn`` takes) sets the
    strength; with ``alpha`` and no ``convention``, ``alpha = eps`` is expected. With
    ``convention`` (a key of :data:`CANDIDATES`) the detected one must equal it.

    >>> import torch.nn.functional as F                                    # doctest: +SKIP
    >>> assert_loss_matches(lambda z, y, e: F.cross_entropy(z, y, label_smoothing=e),
    ...                     "label_smoothing", alpha=0.1, classes=10)      # doctest: +SKIP
    """
    if strength is None:
        if alpha is None:
            raise ValueError("give alpha (ours) or strength (fn's parameter)")
        convention = convention or "alpha = eps"
        strength = _strength_for(convention, float(alpha), classes)
    report = conform(fn, regularizer, classes, strength=strength, backend=backend,
                     grad_fn=grad_fn, examples=examples, rtol=rtol)
    if convention is not None and report.convention not in (None, convention):
        report.failure = (report.failure or "") + (
            f" convention is {report.convention!r} ({report.description}), expected "
            f"{convention!r}").strip()
    if not report.ok:
        raise AssertionError(report.summary())
    return report


def _strength_for(convention, alpha, k):
    if convention not in CANDIDATES:
        raise ValueError(f"unknown convention {convention!r}; choose one of {list(CANDIDATES)}")
    return from_alpha(CANDIDATES[convention][1], alpha, k)
