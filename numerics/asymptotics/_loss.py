r"""Compiled per-sample loss and its vectorised proximal operator (claims A1, A5).

The loss :math:`\ell(t) = (1-\alpha)\ell_{CE}(t) + \alpha f(t)` comes from
:func:`theory.asymptotics.asymptotic_loss` (itself :func:`theory.derive_binary`); only
``lambdify`` happens here. The prox solves the optimality condition derived there,

.. math:: p + \gamma\ell'(p) = x,

whose left side is strictly increasing for convex :math:`\ell`; the root is bracketed by
:math:`x` and :math:`x - \gamma\ell'(x)` (if :math:`\ell'(x) > 0` then :math:`p < x` and
:math:`\ell'(p) \le \ell'(x)`, so :math:`p \ge x - \gamma\ell'(x)`; symmetric otherwise)
and found by Newton steps safeguarded by bisection. A kink of :math:`\ell` at 0 with
one-sided slopes :math:`s_- < s_+` maps the whole interval
:math:`x \in [\gamma s_-, \gamma s_+]` to :math:`p = 0`.

For a regulariser given by name the ``lambdify`` source of every function here is kept in
the generated-source disk cache (:mod:`numerics.compile._generated`), so a warm process compiles
the loss without importing SymPy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np

from core.errors import ConvergenceError, InvalidParameterError
from core.validation import check_alpha

from numerics.compile._generated import UncacheableError, generated_cache, load
from numerics.compile._stationary import stationary_point
from numerics.asymptotics._params import as_regularizer

__all__ = ["CompiledLoss", "compiled_loss", "prox", "mp_prox", "loss_target"]

#: Name of the pure square loss; equals ``theory.asymptotics.SQUARE`` (tested), repeated
#: here so that recognising it does not import SymPy.
SQUARE = "square"

#: Grid on which a loss is checked for convexity (the CGMT needs convex l):
#: l'' of every built-in is smooth on this scale, and |t| > 60 is in the linear/quadratic tail.
_CONVEX_GRID = np.linspace(-60.0, 60.0, 24001)


@dataclass(frozen=True)
class CompiledLoss:
    r""":math:`\ell, \ell', \ell''` at a fixed :math:`\alpha` (NumPy and mpmath), plus the
    kink slopes ``(s_minus, s_plus)`` at 0 or ``None``."""

    name: str
    alpha: float
    dloss: Callable
    d2loss: Callable
    mp_dloss: Callable
    mp_d2loss: Callable
    kink: tuple | None
    #: minimiser t* of l (bounds the prox when l' overflows); None if not computed
    target: float | None = None

    @property
    def smooth(self) -> bool:
        return self.kink is None


@generated_cache
def _artefacts(name: str) -> dict:
    """Generated source of :func:`_lambdified` for a regulariser name (or ``"square"``):
    ``l'``, ``l''`` (NumPy, mpmath), the kink slopes, and (regularisers) the target data
    ``(closed form or None, alpha_max, smooth)`` of :func:`theory.derive_binary`."""
    import sympy as sp

    from theory import ALPHA, T, derive_binary
    from theory.asymptotics import asymptotic_loss

    from numerics.compile.compiled import generate_mpmath, generate_numpy

    loss = asymptotic_loss(name)
    args = (T, ALPHA)
    kink = None
    if loss.kink is not None:
        kink = tuple(generate_numpy((ALPHA,), sp.sympify(k)) for k in loss.kink)
    target = None
    if not is_square(name):
        d = derive_binary(name)
        closed = None
        if d.target_closed_form is not None:
            closed = generate_numpy((ALPHA,), d.target_closed_form)
        target = (closed, float(d.alpha_max), bool(d.smooth))
    return {"dloss": generate_numpy(args, loss.dloss), "d2loss": generate_numpy(args, loss.d2loss),
            "mp_dloss": generate_mpmath(args, loss.dloss),
            "mp_d2loss": generate_mpmath(args, loss.d2loss), "kink": kink, "target": target}


def _live(regularizer):
    import sympy as sp

    from theory import ALPHA, T
    from theory.asymptotics import asymptotic_loss

    from numerics.compile.compiled import lambdify_mpmath, lambdify_numpy

    loss = asymptotic_loss(regularizer)
    args = (T, ALPHA)
    kink = None
    if loss.kink is not None:
        kink = tuple(lambdify_numpy((ALPHA,), sp.sympify(k)) for k in loss.kink)
    return (lambdify_numpy(args, loss.dloss), lambdify_numpy(args, loss.d2loss),
            lambdify_mpmath(args, loss.dloss), lambdify_mpmath(args, loss.d2loss), kink, None)


@functools.lru_cache(maxsize=16)
def _lambdified(name):
    """``(l', l'', mp l', mp l'', kink slope functions or None, target data or None)``:
    from the generated-source cache for a name, compiled live for a ``Regularizer``."""
    if isinstance(name, str):
        try:
            art = _artefacts(name)
        except UncacheableError:
            return _live(name)
        kink = None if art["kink"] is None else tuple(load(k) for k in art["kink"])
        target = art["target"]
        if target is not None:
            closed, amax, smooth = target
            target = (None if closed is None else load(closed), amax, smooth)
        return (load(art["dloss"]), load(art["d2loss"]), load(art["mp_dloss"]),
                load(art["mp_d2loss"]), kink, target)
    return _live(name)


def loss_target(regularizer, alpha: float) -> tuple:
    r"""Target :math:`t^*(\alpha) = \arg\min_t \ell(t)` and curvature :math:`\ell''(t^*)`
    (1.0 for a non-smooth loss), as :meth:`numerics.CompiledBinary.target` computes them
    (same functions, same root finder)."""
    regularizer = as_regularizer(regularizer)
    d1, d2, mp1, _, _, target = _lambdified(regularizer)
    if target is None:
        from numerics.compile.compiled import compile_binary

        comp = compile_binary(regularizer)
        tstar = comp.target(alpha)
        return tstar, float(comp.d2loss(tstar, alpha)) if comp.derivation.smooth else 1.0
    closed, amax, smooth = target
    check_alpha(alpha, caller=f"target({regularizer!r})", allow_zero=False)
    tstar = stationary_point(float(alpha), amax, closed, d1, d2, mp1)
    return tstar, float(d2(tstar, alpha)) if smooth else 1.0


def compiled_loss(regularizer, alpha: float) -> CompiledLoss:
    r"""Compile the loss of ``regularizer`` (name, :class:`theory.Regularizer`, binary
    expression string or ``"square"``) at ``alpha`` and check that it is convex with a kink only at 0.

    Raises
    ------
    InvalidParameterError
        If :math:`\ell'' < 0` somewhere on :math:`[-60, 60]` (e.g. the confidence
        penalty at large :math:`\alpha`): the CGMT fixed point needs a convex loss.
    """
    key = as_regularizer(regularizer)   # a name, a Regularizer, or an expression string
    d1, d2, mp1, mp2, kink_fns, _ = _lambdified(key)
    a = float(alpha)
    name = key if isinstance(key, str) else key.name
    h = d2(_CONVEX_GRID, a)
    if not np.all(np.isfinite(h)) or np.min(h) < -1e-12:
        k = int(np.nanargmin(np.where(np.isfinite(h), h, -np.inf)))
        raise InvalidParameterError(
            f"the loss of {name!r} at alpha={alpha!r} is not convex (l''({_CONVEX_GRID[k]:.3g})"
            f" = {h[k]:.3g} < 0); the proportional-limit theory needs a convex loss")
    kink = None
    if kink_fns is not None:
        lo, hi = (float(f(a)) for f in kink_fns)
        if not lo < hi:
            raise InvalidParameterError(
                f"the kink of {name!r} at t=0 has slopes ({lo}, {hi}) at alpha={alpha!r}; "
                "a convex kink needs l'(0-) < l'(0+)")
        if lo <= 0.0 <= hi:
            raise InvalidParameterError(
                f"at alpha={alpha!r} the loss of {name!r} is minimised at its kink t=0 "
                f"(l'(0-)={lo:.3g}, l'(0+)={hi:.3g}): the minimiser is w=0 and the accuracy "
                "is undefined; use a smaller alpha")
        kink = (lo, hi)
    target = None
    if not is_square(key) and not isinstance(key, str):
        # user forms only: the built-ins' l' never overflows on the quadrature nodes
        target = loss_target(key, a)[0] if a > 0 else None
    return CompiledLoss(name, a, d1, d2, mp1, mp2, kink, target)


def prox(loss: CompiledLoss, x, gamma: float, *, tol=1e-14, max_iter=400) -> np.ndarray:
    r"""Vectorised :math:`\operatorname{prox}_{\gamma\ell}(x)` (module docstring).

    >>> from numerics.asymptotics import compiled_loss, prox
    >>> p = prox(compiled_loss("square", 0.0), np.array([0.0, 3.0]), 0.5)   # (x+1)/2
    >>> np.round(p, 12).tolist()
    [0.5, 2.0]
    """
    # l' of a fast-growing f (cosh, exp) overflows at the far Gauss-Hermite nodes: the
    # bracket then falls back to the target (below) and inf/nan Newton steps are
    # rejected by the bracket test, so the float warnings carry no information.
    with np.errstate(over="ignore", invalid="ignore"):
        return _prox(loss, np.asarray(x, dtype=float), gamma, tol, max_iter)


def _prox(loss, x, gamma, tol, max_iter):
    a = loss.alpha
    out = np.zeros_like(x)
    active = np.ones(x.shape, dtype=bool)
    lo_clip = np.full(x.shape, -np.inf)
    hi_clip = np.full(x.shape, np.inf)
    if loss.kink is not None:
        s_lo, s_hi = loss.kink
        flat = (x >= gamma * s_lo) & (x <= gamma * s_hi)
        active &= ~flat
        lo_clip = np.where(x > gamma * s_hi, 0.0, lo_clip)
        hi_clip = np.where(x < gamma * s_lo, 0.0, hi_clip)
    xa = x[active]
    g0 = loss.dloss(xa, a)
    e1, e2 = xa, xa - gamma * g0
    if loss.target is not None and not np.all(np.isfinite(e2)):
        # l' overflowed: the prox of a convex l lies between x and the minimiser t*
        # (v + gamma l'(v) - x is <= 0 at min(x, t*) and >= 0 at max(x, t*))
        e2 = np.where(np.isfinite(e2), e2, loss.target)
    lo = np.maximum(np.minimum(e1, e2), lo_clip[active])
    hi = np.minimum(np.maximum(e1, e2), hi_clip[active])
    v = np.clip(xa - gamma * g0 / (1.0 + gamma * loss.d2loss(xa, a)), lo, hi)
    v = np.where(np.isfinite(v), v, 0.5 * (lo + hi))   # inf/inf Newton start: bisect
    scale = 1.0 + np.abs(xa)
    width = hi - lo
    for _ in range(max_iter):
        h = v + gamma * loss.dloss(v, a) - xa
        done = np.abs(h) <= tol * scale
        if done.all():
            out[active] = v
            return out
        lo = np.where(h < 0, v, lo)
        hi = np.where(h > 0, v, hi)
        step = v - h / (1.0 + gamma * loss.d2loss(v, a))
        mid = 0.5 * (lo + hi)
        # Newton inside the bracket while it halves the bracket; bisection otherwise
        # (Newton creeps from one side where l'' is nearly 0, e.g. label smoothing tails).
        ok = (step > lo) & (step < hi) & (hi - lo <= 0.5 * width)
        width = np.where(ok, width, hi - lo)
        width = np.where(hi - lo <= 0.5 * width, hi - lo, width)
        v = np.where(done, v, np.where(ok, step, mid))
        if np.all(done | (hi - lo <= 4 * np.finfo(float).eps * scale)):
            break
    h = v + gamma * loss.dloss(v, a) - xa
    if not np.all(np.abs(h) <= 1e-10 * scale):
        raise ConvergenceError(
            f"prox of {loss.name!r} (alpha={a}, gamma={gamma:.3g}) did not converge: "
            f"max residual {np.max(np.abs(h)):.3g}", iterations=max_iter)
    out[active] = v
    return out


def mp_prox(loss: CompiledLoss, x, gamma, start: float, *, alpha=None):
    r"""The prox at the working mpmath precision: Newton on :math:`v + \gamma\ell'(v) = x`
    from the float64 root ``start`` (quadratic convergence: 2-3 steps pass 30 digits),
    safeguarded by bisection inside the bracket of the module docstring and on the correct
    side of a kink; raises if the final residual is not at the working precision."""
    a = mpmath.mpf(loss.alpha) if alpha is None else alpha
    lo_side, hi_side = -mpmath.inf, mpmath.inf
    if loss.kink is not None:
        # one-sided slopes at the working precision (the float kink is off by an ulp)
        tiny = mpmath.mpf(10) ** (-2 * mpmath.mp.dps)
        s_lo, s_hi = loss.mp_dloss(-tiny, a), loss.mp_dloss(tiny, a)
        if gamma * s_lo <= x <= gamma * s_hi:
            return mpmath.mpf(0)
        if x > gamma * s_hi:
            lo_side = mpmath.mpf(0)
        else:
            hi_side = mpmath.mpf(0)
    if loss.kink is not None:
        # p = x - gamma*l'(p) with l' >= s_hi on p > 0 and l' <= s_lo on p < 0
        lo, hi = (lo_side, x - gamma * s_hi) if lo_side == 0 else (x - gamma * s_lo, hi_side)
    else:
        e2 = x - gamma * loss.mp_dloss(x, a)
        lo, hi = min(x, e2), max(x, e2)
    v = min(max(mpmath.mpf(start), lo), hi)
    if loss.kink is not None and v == 0:
        v = (lo + hi) / 2
    eps = mpmath.mpf(10) ** (-mpmath.mp.dps + 2) * (1 + abs(x))
    for _ in range(200):
        h = v + gamma * loss.mp_dloss(v, a) - x
        if abs(h) <= eps:
            return v
        if h < 0:
            lo = v
        else:
            hi = v
        step = v - h / (1 + gamma * loss.mp_d2loss(v, a))
        v = step if lo < step < hi else (lo + hi) / 2
    raise ConvergenceError(f"mpmath prox of {loss.name!r} did not converge at x={x}")


def is_square(regularizer) -> bool:
    """Whether ``regularizer`` names the pure square loss :math:`(t-1)^2`."""
    return isinstance(regularizer, str) and regularizer == SQUARE
