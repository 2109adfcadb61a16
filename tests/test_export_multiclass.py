r"""Batched multiclass exports (``logitreg export NAME --classes K --to FORMAT``).

References are independent of the exporter's row form (:mod:`numerics.export._vectorize`):
the loss is the K-symbol SymPy derivation lambdified onto mpmath
(``compile_multiclass(...).mp_loss``, class 1 as the label, columns permuted), evaluated at
50 digits; the gradient is :func:`mpmath.diff` of that loss at 50 digits (central
differences with mpmath's own step control, exact to far below float64 at non-kink points).

Error measure (also :mod:`numerics.conformance`): float64 ``lse(z) - z_y`` cancels terms of
size :math:`\|z\|_\infty`, and ``exp(z_k - lse)`` inherits the absolute error
:math:`\epsilon\|z\|_\infty` of its exponent, so errors are divided by the input scale:
value :math:`|v-e|/\max(|e|,\|z\|_\infty,1)`, gradient
:math:`\|g-g^*\|_\infty/(\max(\|g^*\|_\infty,1)\max(\|z\|_\infty,1))`.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import shutil
import subprocess
import warnings

import mpmath
import numpy as np
import pytest

import theory
from numerics import compile_multiclass
from numerics.export import export

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # small tensors: threads only add overhead on shared cores
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

#: float64 evaluation of <~40 correctly rounded operations, K-term sums (K <= 100) adding
#: ~K eps: worst ~1e-14 on the scale above; 1e-12 is the acceptance bound of the issue and
#: still 1e8 times below any wrong term or convention (those are off by >= 1e-4).
RTOL = 1e-12
BUILTINS = theory.list_regularizers()


def _load(src: str, name: str):
    spec = importlib.util.spec_from_loader(name, loader=None)
    mod = importlib.util.module_from_spec(spec)
    exec(compile(src, name, "exec"), mod.__dict__)
    return mod


_MODULES = {}


def _module(reg, k, fmt):
    key = (reg, k, fmt)
    if key not in _MODULES:
        _MODULES[key] = _load(export(reg, fmt, classes=k), f"mc_{reg}_{k}_{fmt}")
    return _MODULES[key]


def _rows(k, seed):
    """Random rows, an extreme row (|z| = 1e4), small values, and a label for each. (Kinks
    closer than mpmath.diff's step, ~1e-50, would spoil the reference: rows stay apart.)"""
    rng = np.random.default_rng(seed)
    z = [rng.normal(size=k) * 5.0, rng.normal(size=k) * 0.1]
    big = rng.uniform(-1e4, 1e4, size=k)
    big[rng.integers(k)] = 1e4
    z += [big, rng.normal(size=k) * 1e-12]
    z = np.array(z)
    return z, rng.integers(0, k, size=len(z))


def _to_front(row, label):
    """Columns with the label first (the derivation's loss is that of class 1)."""
    return [row[label]] + [v for j, v in enumerate(row) if j != label]


def _value_err(v, e, z):
    return np.abs(v - e) / max(abs(e), np.max(np.abs(z)), 1.0)


def _grad_err(g, e, z):
    return np.max(np.abs(g - e)) / (max(np.max(np.abs(e)), 1.0) * max(np.max(np.abs(z)), 1.0))


def _mp_reference(reg, k, z, y, alpha, components):
    """50-digit loss and d loss/d z_j for j in ``components`` (row coordinates)."""
    mp_loss = compile_multiclass(reg, k).mp_loss
    with mpmath.workdps(50):
        a = mpmath.mpf(alpha)
        x = [mpmath.mpf(float(v)) for v in z]

        def at(vec):
            return mp_loss(*_to_front(vec, y), a)

        value = at(x)
        grads = {}
        for j in components:
            grads[j] = mpmath.diff(lambda t: at(x[:j] + [t] + x[j + 1:]), x[j])
        return float(value), {j: float(g) for j, g in grads.items()}


# `make test` runs label smoothing at every K, MaxSup at 2, 3, 10, the quadratic at 10
# and the confidence penalty at 3; the rest of the K in {2, 3, 10, 100} matrix is
# slow-marked (`make verify-full`): theory.derive_multiclass of MaxSup's Max and of the
# confidence penalty's K softmax terms takes ~5-60 s per (f, K) on one core.
_SLOW = {("maxsup", 100), ("confidence_penalty", 100), ("confidence_penalty", 2),
         ("confidence_penalty", 10), ("quadratic", 2), ("quadratic", 3), ("quadratic", 100)}
AGREEMENT_CASES = [pytest.param(r, k, marks=pytest.mark.slow) if (r, k) in _SLOW else (r, k)
                   for r in BUILTINS for k in (2, 3, 10, 100)]


@pytest.mark.parametrize("reg,k", AGREEMENT_CASES)
def test_exports_agree_with_each_other_and_50_digits(reg, k):
    z, y = _rows(k, seed=k)
    alpha = 0.3
    np_mod, t_mod, j_mod = (_module(reg, k, f) for f in ("numpy", "torch", "jax"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow-free: no RuntimeWarning at |z| = 1e4
        v_np = np_mod.loss(z, y, alpha, reduction="none")
        g_np = np_mod.grad(z, y, alpha, reduction="none")
    zt = torch.tensor(z, requires_grad=True)
    v_t = t_mod.loss(zt, torch.tensor(y), alpha, reduction="none")
    (g_t,) = torch.autograd.grad(v_t.sum(), zt)
    g_t_exported = t_mod.grad(zt.detach(), torch.tensor(y), alpha, reduction="none").numpy()
    yj, zj = jnp.asarray(y), jnp.asarray(z)
    v_j = np.asarray(jax.jit(lambda v: j_mod.loss(v, yj, alpha, "none"))(zj))
    g_j = np.asarray(jax.grad(lambda v: j_mod.loss(v, yj, alpha, "sum"))(zj))
    for i in range(z.shape[0]):
        comps = list(range(k)) if k <= 10 else sorted({int(y[i]), int(np.argmax(z[i])), 0, k - 1})
        e, ge = _mp_reference(reg, k, z[i], int(y[i]), alpha, comps)
        for name, v in (("numpy", v_np[i]), ("torch", v_t[i].item()), ("jax", v_j[i])):
            assert _value_err(v, e, z[i]) <= RTOL, (name, i, v, e)
        want = np.array([ge[j] for j in comps])
        for name, g in (("numpy", g_np), ("torch autograd", g_t.numpy()),
                        ("torch exported", g_t_exported), ("jax grad", g_j)):
            assert _grad_err(g[i, comps], want, z[i]) <= RTOL, (name, i, g[i, comps], want)


@pytest.mark.parametrize("reg", BUILTINS)
def test_subnormal_logits_give_the_values_at_zero(reg):
    # |l(z) - l(0)| <= |z| |grad| ~ 1e-300: the exports must neither underflow to nan nor
    # lose the O(1) value; the values at 0 are (1-a) log K + a f(0), compared exactly
    # (to 2 ulps) with the row of zeros.
    k = 3
    mod = _module(reg, k, "numpy")
    z = np.array([np.full(k, 5e-324), np.arange(k) * 1e-300, np.zeros(k)])
    v = mod.loss(z, [0, 2, 0], 0.3, "none")
    g = mod.grad(z, [0, 2, 0], 0.3, "none")
    assert np.all(np.isfinite(v)) and np.all(np.isfinite(g))
    np.testing.assert_allclose(v, v[2], rtol=4.5e-16, atol=0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("k", [2, 3, 10, 100])
def test_torch_label_smoothing_is_f_cross_entropy_at_alpha_eps(k, reduction):
    mod = _module("label_smoothing", k, "torch")
    rng = np.random.default_rng(k)
    z = torch.tensor(rng.normal(size=(16, k)) * 4.0)
    y = torch.tensor(rng.integers(0, k, 16))
    for eps in (0.05, 0.3):
        ours = mod.Loss(eps, reduction=reduction)(z, y)
        ref = torch.nn.functional.cross_entropy(z, y, label_smoothing=eps, reduction=reduction)
        # two float64 evaluations of the same well-conditioned sums: ~10 ulps
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-13, atol=0)


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 2e-6), (torch.float64, 1e-13)])
def test_torch_module_autograd_float32_and_float64(dtype, tol):
    # float32: ~K eps32 = 10 * 6e-8 rounding in the softmax sums, 2e-6 leaves headroom.
    mod = _module("maxsup", 10, "torch")
    rng = np.random.default_rng(3)
    z64 = rng.normal(size=(8, 10)) * 3.0
    y = torch.tensor(rng.integers(0, 10, 8))
    z = torch.tensor(z64, dtype=dtype, requires_grad=True)
    out = mod.Loss(0.2)(z, y)
    assert out.dtype == dtype
    out.backward()
    want = mod.grad(torch.tensor(z64), y, 0.2).numpy()
    np.testing.assert_allclose(z.grad.double().numpy(), want, rtol=0, atol=tol)


