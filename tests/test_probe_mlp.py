"""``probe`` on real learned features: the penultimate layer of a small MLP trained on
scikit-learn's digits (torch, one thread, seconds; made here, nothing downloaded), and what
the theory predicts there exactly (docs/theory.md §2 B9, §5 R2)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def embeddings():
    """(train features, train labels, test features, test labels) of a 64-48-24-10 MLP's
    24-unit penultimate layer, trained 300 full-batch Adam epochs on half of digits."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    torch.manual_seed(0)
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.5, stratify=y,
                                          random_state=0)
    body = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.Tanh(),
                               torch.nn.Linear(48, 24), torch.nn.Tanh())
    head = torch.nn.Linear(24, 10)
    opt = torch.optim.Adam([*body.parameters(), *head.parameters()], lr=1e-2)
    xt, yt = torch.tensor(Xtr, dtype=torch.float32), torch.tensor(ytr)
    for _ in range(300):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(body(xt)), yt)
        loss.backward()
        opt.step()
    with torch.no_grad():
        ftr = body(xt).double().numpy()
        fte = body(torch.tensor(Xte, dtype=torch.float32)).double().numpy()
    return ftr, ytr, fte, yte


def test_probe_on_mlp_features_is_invariant(embeddings):
    from numerics.probe import probe

    ftr, ytr, fte, yte = embeddings
    kw = dict(alphas=(1e-3, 0.2), gammas=(0.25, 4.0), n_boot=5, n_boot_fisher=2,
              max_margin_gammas="one")
    r = probe(ftr, ytr, fte, yte, standardize=False, **kw)
    gc = r["gamma_curve"]
    # R2/B9: the regularised probe's test logits do not move under x -> (I - P)x + gamma P x
    # (measured: rounding, ~1e-14; tolerance of R2) and no label flips
    assert gc["invariant"] and gc["reg_label_flips"] == 0
    assert max(gc["certificate_gradient_norm"]) < 1e-8  # Newton tol 1e-10 x cond(A_gamma)
    assert len(set(gc["reg_accuracy"])) == 1
    # the learned features are far from chance for this small net
    assert r["alpha_curve"]["accuracy"][-1] > 0.8
    # B9 equivariance beyond P_perp: any invertible linear map of the features leaves the
    # regularised test predictions (hence accuracies) exactly where they were
    A = np.random.default_rng(0).normal(size=(ftr.shape[1], ftr.shape[1])) + 3 * np.eye(ftr.shape[1])
    r2 = probe(ftr @ A, ytr, fte @ A, yte, standardize=False, **kw)
    assert r2["alpha_curve"]["accuracy"] == r["alpha_curve"]["accuracy"]
    assert r2["gamma_curve"]["reg_accuracy"] == r["gamma_curve"]["reg_accuracy"]
