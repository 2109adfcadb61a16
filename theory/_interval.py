r"""Interval extensions of SymPy expressions (mpmath ``iv``), for certified bounds.

:func:`interval_function` turns an expression in one symbol into a callable that maps an
interval :math:`I` to an interval containing :math:`\{g(x) : x \in I\}` (outward rounded by
mpmath's interval arithmetic). It is what makes the global-minimum certificates of
:mod:`theory._hypotheses` proofs rather than samples (docs/theory.md §1, "How the
hypotheses are established").

mpmath's ``iv`` context lacks ``cosh``, ``sinh``, ``tanh``, ``atan`` and ``asinh``; those
are monotone (``cosh`` on each half-line), so their range over an interval is the range of
their endpoint values, each computed in interval arithmetic from ``exp``/``log``/``sqrt``
(``atan`` from the mpmath value widened by :math:`10^{-(dps-5)}` relative). Unknown nodes
raise :class:`UnsupportedInterval` and the caller reports "unknown" instead of guessing.
"""

from __future__ import annotations

import contextlib
import mpmath
import sympy as sp
from mpmath import iv

from theory._functions import LogSumExp, Sigmoid, Softplus

__all__ = ["UnsupportedInterval", "interval_function", "ival", "DPS"]

#: Working precision of the interval certificates (digits).
DPS = 30


class UnsupportedInterval(Exception):
    """The expression has a node without an interval extension here."""


def ival(lo, hi=None):
    """The interval ``[lo, hi]`` (a point interval when ``hi`` is omitted)."""
    if hi is None:
        return iv.mpf(lo) if not isinstance(lo, type(iv.mpf(0))) else lo
    return iv.mpf([lo, hi])


def _lo(x):
    return x.a if hasattr(x, "a") else x


def _hi(x):
    return x.b if hasattr(x, "b") else x


def _hull(values):
    return iv.mpf([min(_lo(v) for v in values), max(_hi(v) for v in values)])


def _point(x):
    return iv.mpf(x)


def _monotone(point_fn):
    """Extension of an increasing function from its interval values at the endpoints."""
    def apply(x):
        a, b = point_fn(_point(x.a)), point_fn(_point(x.b))
        return iv.mpf([_lo(a), _hi(b)])
    return apply


def _monotone_mp(mp_fn):
    """Extension of an increasing function from its mpmath values at the endpoints, at
    ``DPS + 10`` digits and widened outward by :math:`10^{-(DPS+5)}` relative (mpmath's
    elementary functions are accurate to an ulp or two of the working precision)."""
    def value(p, sign):
        if mpmath.isinf(p):
            with mpmath.workdps(DPS + 10):
                return mp_fn(p)
        with mpmath.workdps(DPS + 10):
            v = mp_fn(p)
            pad = abs(v) * mpmath.mpf(10) ** (-DPS - 5) + mpmath.mpf(10) ** (-10 * DPS)
            return v + sign * pad

    def apply(x):
        return iv.mpf([value(x.a, -1), value(x.b, 1)])
    return apply


def _mp_softplus(p):
    return max(p, 0) + mpmath.log1p(mpmath.exp(-abs(p)))


def _mp_sigmoid(p):
    return 1 / (1 + mpmath.exp(-p)) if p >= 0 else mpmath.exp(p) / (1 + mpmath.exp(p))


def _sinh(p):
    return (iv.exp(p) - iv.exp(-p)) / 2


def _tanh(p):
    if p.a >= 0:
        e = iv.exp(-2 * p)
        return (1 - e) / (1 + e)
    e = iv.exp(2 * p)
    return (e - 1) / (e + 1)


def _asinh(p):
    if p.a >= 0:
        return iv.log(p + iv.sqrt(p * p + 1))
    return -iv.log(-p + iv.sqrt(p * p + 1))


def _atan(p):
    with mpmath.workdps(DPS + 10):
        v = mpmath.atan(mpmath.mpf(p.a))
    pad = abs(v) * mpmath.mpf(10) ** (-DPS + 5) + mpmath.mpf(10) ** (-DPS * 4)
    return iv.mpf([v - pad, v + pad])


def _softplus(p):
    # log(1 + e^x) = max(x, 0) + log(1 + e^{-|x|}): no overflow of e^x for large x.
    if p.a >= 0:
        return p + iv.log(1 + iv.exp(-p))
    return iv.log(1 + iv.exp(p))


def _sigmoid(p):
    if p.a >= 0:
        return 1 / (1 + iv.exp(-p))
    e = iv.exp(p)
    return e / (1 + e)


