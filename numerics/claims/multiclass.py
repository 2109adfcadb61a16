r"""Multiclass claims M3, M4, M6 (docs/theory.md §4); M1 is in
:mod:`numerics.claims.multiclass_targets`.

* **M3** (Prop. D.1). Squared loss :math:`\|Wx+b - q e_c\|^2`: :math:`W(q) = qW(1)`.
  Negative control: the logit-regularised cross-entropy minimiser is *not* proportional to
  its own target gap.
* **M4**. Squared loss with bias: the row space of the class-centred ``W`` is the Fisher
  subspace (top K-1 generalised eigenvectors of :math:`(S_B, S_W)`), on synthetic data and
  on the standardised wine data with scikit-learn's LDA as the independent reference.
* **M6** (Prop. D.3). :math:`\alpha = 0.2`, quadratic ``f``, N > d: rescaling
  :math:`\sigma_n` of the same draw leaves test logits unchanged (the minimiser is
  equivariant). Negative control: ridge regression on one-hot targets is not.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from core.claims import CheckResult, register

from numerics.compile.compiled import compile_multiclass
from numerics.models.multiclass import multiclass_signal_noise
from numerics.solve.multiclass import minimize_multiclass
from numerics.solve.squared import minimize_squared_multiclass

__all__ = ["M3_SIZES", "M4_SIZES", "M6_SIZES", "scaling_error", "ce_scaling_error",
           "class_centred", "fisher_subspace", "min_cosine", "fisher_cosines",
           "anisotropic_mixing", "fisher_control_cosine", "sigma_n_logits", "ridge_solver",
           "logit_change", "logit_spread", "check_m3", "check_m4", "check_m6"]

#: M3 draws (N, d, K, seed); "full" adds two with N < d (minimum-norm solutions).
M3_SIZES = {
    "default": dict(configs=[(300, 20, 4, 0), (120, 40, 5, 1)]),
    "full": dict(configs=[(300, 20, 4, 0), (120, 40, 5, 1), (50, 80, 3, 2),
                          (2000, 200, 10, 3)]),
}
#: M4 synthetic draws (N, d, K, seed), besides the wine data.
M4_SIZES = {
    "default": dict(configs=[(400, 12, 4, 0), (600, 30, 6, 1)]),
    "full": dict(configs=[(400, 12, 4, 0), (600, 30, 6, 1), (3000, 100, 10, 2)]),
}
#: M6 noise scales sigma_n and draws (N, d, K, seed).
M6_SIZES = {
    "default": dict(sigmas=(0.5, 1.0, 4.0), configs=[(200, 30, 4, 0), (300, 60, 6, 1)]),
    "full": dict(sigmas=(0.25, 1.0, 4.0, 16.0),
                 configs=[(200, 30, 4, 0), (300, 60, 6, 1), (800, 200, 10, 2)]),
}


# ----------------------------------------------------------------------------------- M3
def scaling_error(X, y, qs=(0.5, 2.0, 7.0), *, n_classes=None) -> dict:
    """Max relative ||W(q) - q W(1)|| (and for b) and whether argmax predictions agree."""
    base = minimize_squared_multiclass(X, y, 1.0, n_classes=n_classes)
    pred = np.argmax(X @ base.coef.T + base.intercept, axis=1)
    err, same = 0.0, True
    for q in qs:
        s = minimize_squared_multiclass(X, y, q, n_classes=n_classes)
        err = max(err, np.linalg.norm(s.coef - q * base.coef) / np.linalg.norm(q * base.coef),
                  np.linalg.norm(s.intercept - q * base.intercept)
                  / max(np.linalg.norm(q * base.intercept), 1e-300))
        same = same and bool(np.array_equal(np.argmax(X @ s.coef.T + s.intercept, axis=1), pred))
    return {"rel_err": float(err), "predictions_identical": same,
            "accuracy": float(np.mean(pred == y))}


def ce_scaling_error(X, y, alphas=(0.1, 0.3), regularizer="quadratic") -> float:
    """Negative control: regularised CE minimisers at two alphas are *not* proportional to
    their target gaps: returns ||W2 - (g2/g1) W1|| / ||W2||."""
    k = int(np.max(y)) + 1
    comp = compile_multiclass(regularizer, k)
    W = [minimize_multiclass(X, y, regularizer, a, n_classes=k).coef for a in alphas]
    g = [float(comp.gap(a)) for a in alphas]
    return float(np.linalg.norm(W[1] - g[1] / g[0] * W[0]) / np.linalg.norm(W[1]))


@register("M3", "squared loss ||Wx+b - q e_c||^2: W_min(q) = q W_min(1), accuracy "
                "independent of q > 0")
def check_m3(full: bool = False) -> CheckResult:
    r"""M3 on the draws of :data:`M3_SIZES`: :math:`W(q) = qW(1)` to rounding."""
    configs = M3_SIZES["full" if full else "default"]["configs"]
    worst, same, acc = 0.0, True, []
    for n, d, k, s in configs:
        ds = multiclass_signal_noise(n, d, k, sigma_f=0.5, sigma_n=1.0, seed=s)
        r = scaling_error(ds.X, ds.y, n_classes=k)
        worst = max(worst, r["rel_err"])
        same = same and r["predictions_identical"]
        acc.append(r["accuracy"])
    ev = {"configs": len(configs), "q values": "0.5, 2, 7",
          "max relative ||W(q) - q W(1)||": worst, "predictions identical": same,
          "train accuracies": ", ".join(f"{a:.3f}" for a in acc)}
    return CheckResult("M3", "target invariance of the squared multiclass loss", ev,
                       "relative error <= 1e-12 (least squares is linear in its right-hand "
                       "side; only rounding remains); argmax predictions bit-identical",
                       bool(worst <= 1e-12 and same))


# ----------------------------------------------------------------------------------- M4
def class_centred(W):
    """``W`` with the mean row removed (the class-centred weights)."""
    W = np.asarray(W, dtype=float)
    return W - W.mean(axis=0, keepdims=True)


def fisher_subspace(X, y, k=None):
    r"""Top ``K-1`` generalised eigenvectors of :math:`(S_B, S_W)` (columns, d x (K-1))."""
    X = np.asarray(X, dtype=float)
    k = int(np.max(y)) + 1 if k is None else k
    n, d = X.shape
    mu = X.mean(axis=0)
    SB, SW = np.zeros((d, d)), np.zeros((d, d))
    for c in range(k):
        Xc = X[y == c]
        pi = Xc.shape[0] / n
        dm = Xc.mean(axis=0) - mu
        SB += pi * np.outer(dm, dm)
        R = Xc - Xc.mean(axis=0)
        SW += R.T @ R / n
    vals, vecs = linalg.eigh(SB, SW)
    return vecs[:, np.argsort(vals)[::-1][: k - 1]]


def min_cosine(A, B) -> float:
    """Smallest principal-angle cosine between the column spaces of ``A`` and ``B``."""
    return float(np.cos(np.max(linalg.subspace_angles(A, B))))


def _standardised_wine():
    from sklearn.datasets import load_wine
    data = load_wine()
    X = data.data.astype(float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, data.target.astype(np.int64)


def fisher_cosines(X, y, k, *, with_lda=False) -> dict:
    sol = minimize_squared_multiclass(X, y, 1.0, n_classes=k)
    Wc = class_centred(sol.coef).T  # d x K, rank K-1
    U, s, _ = np.linalg.svd(Wc, full_matrices=False)
    rows = U[:, : k - 1]
    F = fisher_subspace(X, y, k)
    out = {"cos_eigh": min_cosine(rows, F),
           "angle_eigh": float(np.max(linalg.subspace_angles(rows, F)))}
    if with_lda:
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        lda = LinearDiscriminantAnalysis(solver="eigen").fit(X, y)
        out["cos_lda"] = min_cosine(rows, lda.scalings_[:, : k - 1])
        out["angle_lda"] = float(np.max(linalg.subspace_angles(rows, lda.scalings_[:, : k - 1])))
    return out


def anisotropic_mixing(d: int, seed: int) -> np.ndarray:
    r"""M4's input map :math:`A = \operatorname{diag}(0.3..3) + 0.2\,G` (``G`` standard
    normal, ``seed``): applied as :math:`x \mapsto Ax` it makes the within-class noise
    strongly anisotropic, so :math:`S_W` is far from the identity."""
    return np.diag(np.linspace(0.3, 3.0, d)) + 0.2 * np.random.default_rng(seed).standard_normal((d, d))


def fisher_control_cosine(X, y, k, alpha: float = 0.2) -> float:
    """M4's negative control: smallest principal-angle cosine between the row space of the
    class-centred logit-regularised CE weights (quadratic ``f``, ``alpha``) and the Fisher
    subspace; below 1 (the CE minimiser is not in it)."""
    neg = minimize_multiclass(X, y, "quadratic", alpha, n_classes=k)
    rows = np.linalg.svd(class_centred(neg.coef).T, full_matrices=False)[0][:, : k - 1]
    return min_cosine(rows, fisher_subspace(X, y, k))


@register("M4", "squared loss with bias: row space of the class-centred W is the Fisher "
                "discriminant subspace (sklearn LDA as reference)")
def check_m4(full: bool = False) -> CheckResult:
    r"""M4 on the anisotropic draws of :data:`M4_SIZES` and the wine data."""
    configs = M4_SIZES["full" if full else "default"]["configs"]
    cos_syn, ang = 1.0, 0.0
    for n, d, k, s in configs:
        ds = multiclass_signal_noise(n, d, k, sigma_f=0.7, sigma_n=1.3, seed=s)
        r = fisher_cosines(ds.X @ anisotropic_mixing(d, s).T, ds.y, k, with_lda=True)
        cos_syn = min(cos_syn, r["cos_eigh"], r["cos_lda"])
        ang = max(ang, r["angle_eigh"], r["angle_lda"])
    X, y = _standardised_wine()
    w = fisher_cosines(X, y, 3, with_lda=True)
    neg_cos = fisher_control_cosine(X, y, 3)
    ev = {"synthetic configs": len(configs), "min cosine synthetic (eigh & LDA)": cos_syn,
          "wine min cosine vs eigh(S_B, S_W)": w["cos_eigh"],
          "wine min cosine vs sklearn LDA": w["cos_lda"],
          "max principal angle [rad] (all, incl. wine)":
              max(ang, w["angle_eigh"], w["angle_lda"]),
          "control: alpha=0.2 quadratic CE on wine, min cosine": neg_cos}
    tol = 1 - 1e-10
    passed = min(cos_syn, w["cos_eigh"], w["cos_lda"]) >= tol and neg_cos < 1 - 1e-6
    return CheckResult("M4", "multiclass Fisher subspace", ev,
                       "all principal-angle cosines >= 1 - 1e-10 (exact identity up to "
                       "rounding of well-conditioned solves); the logit-regularised control "
                       "must be off the subspace (cosine < 1 - 1e-6) so the test can fail",
                       bool(passed))


# ----------------------------------------------------------------------------------- M6
def sigma_n_logits(ds, test, sigmas, *, alpha=0.2, regularizer="quadratic", solver=None):
    """Test logits of the minimiser trained on ``ds.rescaled(sigma_n=s)`` and evaluated on
    ``test.rescaled(sigma_n=s)``, for each ``s``."""
    out = []
    for s in sigmas:
        tr, te = ds.rescaled(sigma_n=s), test.rescaled(sigma_n=s)
        if solver is None:
            sol = minimize_multiclass(tr.X, tr.y, regularizer, alpha, n_classes=ds.k)
            W, b = sol.coef, sol.intercept
        else:
            W, b = solver(tr.X, tr.y, ds.k)
        out.append(te.X @ W.T + b)
    return out


def ridge_solver(gamma=1.0):
    """Negative control: ridge on one-hot targets (penalises W, so not equivariant)."""
    def solve(X, y, k):
        Y = np.eye(k)[y]
        mx, my = X.mean(axis=0), Y.mean(axis=0)
        Xc = X - mx
        W = np.linalg.solve(Xc.T @ Xc / len(X) + gamma * np.eye(X.shape[1]),
                            Xc.T @ (Y - my) / len(X)).T
        return W, my - W @ mx
    return solve


def logit_change(logits, ref: int = 0) -> tuple:
    r"""Largest change of a list of (M, K) test-logit matrices against ``logits[ref]``:
    ``(max_j max|Z_j - Z_ref| / max|Z_ref|, max_j #labels of Z_j differing from Z_ref)``
    (labels: row-wise argmax). The measure of M6 and R2."""
    base = logits[ref]
    scale = np.max(np.abs(base))
    labels = np.argmax(base, axis=1)
    diff = max(float(np.max(np.abs(z - base)) / scale) for z in logits)
    flips = max(int(np.sum(np.argmax(z, axis=1) != labels)) for z in logits)
    return diff, flips


def logit_spread(logits) -> tuple:
    """(max normalised logit difference to the first, labels identical): :func:`logit_change`
    against ``logits[0]``."""
    diff, flips = logit_change(logits)
    return diff, flips == 0


@register("M6", "alpha=0.2, N>d: the regularised multiclass minimiser's test predictions do "
                "not depend on sigma_n")
def check_m6(full: bool = False, regularizer=None) -> CheckResult:
    r"""M6 on the draws and noise scales of :data:`M6_SIZES`, with the ridge control, for
    the quadratic f or ``regularizer`` (a ``theory.Regularizer`` with a K-class form)."""
    reg_f = "quadratic" if regularizer is None else regularizer
    size = M6_SIZES["full" if full else "default"]
    sigmas, configs = size["sigmas"], size["configs"]
    diff, same, ridge_diff, ridge_same = 0.0, True, np.inf, True
    for n, d, k, s in configs:
        ds = multiclass_signal_noise(n, d, k, sigma_f=0.6, sigma_n=1.0, seed=s)
        test = ds.fresh(2000, seed=s + 999)
        df, sm = logit_spread(sigma_n_logits(ds, test, sigmas, regularizer=reg_f))
        diff, same = max(diff, df), same and sm
        rd, rs = logit_spread(sigma_n_logits(ds, test, sigmas, solver=ridge_solver()))
        ridge_diff, ridge_same = min(ridge_diff, rd), ridge_same and rs
    ev = {"configs": len(configs), "sigma_n": ", ".join(map(str, sigmas)),
          "max normalised test-logit difference": diff, "test labels identical": same,
          "control ridge: min normalised logit difference": ridge_diff,
          "control ridge: labels identical": ridge_same}
    passed = diff < 1e-7 and same and ridge_diff > 1e-3
    return CheckResult("M6", "sigma_n invariance of the multiclass minimiser", ev,
                       "normalised logit difference < 1e-7 (Newton solves to ~1e-10 relative "
                       "gradient; exact equivariance otherwise) and identical test labels; "
                       "ridge control must differ by > 1e-3 so the test can fail",
                       bool(passed))