def test_maxsup_gradient_at_ties_is_a_subgradient_everywhere():
    # Three-way tie of the top logits: each tied logit gets 1/3 of the max term, so for a
    # shift-invariant loss the components sum to 0 (sum_j d/dz_j of l(z + c 1) = 0).
    k, alpha = 10, 0.2
    z = np.array([[0.0, 0.0, 0.0] + [-1.0] * 7, [2.0] * 10])
    y = np.array([3, 1])
    mods = {f: _module("maxsup", k, f) for f in ("numpy", "torch", "jax")}
    g_np = mods["numpy"].grad(z, y, alpha, "none")
    zt = torch.tensor(z, requires_grad=True)
    (g_t,) = torch.autograd.grad(mods["torch"].loss(zt, torch.tensor(y), alpha, "sum"), zt)
    g_j = jax.grad(lambda v: mods["jax"].loss(v, jnp.asarray(y), alpha, "sum"))(jnp.asarray(z))
    # closed form at row 1 (all ten tied, label 1): (1-a)(1/10 - onehot) + a(1/10 - 1/10)
    row1 = (1 - alpha) * (0.1 - np.eye(k)[1])
    for g in (g_np, g_t.numpy(), np.asarray(g_j)):
        np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)  # a few ulps of O(1) terms
        np.testing.assert_allclose(g[1], row1, atol=1e-15)
        np.testing.assert_allclose(g[0, :3], g[0, 0], atol=1e-16)  # tied entries equal


