r"""Runtime text of the Python-family exports: imports, helpers, target wrappers, solver.

Only algorithms and the textbook stable primitives live here (softplus as
``logaddexp(0, x)``, sigmoid through ``exp(-|x|)``, max-shifted logsumexp); every formula
of the loss family is printed from SymPy in :mod:`numerics.export._python`.
"""

from __future__ import annotations

__all__ = ["IMPORTS", "DEPENDENCIES", "RUNTIME", "HELPERS", "CLOSED_TARGET",
           "IMPLICIT_WRAPPER", "SOLVER"]

IMPORTS = {
    "numpy": "import numpy\n",
    "torch": "import torch\n",
    "jax": "import jax\nimport jax.numpy\n",
}

DEPENDENCIES = {
    "numpy": "numpy only",
    "torch": "torch (inputs are converted to float64 tensors unless already floating)",
    "jax": "jax; call jax.config.update('jax_enable_x64', True) before use for float64",
}

RUNTIME = {
    "numpy": '''
def _as_array(x):
    return numpy.asarray(x, dtype=float)


def _finish(value, *args):
    shape = numpy.broadcast_shapes(*[numpy.shape(a) for a in args])
    out = numpy.broadcast_to(numpy.asarray(value, dtype=float), shape)
    return float(out) if out.ndim == 0 else out.copy()


def _check_alpha(a):
    if not numpy.all((a > 0.0) & (a < 1.0)):
        raise ValueError(f"alpha must be in (0, 1); got {a!r}")
''',
    "torch": '''
def _as_array(x):
    if isinstance(x, torch.Tensor):
        return x if x.is_floating_point() else x.to(torch.float64)
    return torch.as_tensor(x, dtype=torch.float64)


def _finish(value, *args):
    shape = torch.broadcast_shapes(*[a.shape for a in args])
    return torch.broadcast_to(_as_array(value), shape)


def _check_alpha(a):
    if not bool(torch.all((a > 0.0) & (a < 1.0))):
        raise ValueError(f"alpha must be in (0, 1); got {a!r}")
''',
    "jax": '''
def _as_array(x):
    x = jax.numpy.asarray(x)
    if jax.numpy.issubdtype(x.dtype, jax.numpy.floating):
        return x
    return x.astype(jax.numpy.result_type(float))


def _finish(value, *args):
    shape = jax.numpy.broadcast_shapes(*[jax.numpy.shape(a) for a in args])
    return jax.numpy.broadcast_to(jax.numpy.asarray(value), shape)


def _check_alpha(a):
    try:
        ok = bool(jax.numpy.all((a > 0.0) & (a < 1.0)))
    except jax.errors.ConcretizationTypeError:
        return  # traced (jit/grad/vmap): an invalid alpha gives nan instead of an error
    if not ok:
        raise ValueError(f"alpha must be in (0, 1); got {a!r}")
''',
}

HELPERS = {
    "numpy": {
        "Softplus": '''
def _softplus(x):
    """softplus(x) = log(1 + exp(x)) = logaddexp(0, x): never overflows."""
    return numpy.logaddexp(0.0, x)
''',
        "Sigmoid": '''
def _sigmoid(x):
    """sigmoid(x) = 1/(1 + exp(-x)) through exp(-|x|) <= 1: never overflows."""
    e = numpy.exp(-numpy.abs(x))
    return numpy.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
''',
        "LogSumExp": '''
def _logsumexp(*zs):
    """log(sum_k exp(z_k)), shifted by the largest z_k."""
    z = numpy.stack(numpy.broadcast_arrays(*[_as_array(v) for v in zs]))
    m = numpy.max(z, axis=0)
    m = numpy.where(numpy.isfinite(m), m, 0.0)
    return m + numpy.log(numpy.sum(numpy.exp(z - m), axis=0))
''',
        "Heaviside": '''
def _heaviside(x, h0):
    return numpy.heaviside(x, h0)
''',
        "Max": '''
def _maximum(a, b):
    return numpy.maximum(a, b)
''',
        "Min": '''
def _minimum(a, b):
    return numpy.minimum(a, b)
''',
    },
    "torch": {
        "Softplus": '''
def _softplus(x):
    """softplus(x) = log(1 + exp(x)).

    threshold=40: above it F.softplus returns x, off by exp(-40)/40 ~ 1e-19 relative;
    the default threshold 20 would be off by 1e-10.
    """
    return torch.nn.functional.softplus(_as_array(x), beta=1.0, threshold=40.0)
''',
        "Sigmoid": '''
def _sigmoid(x):
    return torch.sigmoid(_as_array(x))
''',
        "LogSumExp": '''
def _logsumexp(*zs):
    return torch.logsumexp(torch.stack(torch.broadcast_tensors(*[_as_array(z) for z in zs])),
                           dim=0)
''',
        "Heaviside": '''
def _heaviside(x, h0):
    x = _as_array(x)
    return torch.heaviside(x, torch.as_tensor(h0, dtype=x.dtype))
''',
        "Max": '''
def _maximum(a, b):
    return torch.maximum(_as_array(a), _as_array(b))
''',
        "Min": '''
def _minimum(a, b):
    return torch.minimum(_as_array(a), _as_array(b))
''',
    },
    "jax": {
        "Softplus": '''
def _softplus(x):
    return jax.nn.softplus(x)
''',
        "Sigmoid": '''
def _sigmoid(x):
    return jax.nn.sigmoid(x)
''',
        "LogSumExp": '''
def _logsumexp(*zs):
    return jax.nn.logsumexp(jax.numpy.stack(jax.numpy.broadcast_arrays(*zs)), axis=0)
''',
        "Heaviside": '''
def _heaviside(x, h0):
    return jax.numpy.heaviside(x, h0)
''',
        "Max": '''
def _maximum(a, b):
    return jax.numpy.maximum(a, b)
''',
        "Min": '''
def _minimum(a, b):
    return jax.numpy.minimum(a, b)
''',
    },
}

