r"""Calling a user's loss in its own array library, in float64, with its gradient.

``call_backend(fn, backend, z, y, p, grad_fn)`` passes NumPy ``(B, K)`` logits and ``(B,)``
labels as the backend's arrays and returns ``(value, grad)`` as NumPy: the gradient of the
returned loss (summed, if it is a vector) with respect to the logits, by ``torch.autograd``
or ``jax.grad``; for NumPy it is ``grad_fn(...)`` or ``None``. JAX is switched to float64
(``jax_enable_x64``): the 50-digit comparison is meaningless in float32.
"""

from __future__ import annotations

import types

import numpy as np

__all__ = ["detect_backend", "call_backend", "BACKENDS"]

BACKENDS = ("numpy", "torch", "jax")


def _referenced(fn) -> dict:
    """The values of the global and closure names ``fn``'s code refers to."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    names = dict(getattr(fn, "__globals__", {}))
    cells = getattr(fn, "__closure__", None) or ()
    names.update({n: c.cell_contents for n, c in zip(code.co_freevars, cells)
                  if _filled(c)})
    wanted = set(code.co_names) | set(code.co_freevars)
    return {n: v for n, v in names.items() if n in wanted}


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _libraries(values) -> set:
    found = set()
    for value in values:
        mod = value.__name__ if isinstance(value, types.ModuleType) else getattr(
            value, "__module__", None)
        if isinstance(mod, str):
            found.add(mod.split(".")[0])
    return found


def detect_backend(fn) -> str:
    """``torch`` or ``jax`` by the libraries ``fn``'s code refers to (its global and closure
    names), else by its module's imports; ``numpy`` otherwise."""
    target = getattr(fn, "__wrapped__", fn)
    if not hasattr(target, "__code__") and hasattr(target, "forward"):
        target = target.forward
    for scope in (_referenced(target).values(), getattr(target, "__globals__", {}).values()):
        found = _libraries(scope)
        for lib in ("torch", "jax"):
            if lib in found:
                return lib
    return "numpy"


def call_backend(fn, backend, z, y, p, grad_fn=None, need_grad=True):
    """``(value, grad)`` of ``fn(z, y, p)`` as NumPy (``grad`` ``None`` if unavailable)."""
    if backend == "torch":
        import torch

        zt = torch.tensor(np.asarray(z, dtype=float), dtype=torch.float64,
                          requires_grad=need_grad)
        out = fn(zt, torch.as_tensor(np.asarray(y), dtype=torch.long), p)
        grad = None
        if need_grad:
            (g,) = torch.autograd.grad(out.sum(), zt)
            grad = g.detach().numpy()
        return out.detach().numpy(), grad
    if backend == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        zj = jnp.asarray(np.asarray(z, dtype=float), dtype=jnp.float64)
        yj = jnp.asarray(np.asarray(y), dtype=jnp.int32)
        out = fn(zj, yj, p)
        grad = None
        if need_grad:
            grad = np.asarray(jax.grad(lambda v: jnp.sum(fn(v, yj, p)))(zj))
        return np.asarray(out), grad
    if backend != "numpy":
        raise ValueError(f"backend must be one of {BACKENDS} or 'auto'; got {backend!r}")
    value = fn(np.asarray(z, dtype=float), np.asarray(y), p)
    grad = None if grad_fn is None or not need_grad else grad_fn(np.asarray(z, dtype=float),
                                                                np.asarray(y), p)
    return np.asarray(value, dtype=float), grad