def _cosh(x):
    a, b = x.a, x.b
    lo = 0 if a <= 0 <= b else min(abs(a), abs(b))
    hi = max(abs(a), abs(b))
    clo = (iv.exp(_point(lo)) + iv.exp(-_point(lo))) / 2
    chi = (iv.exp(_point(hi)) + iv.exp(-_point(hi))) / 2
    return iv.mpf([_lo(clo), _hi(chi)])


def _abs(x):
    a, b = x.a, x.b
    if a >= 0:
        return x
    if b <= 0:
        return -x
    return iv.mpf([0, max(-a, b)])


def _sign(x):
    return iv.mpf([mpmath.sign(x.a), mpmath.sign(x.b)])


def _log(x):
    if x.a <= 0:
        raise ArithmeticError("log of an interval reaching 0")
    return iv.log(x)


def _lse(*xs):
    # lse(x) = m + log(sum exp(x - m)) with m = max of the upper ends: no overflow.
    m = iv.mpf(max(x.b for x in xs))
    return m + iv.log(sum((iv.exp(x - m) for x in xs), iv.mpf(0)))


_UNARY = {
    sp.exp: iv.exp, sp.log: _log, sp.sin: iv.sin, sp.cos: iv.cos, sp.cosh: _cosh,
    sp.sinh: _monotone(_sinh), sp.tanh: _monotone(_tanh), sp.atan: _monotone(_atan),
    sp.asinh: _monotone(_asinh), sp.Abs: _abs, sp.sign: _sign,
    # the stable primitives sit in every loss: the faster mpmath endpoint route
    Softplus: _monotone_mp(_mp_softplus), Sigmoid: _monotone_mp(_mp_sigmoid),
}


def _number(value):
    if value is sp.pi:
        return iv.pi
    if value is sp.E:
        return iv.e
    if value.is_Integer:
        return iv.mpf(int(value))
    if value.is_Rational:
        return iv.mpf(int(value.p)) / int(value.q)
    if value.is_Float:
        return iv.mpf(str(value))
    # any other exact constant (sqrt(2), log(3), ...): evaluate its own tree
    return _build(value, None)(None)


def _build(expr, sym):
    """A closure evaluating ``expr`` on an interval value of ``sym``."""
    if expr == sym:
        return lambda x: x
    if expr.is_Number or expr in (sp.pi, sp.E):
        c = _number(expr)
        return lambda x: c
    parts = [_build(a, sym) for a in expr.args]
    if expr.is_Add:
        return lambda x: sum((p(x) for p in parts[1:]), parts[0](x))
    if expr.is_Mul:
        def mul(x):
            out = parts[0](x)
            for p in parts[1:]:
                out = out * p(x)
            return out
        return mul
    if expr.is_Pow:
        base, ex = parts
        e = expr.args[1]
        if e.is_Integer:
            n = int(e)
            return (lambda x: base(x) ** n) if n >= 0 else (lambda x: 1 / base(x) ** (-n))
        if e == sp.Rational(1, 2):
            return lambda x: iv.sqrt(base(x))
        return lambda x: iv.exp(ex(x) * _log(base(x)))
    if isinstance(expr, (sp.Max, sp.Min)):
        pick = max if isinstance(expr, sp.Max) else min

        def extreme(x):
            vals = [p(x) for p in parts]
            return iv.mpf([pick(v.a for v in vals), pick(v.b for v in vals)])
        return extreme
    if isinstance(expr, LogSumExp):
        return lambda x: _lse(*(p(x) for p in parts))
    fn = _UNARY.get(type(expr))
    if fn is None or len(parts) != 1:
        raise UnsupportedInterval(f"no interval extension for {type(expr).__name__}")
    (arg,) = parts
    return lambda x: fn(arg(x))


def interval_function(expr, sym):
    r"""``g(I)`` enclosing the range of ``expr`` over the interval ``I`` of ``sym``.

    >>> import sympy as sp
    >>> t = sp.Symbol("t", real=True)
    >>> g = interval_function(t**2 - 2*t, t)
    >>> r = g(ival(0, 1)); bool(r.a <= -1 and r.b >= 0)
    True
    """
    with _workdps():
        build = _build(sp.sympify(expr), sym)

    def call(x):
        with _workdps():
            return build(ival(x) if not hasattr(x, "a") else x)
    return call


@contextlib.contextmanager
def _workdps():
    """``iv.dps = DPS`` inside the block, restored after (``iv`` has no ``workdps``)."""
    saved = iv.dps
    iv.dps = DPS
    try:
        yield
    finally:
        iv.dps = saved


def hull(values):
    """The smallest interval containing every interval in ``values``."""
    return _hull(list(values))
