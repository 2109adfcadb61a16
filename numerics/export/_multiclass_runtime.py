r"""Runtime text of the batched multiclass Python exports (NumPy, PyTorch, JAX).

Only array plumbing and the textbook row reductions live here (max-shifted
:math:`\operatorname{lse}`, sum, max, min over the class axis with ``keepdims``); the loss,
its gradient and the targets are printed from SymPy in :mod:`numerics.export._multiclass`
(docs/theory.md §4, §8).
"""

from __future__ import annotations

__all__ = ["ROW_HELPERS", "API"]

ROW_HELPERS = {
    "numpy": '''
def _rowsum(x):
    return numpy.sum(x, axis=-1, keepdims=True)


def _rowmax(x):
    return numpy.max(x, axis=-1, keepdims=True)


def _rowmin(x):
    return numpy.min(x, axis=-1, keepdims=True)


def _rowlse(x):
    """log(sum_k exp(x_k)) per row, shifted by the row maximum: never overflows."""
    m = numpy.max(x, axis=-1, keepdims=True)
    m = numpy.where(numpy.isfinite(m), m, 0.0)
    return m + numpy.log(numpy.sum(numpy.exp(x - m), axis=-1, keepdims=True))


def _inputs(logits, labels):
    z = numpy.asarray(logits, dtype=float)
    y = numpy.asarray(labels)
    _check_shapes(z, y)
    # take_along_axis would wrap negative labels silently and fail obscurely past K
    bad = (y < 0) | (y >= CLASSES) | (y != numpy.floor(y))
    if numpy.any(bad):
        raise ValueError(f"labels must be integers in [0, {CLASSES}); got {y[bad][0].item()!r} at "
                         f"position {int(numpy.flatnonzero(bad)[0])}")
    y = y.astype(numpy.int64)
    z_y = numpy.take_along_axis(z, y[:, None], axis=-1)
    onehot = (numpy.arange(CLASSES) == y[:, None]).astype(z.dtype)
    return z, z_y, onehot


def _reduce(rows, reduction):
    if reduction == "none":
        return rows
    if reduction == "sum":
        return numpy.sum(rows)
    return numpy.mean(rows)
''',
    "torch": '''
def _rowsum(x):
    return torch.sum(x, dim=-1, keepdim=True)


def _rowmax(x):
    # amax's backward splits the gradient evenly over ties: the tie-set share.
    return torch.amax(x, dim=-1, keepdim=True)


def _rowmin(x):
    return torch.amin(x, dim=-1, keepdim=True)


def _rowlse(x):
    return torch.logsumexp(x, dim=-1, keepdim=True)


def _inputs(logits, labels):
    z = _as_array(logits)
    y = torch.as_tensor(labels)
    _check_shapes(z, y)
    bad = (y < 0) | (y >= CLASSES) | (y != torch.floor(y))
    if bool(torch.any(bad)):
        pos = int(torch.nonzero(bad)[0, 0])
        raise ValueError(f"labels must be integers in [0, {CLASSES}); got {y[pos].item()!r} "
                         f"at position {pos}")
    y = y.to(device=z.device, dtype=torch.long)
    z_y = torch.gather(z, -1, y[:, None])
    onehot = torch.nn.functional.one_hot(y, CLASSES).to(z.dtype)
    return z, z_y, onehot


def _reduce(rows, reduction):
    if reduction == "none":
        return rows
    if reduction == "sum":
        return torch.sum(rows)
    return torch.mean(rows)
''',
    "jax": '''
def _rowsum(x):
    return jax.numpy.sum(x, axis=-1, keepdims=True)


def _rowmax(x):
    # jax's max-reduction gradient splits evenly over ties: the tie-set share.
    return jax.numpy.max(x, axis=-1, keepdims=True)


def _rowmin(x):
    return jax.numpy.min(x, axis=-1, keepdims=True)


def _rowlse(x):
    return jax.nn.logsumexp(x, axis=-1, keepdims=True)


def _inputs(logits, labels):
    z = _as_array(logits)
    y = jax.numpy.asarray(labels)
    _check_shapes(z, y)
    z_y = jax.numpy.take_along_axis(z, y[:, None].astype(jax.numpy.int32), axis=-1)
    onehot = jax.nn.one_hot(y, CLASSES, dtype=z.dtype)
    return z, z_y, onehot


def _reduce(rows, reduction):
    if reduction == "none":
        return rows
    if reduction == "sum":
        return jax.numpy.sum(rows)
    return jax.numpy.mean(rows)
''',
}

_CHECKS = '''
def _check_shapes(z, y):
    if z.ndim != 2 or z.shape[-1] != CLASSES:
        raise ValueError(f"logits must have shape (B, {CLASSES}); got {tuple(z.shape)}")
    if y.ndim != 1 or y.shape[0] != z.shape[0]:
        raise ValueError(f"labels must have shape ({z.shape[0]},); got {tuple(y.shape)}")


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")


def _check_strength(alpha):
    try:
        ok = 0.0 <= float(alpha) < 1.0
    except Exception:  # a traced or batched alpha: left to the caller
        return
    if not ok:
        raise ValueError(f"alpha must be in [0, 1); got {alpha!r}")
'''

_PUBLIC = '''
def loss(logits, labels, alpha, reduction="mean"):
    r"""Loss of a (B, K) batch with integer labels (B,): (1 - alpha) CE + alpha f.

    reduction: "mean" (over the batch, as F.cross_entropy), "sum" or "none" (shape (B,)).
    """
    _check_reduction(reduction)
    _check_strength(alpha)
    z, z_y, onehot = _inputs(logits, labels)
    return _reduce(_loss_rows(z, z_y, alpha)[..., 0], reduction)


def grad(logits, labels, alpha, reduction="mean"):
    r"""Gradient of loss(logits, labels, alpha, reduction) with respect to the logits,
    shape (B, K) (for reduction="none": the gradient of each row's own loss)."""
    _check_reduction(reduction)
    _check_strength(alpha)
    z, z_y, onehot = _inputs(logits, labels)
    g = _grad_rows(z, onehot, alpha)
    return g / z.shape[0] if reduction == "mean" else g


def regularizer(logits):
    r"""f(z) of each row of a (B, K) batch, shape (B,)."""
    z = _as_array(logits)
    _check_shapes(z, z[:, 0])
    return _f_rows(z)[..., 0]


def targets(alpha):
    r"""Simplex target (q_high, q_low) of the per-sample minimiser: logit q_high on the
    label, q_low elsewhere (claim M1)."""
    g = gap(alpha)
    return q_high_of_gap(g), q_low_of_gap(g)
'''

_TORCH_MODULE = '''

class Loss(torch.nn.Module):
    r"""nn.Module with the call signature and reduction semantics of F.cross_entropy
    (integer labels, reduction="mean" | "sum" | "none"); autograd in float32 or float64."""

    def __init__(self, alpha, reduction="mean"):
        super().__init__()
        _check_reduction(reduction)
        _check_strength(alpha)
        self.alpha = alpha
        self.reduction = reduction

    def forward(self, input, target):
        return loss(input, target, self.alpha, self.reduction)

    def extra_repr(self):
        return (f"regularizer={REGULARIZER!r}, classes={CLASSES}, alpha={self.alpha}, "
                f"reduction={self.reduction!r}")
'''

API = {"numpy": _CHECKS + _PUBLIC, "torch": _CHECKS + _PUBLIC + _TORCH_MODULE,
       "jax": _CHECKS + _PUBLIC}