@pytest.mark.parametrize("reg", BUILTINS)
def test_targets_and_gap_match_the_compiled_derivation(reg):
    comp = compile_multiclass(reg, 3)
    for fmt in ("numpy", "torch", "jax"):
        mod = _module(reg, 3, fmt)
        for a in (0.05, 0.2):
            qh, ql = mod.targets(a)
            want = comp.targets(a)
            # same formulas; the implicit gaps are solved by different root finders to
            # a few ulps of a well-conditioned root
            np.testing.assert_allclose([float(qh), float(ql)], want, rtol=1e-12)


def test_exported_loss_minimised_at_the_exported_targets():
    # Independent of the derivation: the per-sample loss at (q_high, q_low, ..) is a
    # minimum over the simplex direction: perturbing the gap raises it.
    mod = _module("label_smoothing", 5, "numpy")
    qh, ql = mod.targets(0.1)
    base = np.array([[qh] + [ql] * 4])
    v0 = mod.loss(base, [0], 0.1)
    for d in (1e-3, -1e-3):
        z = base + d * np.array([[0.8, -0.2, -0.2, -0.2, -0.2]])
        assert mod.loss(z, [0], 0.1) > v0
    np.testing.assert_allclose(mod.grad(base, [0], 0.1), 0.0, atol=1e-15)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("reg", ["maxsup", "confidence_penalty"])
