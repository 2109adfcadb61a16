r"""Conformance testing of other codebases' logit-regularised losses (docs/theory.md §8).

Public API::

    logits(classes, max_batch=4, max_abs=1e4, ties=True)   # hypothesis strategy, (B, K)
    labels(classes, batch), batches(classes, ...)          # strategies
    assert_loss_matches(fn, regularizer, alpha, classes, backend="auto", ...)
    conform(fn, regularizer, classes, strength=0.1, ...) -> ConformanceReport
    reference_loss(regularizer, logits, labels, alpha, dps=50)   # 50-digit rows
    reference_grad(regularizer, logits, labels, alpha, dps=50)
    CANDIDATES                                              # conventions conform detects

``fn(logits, labels, strength)`` is a NumPy, PyTorch or JAX callable returning the batch
loss (scalar, or ``(B,)`` for no reduction); e.g. PyTorch's built-in label smoothing is
``lambda z, y, eps: F.cross_entropy(z, y, label_smoothing=eps)``, which :func:`conform`
reports as ``"label_smoothing, alpha = eps, mean reduction"``. ``hypothesis`` (a test
extra) is needed by the strategies and the property test and imported lazily.

The command line: ``logitreg conform MODULE:FUNCTION --regularizer NAME --classes K``.
"""

from numerics.conformance._check import CANDIDATES, ConformanceReport, assert_loss_matches, conform
from numerics.conformance._reference import reference_grad, reference_loss
from numerics.conformance._strategies import batches, labels, logits

__all__ = ["CANDIDATES", "ConformanceReport", "assert_loss_matches", "conform",
           "reference_grad", "reference_loss", "batches", "labels", "logits"]
