r"""How our :math:`\alpha` maps onto other conventions (docs/theory.md §8), measured
against PyTorch, and the texts that state it (``logitreg list``, export headers).

* PyTorch ``F.cross_entropy(z, y, label_smoothing=eps)`` (soft targets
  :math:`(1-\varepsilon)y + \varepsilon/K`) at K = 2 with :math:`z = (t/2, -t/2)` is our
  binary label-smoothing loss at :math:`\alpha = \varepsilon` exactly; at any K it is our
  multiclass loss at :math:`\alpha = \varepsilon`.
* The binary label flip, soft target :math:`(1-\varepsilon)y + \varepsilon(1-y)`, is
  :math:`\alpha = 2\varepsilon`.
* MaxSup's published loss :math:`\mathrm{CE} + \lambda(\max z - \bar z)` is
  :math:`(1+\lambda)` times ours at :math:`\alpha = \lambda/(1+\lambda)`.
"""

import numpy as np
import pytest

from numerics import compile_binary, compile_multiclass
from numerics.export import CONVENTIONS, export

torch = pytest.importorskip("torch")
F = torch.nn.functional

#: Two float64 evaluations of the same loss by different formulas (stable softplus vs
#: torch's log_softmax): a few roundings of O(1) values, ~1e-15 relative.
EXACT_RTOL = 1e-12

T_GRID = np.concatenate([-np.geomspace(30, 1e-3, 12), [0.0], np.geomspace(1e-3, 30, 12)])


def _torch_binary_ls(t, eps, y=0):
    """PyTorch's label-smoothed cross-entropy at K = 2, logits (t/2, -t/2), class y."""
    z = torch.tensor(np.stack([t / 2, -t / 2], axis=1), dtype=torch.float64)
    target = torch.full((len(t),), y, dtype=torch.long)
    return F.cross_entropy(z, target, label_smoothing=eps, reduction="none").numpy()


@pytest.mark.parametrize("eps", [0.01, 0.1, 0.3, 0.7])
def test_torch_label_smoothing_at_k2_is_ours_at_alpha_equal_eps(eps):
    ours = compile_binary("label_smoothing").loss(T_GRID, eps)
    theirs = _torch_binary_ls(T_GRID, eps)
    np.testing.assert_allclose(ours, theirs, rtol=EXACT_RTOL, atol=0)
    # ... and not at alpha = 2 eps (the label-flip reading), by far more than round-off.
    wrong = compile_binary("label_smoothing").loss(T_GRID, min(2 * eps, 0.99))
    assert np.max(np.abs(wrong - theirs) / theirs) > 1e-3


@pytest.mark.parametrize("eps", [0.05, 0.2, 0.45])
def test_binary_label_flip_is_alpha_two_eps(eps):
    t = T_GRID
    flip = (1 - eps) * np.logaddexp(0, -t) + eps * np.logaddexp(0, t)
    ours = compile_binary("label_smoothing").loss(t, 2 * eps)
    np.testing.assert_allclose(ours, flip, rtol=EXACT_RTOL, atol=0)


@pytest.mark.parametrize("k", [3, 5])
def test_torch_label_smoothing_at_any_k_is_ours_at_alpha_equal_eps(k):
    eps = 0.15
    rng = np.random.default_rng(k)
    z = rng.normal(scale=3.0, size=(20, k))
    theirs = F.cross_entropy(torch.tensor(z), torch.zeros(20, dtype=torch.long),
                             label_smoothing=eps, reduction="none").numpy()
    loss = compile_multiclass("label_smoothing", k).loss  # class 0 is the true class
    ours = np.array([loss(*row, eps) for row in z], dtype=float)
    np.testing.assert_allclose(ours, theirs, rtol=EXACT_RTOL, atol=0)


def _maxsup_published(z, lam):
    """Zhou et al.: CE + lam (max_k z_k - mean z), true class 0."""
    ce = np.logaddexp.reduce(z, axis=1) - z[:, 0]
    return ce + lam * (z.max(axis=1) - z.mean(axis=1))


@pytest.mark.parametrize("lam", [0.1, 0.2, 1.0])
@pytest.mark.parametrize("k", [2, 4])
def test_maxsup_published_loss_is_one_plus_lambda_times_ours(k, lam):
    alpha = lam / (1 + lam)
    rng = np.random.default_rng(10 * k)
    z = rng.normal(scale=2.0, size=(30, k))
    loss = compile_multiclass("maxsup", k).loss
    ours = np.array([loss(*row, alpha) for row in z], dtype=float)
    np.testing.assert_allclose(_maxsup_published(z, lam), (1 + lam) * ours,
                               rtol=EXACT_RTOL, atol=0)
    # ... and the binary form at K = 2, logits (t/2, -t/2)
    if k == 2:
        zt = np.stack([T_GRID / 2, -T_GRID / 2], axis=1)
        binary = compile_binary("maxsup").loss(T_GRID, alpha)
        np.testing.assert_allclose(_maxsup_published(zt, lam), (1 + lam) * binary,
                                   rtol=EXACT_RTOL, atol=0)


@pytest.mark.parametrize("name, ratio", [("quadratic", 2.0), ("label_smoothing", 1.0),
                                         ("maxsup", 1.0), ("confidence_penalty", 1.0)])
def test_binary_form_versus_the_k2_multiclass_form(name, ratio):
    # Stated in CONVENTIONS["quadratic"]: only the quadratic binary form differs (by 2).
    t, alpha = 1.3, 0.2
    binary = compile_binary(name).loss(t, alpha)
    multi = compile_multiclass(name, 2).loss(t / 2, -t / 2, alpha)
    ce = float(np.logaddexp(0, -t))
    assert abs((binary - (1 - alpha) * ce) - ratio * (multi - (1 - alpha) * ce)) <= 1e-14


def test_texts_state_the_measured_conventions(capsys):
    from logitreg.cli import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "alpha/2" not in out and "eps = alpha" not in out
    assert "alpha = eps of PyTorch" in out and "alpha = 2 eps of the binary label-flip" in out
    assert "alpha = lam/(1 + lam)" in out
    for name in CONVENTIONS:
        for fmt in ("c", "numpy", "latex", "json"):
            text = export(name, to=fmt)
            flat = " ".join(text.replace("*", " ").replace("%", " ").split())
            assert "alpha/2" not in flat
            for line in CONVENTIONS[name]:
                assert " ".join(line.replace("*", " ").split()) in flat, (name, fmt, line)
    # a user form borrowing a built-in name gets no built-in convention
    import theory

    assert "Convention" not in export(theory.from_expression("t**4", name="maxsup"), to="c")
