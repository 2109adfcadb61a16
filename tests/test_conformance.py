r"""Conformance testing (:mod:`numerics.conformance`, ``logitreg conform``, ``convert``).

Real implementations (PyTorch's built-in label smoothing, optax when installed, a
hand-written JAX one) must be identified with their convention; deliberately wrong ones
(eps/(K-1) targets, a naive overflowing softmax, MaxSup without its mean term, a gradient
off by a factor) must be caught and explained. The conversions of
:func:`numerics.export.convert` are checked against PyTorch's probability-target
cross-entropy, an implementation of the soft targets that is independent of ours.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import compile_multiclass
from numerics.conformance import assert_loss_matches, batches, conform, logits, reference_loss
from numerics.export import convert

torch = pytest.importorskip("torch")
F = torch.nn.functional
torch.set_num_threads(1)  # small tensors: threads only add overhead on shared cores

K = 5
EXAMPLES = 15  # deterministic hypothesis examples per check (kept small: < 60 s budget)


def torch_ls(z, y, eps):
    return F.cross_entropy(z, y, label_smoothing=eps)


def torch_ls_sum(z, y, eps):
    return F.cross_entropy(z, y, label_smoothing=eps, reduction="sum")


def eps_over_k_minus_1(z, y, eps):
    k = z.shape[-1]
    oh = F.one_hot(y, k).to(z.dtype)
    q = oh * (1 - eps) + (1 - oh) * eps / (k - 1)
    return -(q * torch.log_softmax(z, -1)).sum(-1).mean()


def naive_softmax(z, y, eps):
    k = z.shape[-1]
    p = torch.exp(z) / torch.exp(z).sum(-1, keepdim=True)
    q = F.one_hot(y, k).to(z.dtype) * (1 - eps) + eps / k
    return -(q * torch.log(p)).sum(-1).mean()


def maxsup_published(z, y, lam):
    return F.cross_entropy(z, y) + lam * (z.amax(-1) - z.mean(-1)).mean()


def maxsup_without_mean(z, y, lam):
    return F.cross_entropy(z, y) + lam * z.amax(-1).mean()


class _Twice(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return 2 * g


def gradient_doubled(z, y, eps):
    return F.cross_entropy(_Twice.apply(z), y, label_smoothing=eps)


def test_torch_label_smoothing_is_identified():
    r = conform(torch_ls, "label_smoothing", K, strength=0.1, examples=EXAMPLES)
    assert r.ok, r.summary()
    assert r.identified == "label_smoothing, alpha = eps, mean reduction"
    # F.cross_entropy in float64 vs 50 digits: a few ulps on the input scale
    assert r.worst_value_error < 1e-14 and r.worst_grad_error < 1e-14
    assert "PASS" in r.summary()


def test_reductions_are_detected():
    r = conform(torch_ls_sum, "label_smoothing", K, strength=0.2, examples=5)
    assert r.ok and r.reduction == "sum"
    r = conform(lambda z, y, e: F.cross_entropy(z, y, label_smoothing=e, reduction="none"),
                "label_smoothing", K, strength=0.2, examples=5, backend="torch")
    assert r.ok and r.reduction == "none"


def test_eps_over_k_minus_1_is_detected_and_refused_as_torch_convention():
    r = conform(eps_over_k_minus_1, "label_smoothing", K, strength=0.1, examples=5)
    assert r.convention == "alpha = eps K/(K-1)"
    assert r.alpha == pytest.approx(0.1 * K / (K - 1), rel=1e-15)  # exact arithmetic
    assert any("eps/(K-1)" in n for n in r.notes)
    with pytest.raises(AssertionError, match="expected 'alpha = eps'"):
        assert_loss_matches(eps_over_k_minus_1, "label_smoothing", alpha=0.1, classes=K,
                            examples=5)


def test_naive_softmax_overflow_is_caught_with_a_minimal_counterexample():
    r = conform(naive_softmax, "label_smoothing", K, strength=0.1, examples=EXAMPLES)
    assert not r.ok and "non-finite" in r.failure
    z, _ = r.counterexample
    # exp overflows float64 beyond log(max double) = 709.78 (independent of our code)
    assert np.max(np.abs(z)) >= np.log(np.finfo(float).max)
    assert z.shape[0] == 1  # shrunk to one row


def test_maxsup_without_mean_term_is_caught_and_explained():
    r = conform(maxsup_without_mean, "maxsup", K, strength=0.25, examples=5)
    assert not r.ok and r.convention is None and "no convention matches" in r.failure
    assert any("z -> z + c" in n and "mean" in n for n in r.notes)
    r = conform(maxsup_published, "maxsup", K, strength=0.25, examples=EXAMPLES)
    assert r.ok and r.identified == "maxsup, alpha = lam/(1+lam), mean reduction", r.summary()
    assert r.alpha == pytest.approx(0.2, rel=1e-15)


def test_gradient_off_by_a_factor_is_caught():
    r = conform(gradient_doubled, "label_smoothing", 3, strength=0.1, examples=5)
    assert not r.ok and r.failure.startswith("gradient is 2 x"), r.summary()


def test_jax_implementation_conforms():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    def jax_ls(z, y, eps):
        k = z.shape[-1]
        q = jax.nn.one_hot(y, k, dtype=z.dtype) * (1 - eps) + eps / k
        return -jnp.mean(jnp.sum(q * jax.nn.log_softmax(z, axis=-1), axis=-1))

    r = conform(jax_ls, "label_smoothing", 3, strength=0.3, examples=5)
    assert r.backend == "jax" and r.ok, r.summary()
    assert r.identified == "label_smoothing, alpha = eps, mean reduction"


def test_optax_label_smoothing_conforms():
    optax = pytest.importorskip("optax")
    jax = pytest.importorskip("jax")

    def optax_ls(z, y, eps):
        onehot = jax.nn.one_hot(y, z.shape[-1], dtype=z.dtype)
        return optax.softmax_cross_entropy(z, optax.smooth_labels(onehot, eps)).mean()

    r = conform(optax_ls, "label_smoothing", 4, strength=0.1, examples=3, backend="jax")
    assert r.ok and r.identified == "label_smoothing, alpha = eps, mean reduction", r.summary()


def test_timm_label_smoothing_conforms():
    timm_loss = pytest.importorskip("timm.loss")
    crit = timm_loss.LabelSmoothingCrossEntropy(smoothing=0.1)
    r = conform(lambda z, y, e: crit(z, y), "label_smoothing", 4, strength=0.1, examples=5,
                backend="torch")
    assert r.ok and r.identified == "label_smoothing, alpha = eps, mean reduction"


def test_numpy_export_conforms_with_its_gradient():
    from numerics.export import export

    ns = {}
    exec(export("confidence_penalty", "numpy", classes=3), ns)
    r = conform(lambda z, y, a: ns["loss"](z, y, a), "confidence_penalty", 3, strength=0.2,
                backend="numpy", grad_fn=lambda z, y, a: ns["grad"](z, y, a), examples=EXAMPLES)
    assert r.ok and r.convention == "alpha = eps", r.summary()
    assert r.worst_grad_error < 1e-13  # float64 vs 50 digits on the input scale


@settings(max_examples=15, deadline=None)
@given(batch=batches(3, max_batch=2), alpha=st.floats(0.01, 0.99))
def test_reference_equals_the_k_symbol_derivation(batch, alpha):
    # The row-form reference vs the K-symbol SymPy loss (theory.derive_multiclass),
    # both at 50 digits: equal to ~1e-45 relative (round-off of 50-digit arithmetic).
    z, y = batch
    ref = reference_loss("maxsup", z, y, alpha)
    mp_loss = compile_multiclass("maxsup", 3).mp_loss
    with mpmath.workdps(50):
        for row, lab, r in zip(z, y, ref):
            cols = [row[lab]] + [v for j, v in enumerate(row) if j != lab]
            want = mp_loss(*[mpmath.mpf(float(v)) for v in cols], mpmath.mpf(alpha))
            assert abs(r - want) <= mpmath.mpf(10) ** -40 * max(1, abs(want))


@settings(max_examples=10, deadline=None)
@given(z=logits(1000, max_batch=2))
def test_logits_strategy_reaches_large_k_and_stays_in_range(z):
    assert z.shape[1] == 1000 and 1 <= z.shape[0] <= 2
    assert np.all(np.isfinite(z)) and np.max(np.abs(z)) <= 1e4


@pytest.mark.parametrize("k", [2, 3, 10])
@pytest.mark.parametrize("eps", [0.05, 0.4])
def test_convert_eps_over_k_minus_1_matches_probability_targets(k, eps):
    # PyTorch's cross_entropy with explicit soft targets (1-eps on the label, eps/(K-1)
    # elsewhere) equals our loss at alpha = convert(eps, "eps_k_minus_1", "alpha", K),
    # evaluated through torch's own label_smoothing at that alpha.
    rng = np.random.default_rng(k)
    z = torch.tensor(rng.normal(size=(8, k)) * 3)
    y = torch.tensor(rng.integers(0, k, 8))
    oh = F.one_hot(y, k).double()
    soft = oh * (1 - eps) + (1 - oh) * eps / (k - 1)
    a = convert(eps, "eps_k_minus_1", "alpha", classes=k)
    # two float64 evaluations of the same sums: ~10 ulps
    np.testing.assert_allclose(F.cross_entropy(z, soft).item(),
                               F.cross_entropy(z, y, label_smoothing=a).item(), rtol=1e-13)


@pytest.mark.parametrize("p", [0.01, 0.2, 0.45])
def test_convert_binary_flip_probability(p):
    # BCE with target (1-p) on logit t equals 2-class LS at alpha = 2p on logits (t/2, -t/2).
    t = torch.linspace(-20, 20, 41, dtype=torch.float64)
    bce = F.binary_cross_entropy_with_logits(t, torch.full_like(t, 1 - p), reduction="none")
    z = torch.stack([t / 2, -t / 2], dim=1)
    ls = F.cross_entropy(z, torch.zeros(41, dtype=torch.long),
                         label_smoothing=convert(p, "flip_probability", "alpha"),
                         reduction="none")
    np.testing.assert_allclose(bce.numpy(), ls.numpy(), rtol=1e-13, atol=1e-15)


def test_convert_round_trips_and_refuses_unknown_names():
    from core.errors import InvalidParameterError

    assert convert(convert(0.3, "maxsup_lambda", "alpha"), "alpha", "maxsup_lambda") == \
        pytest.approx(0.3, rel=1e-15)
    assert convert(0.25, "maxsup_lambda", "alpha") == 0.2  # 0.25/1.25 exactly
    with pytest.raises(InvalidParameterError, match="eps_k_minus_1"):
        convert(0.1, "eps_k_minus_1", "alpha")
    with pytest.raises(InvalidParameterError, match="Unknown parameterisation"):
        convert(0.1, "keras_eps", "alpha")


def test_conform_and_convert_commands(tmp_path, capsys):
    from logitreg.cli import main

    mod = tmp_path / "ext_losses.py"
    mod.write_text("import torch.nn.functional as F\n\n"
                   "def ls(z, y, eps):\n    return F.cross_entropy(z, y, label_smoothing=eps)\n\n"
                   "def bad(z, y, eps):\n"
                   "    return F.cross_entropy(z, y, label_smoothing=eps / 2)\n")
    assert main(["conform", f"{mod}:ls", "--regularizer", "label_smoothing", "--classes", "4",
                 "--examples", "5"]) == 0
    out = capsys.readouterr().out
    assert "label_smoothing, alpha = eps, mean reduction" in out
    # eps/2 is not a convention we know: exit 1, and the report says why
    assert main(["conform", f"{mod}:bad", "--regularizer", "label_smoothing", "--classes", "4",
                 "--examples", "5"]) == 1
    assert "no convention matches" in capsys.readouterr().out
    assert main(["conform", f"{mod}:nothing", "--regularizer", "label_smoothing",
                 "--classes", "4"]) == 2
    assert main(["convert", "0.25", "--from", "maxsup_lambda"]) == 0
    assert capsys.readouterr().out.strip() == "0.2"