def test_c_export_matches_numpy(tmp_path, reg):
    k = 3
    src = tmp_path / "m.c"
    src.write_text(export(reg, "c", classes=k))
    so = tmp_path / "m.so"
    subprocess.run(["cc", "-std=c99", "-O2", "-shared", "-fPIC", str(src), "-o", str(so), "-lm"],
                   check=True)
    lib = ctypes.CDLL(str(so))
    dbl = ctypes.c_double
    arr = ctypes.POINTER(dbl)
    getattr(lib, f"{reg}_loss").restype = dbl
    getattr(lib, f"{reg}_loss").argtypes = [arr, ctypes.c_int, dbl]
    getattr(lib, f"{reg}_grad").argtypes = [arr, ctypes.c_int, dbl, arr]
    getattr(lib, f"{reg}_gap_target").restype = dbl
    getattr(lib, f"{reg}_gap_target").argtypes = [dbl]
    mod = _module(reg, k, "numpy")
    z, y = _rows(k, seed=1)
    z = np.vstack([z, [[1.0, 1.0, -2.0]]])  # a tie of the top two
    y = np.append(y, 2)
    for row, lab in zip(z, y):
        buf = (dbl * k)(*row)
        out = (dbl * k)()
        v = getattr(lib, f"{reg}_loss")(buf, int(lab), 0.3)
        getattr(lib, f"{reg}_grad")(buf, int(lab), 0.3, out)
        # the same printed formulas, different loop order of the K-term sums: ~K ulps
        assert _value_err(v, mod.loss(row[None], [lab], 0.3), row) <= 1e-14
        assert _grad_err(np.array(out[:]), mod.grad(row[None], [lab], 0.3)[0], row) <= 1e-14
    np.testing.assert_allclose(getattr(lib, f"{reg}_gap_target")(0.1), mod.gap(0.1), rtol=1e-12)


def test_json_and_latex_carry_the_row_expressions():
    doc = json.loads(export("maxsup", "json", classes=4))
    assert doc["classes"] == 4 and doc["regularizer"] == "maxsup"
    assert "max_k[z]" in doc["f"]["str"] and "Heaviside" in doc["grad"]["str"]
    assert any("lam/(1 + lam)" in c for c in doc["conventions"])
    tex = export("label_smoothing", "latex", classes=4)
    assert r"\operatorname{lse}_{k}" in tex and r"\mathbb{1}[j = y]" in tex


def test_custom_multiclass_export_and_cli(tmp_path):
    from logitreg.cli import main

    out = tmp_path / "quartic.py"
    assert main(["export", "custom", "--f", "t**4", "--multiclass", "sum(z**4)",
                 "--classes", "3", "--to", "numpy", "-o", str(out)]) == 0
    mod = _load(out.read_text(), "quartic")
    z = np.array([[0.5, -1.0, 2.0]])
    # (1-a)(lse(z) - z_0) + a sum z^4, by hand
    lse = np.log(np.exp(z).sum())
    want = 0.7 * (lse - 0.5) + 0.3 * np.sum(z ** 4)
    np.testing.assert_allclose(mod.loss(z, [0], 0.3), want, rtol=1e-14)
    np.testing.assert_allclose(mod.grad(z, [0], 0.3)[0],
                               0.7 * (np.exp(z[0] - lse) - [1, 0, 0]) + 1.2 * z[0] ** 3,
                               rtol=1e-14)
    with pytest.raises(SystemExit):  # argparse refuses K = 1 (exit code 2)
        main(["export", "maxsup", "--classes", "1", "--to", "numpy"])


@pytest.mark.parametrize("fmt", ["numpy", "torch"])
@pytest.mark.parametrize("bad", [-1, 3, 2.5])
def test_out_of_range_labels_are_named(fmt, bad):
    # A negative label would otherwise select the last class silently (negative indexing)
    mod = _module("label_smoothing", 3, fmt)
    z = np.zeros((2, 3))
    y = np.array([0, bad])
    if fmt == "torch":
        z, y = torch.as_tensor(z), torch.as_tensor(y)
    with pytest.raises(ValueError, match=rf"labels must be integers in \[0, 3\); got {bad!r} at position 1"):
        mod.loss(z, y, 0.1)