CLOSED_TARGET = {
    "numpy": '''
def target(alpha):
    r"""Target logit t*(alpha) = argmin_t l(t): the closed form, and 0 for alpha >= ALPHA_MAX."""
    a = _as_array(alpha)
    _check_alpha(a)
    inside = a < ALPHA_MAX
    safe = numpy.where(inside, a, 0.5 * ALPHA_MAX)  # keep the closed form off its degenerate range
    return _finish(numpy.where(inside, _closed_target(safe), 0.0), a)
''',
    "torch": '''
def target(alpha):
    r"""Target logit t*(alpha) = argmin_t l(t): the closed form (differentiable in alpha),
    and 0 for alpha >= ALPHA_MAX."""
    a = _as_array(alpha)
    _check_alpha(a)
    inside = a < ALPHA_MAX
    safe = torch.where(inside, a, torch.full_like(a, 0.5 * ALPHA_MAX))
    return _finish(torch.where(inside, _closed_target(safe), torch.zeros_like(a)), a)
''',
    "jax": '''
def target(alpha):
    r"""Target logit t*(alpha) = argmin_t l(t): the closed form (jit/grad-compatible),
    0 for alpha >= ALPHA_MAX, nan for alpha outside (0, 1) under tracing."""
    a = _as_array(alpha)
    _check_alpha(a)
    inside = a < ALPHA_MAX
    safe = jax.numpy.where(inside, a, 0.5 * ALPHA_MAX)
    out = jax.numpy.where(inside, _closed_target(safe), 0.0)
    return _finish(jax.numpy.where((a > 0.0) & (a < 1.0), out, jax.numpy.nan), a)
''',
}

IMPLICIT_WRAPPER = {
    "numpy": '''
def target(alpha):
    r"""Target logit t*(alpha) = argmin_t l(t), solved per element (see _implicit_target)."""
    a = _as_array(alpha)
    _check_alpha(a)
    out = numpy.array([0.0 if x >= ALPHA_MAX else _implicit_target(x)
                       for x in a.ravel().tolist()], dtype=float).reshape(a.shape)
    return float(out) if out.ndim == 0 else out
''',
    "torch": '''
def target(alpha):
    r"""Target logit t*(alpha) = argmin_t l(t), solved per element (see _implicit_target);
    not differentiable through the solver."""
    a = _as_array(alpha)
    _check_alpha(a)
    out = [0.0 if x >= ALPHA_MAX else _implicit_target(x) for x in a.reshape(-1).tolist()]
    return torch.tensor(out, dtype=a.dtype).reshape(a.shape)
''',
    "jax": '''
_dloss_jit = jax.jit(dloss)
_d2loss_jit = jax.jit(d2loss)
_alpha_of_target_jit = jax.jit(alpha_of_target)


def target(alpha):
    r"""Target logit t*(alpha) = argmin_t l(t), solved per element on the host (see
    _implicit_target); not traceable by jit/grad."""
    a = _as_array(alpha)
    _check_alpha(a)
    out = [0.0 if x >= ALPHA_MAX else _implicit_target(x) for x in a.ravel().tolist()]
    return jax.numpy.asarray(out, dtype=a.dtype).reshape(a.shape)
''',
}

SOLVER = '''
def _implicit_target(a):
    r"""t*(a) for one float a in (0, ALPHA_MAX): the root t* > 0 of l'(t) = 0.

    {note}
    """
    def slope(t):
        g = float({dloss}(t, a))
        if g == 0.0 or g != g:
            g = a - float({alpha_of_target}(t))
        return g

    lo, hi = 0.0, 1.0
    while not slope(hi) > 0.0:
        lo, hi = hi, 2.0 * hi
        if hi > 1e300:
            raise ValueError(f"no stationary point of the loss for alpha={{a!r}}")
    while True:
        mid = lo + 0.5 * (hi - lo)
        if not lo < mid < hi:
            break
        if slope(mid) > 0.0:
            hi = mid
        else:
            lo = mid
    if lo < 2.2250738585072014e-308:  # lo == 0 (or subnormal, when flushed to zero)
        return 0.0  # l'(0+) >= 0: the kink of a non-smooth f pins t* at 0
    t = lo if abs(slope(lo)) <= abs(slope(hi)) else hi
    r = abs(float({dloss}(t, a)))
    for _ in range(3):
        h = float({d2loss}(t, a))
        if not (h > 0.0 and math.isfinite(h)):
            break
        cand = t - float({dloss}(t, a)) / h
        if not cand > 0.0:
            break
        rc = abs(float({dloss}(cand, a)))
        if not rc < r:
            break
        t, r = cand, rc
    return t
'''
