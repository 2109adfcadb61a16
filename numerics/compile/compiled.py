r"""Compiled loss functions: NumPy (stable float64) and mpmath, from ``theory`` only.

Every function here is ``sympy.lambdify`` of an expression derived in :mod:`theory`;
nothing is retyped. The stable primitives (softplus, sigmoid, lse) keep every function
finite for :math:`|t| \le 10^4` without overflow warnings.

.. math::
    \ell(t) = (1-\alpha)\operatorname{softplus}(-t) + \alpha f(t),\qquad
    t^*(\alpha) = \operatorname*{argmin}_t \ell(t)\quad(\text{claims B1, B7, M1}).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

from theory import (ALPHA, G, T, cross_entropy, derive_binary, derive_multiclass,
                    get_regularizer, logit_symbols)
from core.validation import check_alpha
from theory._solve import drop_dirac

from numerics.compile._generated import GeneratedFunction, generate, wrap_numpy
from numerics.compile._primitives import MPMATH_PRIMITIVES, NUMPY_PRIMITIVES
from numerics.compile._stationary import T_MAX, stationary_point as _stationary_point
from numerics.compile._ties import tie_aware_diff
from numerics.compile._global_target import global_refine
from theory._properties import curvature_sign

__all__ = ["CompiledBinary", "CompiledMulticlass", "compile_binary", "compile_multiclass",
           "cross_entropy_functions",
           "lambdify_numpy", "lambdify_mpmath", "generate_numpy", "generate_mpmath", "T_MAX"]


#: ``lambdify`` settings of :func:`lambdify_numpy` and :func:`lambdify_mpmath`, shared with
#: :func:`generate_numpy` so that cached and live functions are the same code.
NUMPY_MODULES = [NUMPY_PRIMITIVES, "numpy"]
NUMPY_CSE = True
MPMATH_MODULES = [MPMATH_PRIMITIVES, "mpmath"]


def lambdify_numpy(args, expr) -> Callable:
    """``lambdify(args, expr)`` onto NumPy with the stable primitives, common-subexpression
    eliminated; the result accepts scalars and arrays (:func:`._generated.wrap_numpy`: no
    warnings, NaN points redone at 50 digits)."""
    fn = sp.lambdify(tuple(args), expr, modules=NUMPY_MODULES, cse=NUMPY_CSE)
    return wrap_numpy(fn, tuple(str(a) for a in args),
                      lambda: lambdify_mpmath(args, expr), lambda: sp.sstr(expr)[:120])


def lambdify_mpmath(args, expr) -> Callable:
    """``lambdify(args, expr)`` onto mpmath (precision set by the caller's ``workdps``)."""
    return sp.lambdify(tuple(args), expr, modules=MPMATH_MODULES)


def generate_numpy(args, expr) -> GeneratedFunction:
    """The source of :func:`lambdify_numpy` (with its mpmath fallback) as a storable
    :class:`._generated.GeneratedFunction`; :func:`._generated.load` gives the same
    function without SymPy."""
    return generate(args, expr, NUMPY_MODULES, kind="numpy", cse=NUMPY_CSE,
                    fallback=generate_mpmath(args, expr))


def generate_mpmath(args, expr) -> GeneratedFunction:
    """The source of :func:`lambdify_mpmath` as a storable artefact."""
    return generate(args, expr, MPMATH_MODULES, kind="mpmath")


def _map_alpha(alpha, fn, caller):
    """Validate every alpha in ``(0, 1)`` and apply ``fn`` elementwise (scalar in, float out)."""
    arr = np.asarray(alpha, dtype=float)
    for a in arr.ravel():
        check_alpha(float(a), caller=caller, allow_zero=False)
    out = np.array([fn(float(a)) for a in arr.ravel()]).reshape(arr.shape)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class CompiledBinary:
    r"""NumPy and mpmath callables for one regulariser, binary case (claims B1, B7).

    ``loss(t, alpha)``, ``dloss``, ``d2loss`` (:math:`\ell, \ell', \ell''`),
    ``alpha_of_target(t)`` (:math:`\alpha(t^*)`), ``target(alpha)`` (:math:`t^*`) and
    ``curvature(alpha)`` (:math:`\ell''(t^*)`); ``mp_*`` are the mpmath versions.
    """

    name: str
    derivation: object
    loss: Callable
    dloss: Callable
    d2loss: Callable
    alpha_of_target: Callable
    closed_target: Callable | None
    mp_loss: Callable
    mp_dloss: Callable
    mp_d2loss: Callable
    mp_alpha_of_target: Callable
    mp_closed_target: Callable | None
    alpha_max: float
    #: convexity of f not evident (composition rules): the root is checked to be global
    global_scan: bool = False

    def _target_scalar(self, a: float) -> float:
        t = _stationary_point(a, self.alpha_max, self.closed_target, self.dloss,
                              self.d2loss, self.mp_dloss)
        if self.global_scan:
            t = global_refine(t, a, self.loss, self.dloss, self.d2loss)
        return t

    def target(self, alpha):
        r"""Target logit :math:`t^*(\alpha) = \operatorname{argmin}_t \ell(t)`, :math:`\alpha\in(0,1)`.

        Closed form when SymPy found one, else Brent's method on :math:`\ell'(t)=0`
        bracketed in :math:`(0, t_{hi}]` and polished by Newton steps (machine precision).
        Returns 0 for :math:`\alpha \ge \alpha_{max}` (non-smooth f, degenerate target).
        """
        return _map_alpha(alpha, self._target_scalar, f"target({self.name!r})")

    def curvature(self, alpha):
        r"""Curvature at the target, :math:`\ell''(t^*(\alpha))` (a.e. for non-smooth f)."""
        return self.d2loss(self.target(alpha), alpha)

    def mp_target(self, alpha, dps: int = 50):
        r""":math:`t^*(\alpha)` at ``dps`` digits: ``findroot`` on the mpmath :math:`\ell'`
        started from the float64 target (certification of :meth:`target`)."""
        check_alpha(alpha, caller=f"mp_target({self.name!r})", allow_zero=False)
        t0 = self.target(float(alpha))
        with mpmath.workdps(dps):
            a = mpmath.mpf(alpha) if not isinstance(alpha, float) else mpmath.mpf(repr(alpha))
            if t0 == 0.0:
                return mpmath.mpf(0)
            if self.mp_closed_target is not None:
                return self.mp_closed_target(a)
            return mpmath.findroot(lambda t: self.mp_dloss(t, a), mpmath.mpf(t0),
                                   tol=mpmath.mpf(10) ** (-dps + 5))


@functools.lru_cache(maxsize=64)
def compile_binary(regularizer) -> CompiledBinary:
    r"""Compile the binary derivation of ``regularizer`` (name or :class:`Regularizer`).

    >>> c = compile_binary("quadratic")
    >>> round(c.target(0.2), 6)
    0.674832
    """
    reg = get_regularizer(regularizer)
    d = derive_binary(reg)
    ta = (T, ALPHA)
    closed = mp_closed = None
    if d.target_closed_form is not None:
        closed = lambdify_numpy((ALPHA,), d.target_closed_form)
        mp_closed = lambdify_mpmath((ALPHA,), d.target_closed_form)
    amax = float(d.alpha_max)
    return CompiledBinary(
        reg.name, d,
        lambdify_numpy(ta, d.loss), lambdify_numpy(ta, d.dloss), lambdify_numpy(ta, d.d2loss),
        lambdify_numpy((T,), d.alpha_of_target), closed,
        lambdify_mpmath(ta, d.loss), lambdify_mpmath(ta, d.dloss), lambdify_mpmath(ta, d.d2loss),
        lambdify_mpmath((T,), d.alpha_of_target), mp_closed, amax,
        curvature_sign(d.f, [T]) not in ("convex", "affine", "constant"))


@functools.lru_cache(maxsize=1)
def cross_entropy_functions():
    r"""Compiled :math:`\ell_{CE}(t) = \operatorname{softplus}(-t)` and its first two
    derivatives, as NumPy callables of ``t`` (the :math:`\alpha = 0` loss; B7, B13, G1)."""
    ce = cross_entropy(T)
    d1 = sp.diff(ce, T)
    return tuple(lambdify_numpy((T,), e) for e in (ce, d1, sp.diff(d1, T)))


@dataclass(frozen=True)
class CompiledMulticlass:
    r"""Compiled multiclass functions for ``K`` classes (claim M1).

    Reduced problem in the gap ``g``: ``gap_loss(g, alpha)``, ``dgap``, ``d2gap``,
    ``alpha_of_gap(g)``, ``gap(alpha)``, ``q_high(alpha)``, ``q_low(alpha)``.
    Full per-sample loss for class 0: ``loss(*z, alpha)``, ``grad`` (list of K callables),
    ``hess`` (K×K nested list); for class ``c`` permute the columns.
    """

    name: str
    k: int
    derivation: object
    gap_loss: Callable
    dgap: Callable
    d2gap: Callable
    alpha_of_gap: Callable
    closed_gap: Callable | None
    q_high_of_gap: Callable
    q_low_of_gap: Callable
    loss: Callable
    mp_loss: Callable
    mp_dgap: Callable
    alpha_max: float

    def _gap_scalar(self, a):
        return _stationary_point(a, self.alpha_max, self.closed_gap, self.dgap, self.d2gap,
                                 self.mp_dgap)

    def gap(self, alpha):
        r"""Target gap :math:`g^* = q_{high} - q_{low}` for :math:`\alpha \in (0, 1)`."""
        return _map_alpha(alpha, self._gap_scalar, f"gap({self.name!r}, K={self.k})")

    def targets(self, alpha):
        """``(q_high, q_low)`` of the symmetric simplex target (M1)."""
        g = self.gap(alpha)
        return self.q_high_of_gap(g), self.q_low_of_gap(g)

    @functools.cached_property
    def grad(self):
        z = logit_symbols(self.k)
        d = self.derivation
        # max/min by the tie-set rule: at a tie of m top logits each gets 1/m (a subgradient)
        return [lambdify_numpy((*z, ALPHA), tie_aware_diff(d.loss, zk)) for zk in z]

    @functools.cached_property
    def hess(self):
        z = logit_symbols(self.k)
        d = self.derivation
        return [[lambdify_numpy((*z, ALPHA), drop_dirac(tie_aware_diff(d.loss, zi, zj)))
                 for zj in z]
                for zi in z]


@functools.lru_cache(maxsize=128)
def compile_multiclass(regularizer, k: int) -> CompiledMulticlass:
    r"""Compile :func:`theory.derive_multiclass` for ``K`` classes (claim M1)."""
    reg = get_regularizer(regularizer)
    d = derive_multiclass(reg, k)
    ga = (G, ALPHA)
    z = logit_symbols(k)
    closed = None
    if d.gap_closed_form is not None:
        closed = lambdify_numpy((ALPHA,), d.gap_closed_form)
    return CompiledMulticlass(
        reg.name, k, d,
        lambdify_numpy(ga, d.gap_loss), lambdify_numpy(ga, d.dgap_loss),
        lambdify_numpy(ga, d.d2gap_loss), lambdify_numpy((G,), d.alpha_of_gap), closed,
        lambdify_numpy((G,), d.q_high), lambdify_numpy((G,), d.q_low),
        lambdify_numpy((*z, ALPHA), d.loss), lambdify_mpmath((*z, ALPHA), d.loss),
        lambdify_mpmath(ga, d.dgap_loss), float(d.alpha_max))
