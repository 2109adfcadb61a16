# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Multiclass logit regularisation (M1-M5) and the $\alpha = 0$ baseline (G1)
#
# Theory: docs/theory.md §4 (M1, M2, M3, M4, M5) and §6 (G1).
#
# $z = Wx + b \in \mathbb R^K$, per-sample loss
# $(1-\alpha)(\operatorname{lse}(z) - z_c) + \alpha f(z)$ with $f$ convex and
# permutation-symmetric. Data: $x = \mu_c + \sigma_f\eta_f + \sigma_n\eta_n$ with simplex
# class means, $\eta_f$ inside their span $\mathcal S$, $\eta_n$ orthogonal to it.
#
# * **M1** the per-sample minimiser is a simplex vertex ($q_{high}$ at the class,
#   $q_{low}$ elsewhere); **M2** training logits cluster at the vertices for $\alpha > 0$;
# * **M3** squared loss $\|z - qe_c\|^2$: $W(q) = qW(1)$; **M4** its class-centred row space
#   is the Fisher subspace (reference: scikit-learn's LDA);
# * **M5** $\sigma_f = 0$: perfect generalisation from $N = d + 1$ (with bias), signal block
#   $[b, W_S]M = Z^*$;
# * **G1** $\alpha = 0$: gradient descent converges in direction to the multiclass
#   hard-margin SVM, with direction error $\sim 1/\log t$.
#
# Reduced sizes; every cell asserts what it shows.

# %%
import math
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # as a script: no display, and no files are written
import matplotlib.pyplot as plt
import numpy as np

from numerics import multiclass_signal_noise
from numerics.claims.clustering import blas_single_thread
from numerics.claims.implicit_bias import G1Setting, evaluate_gap, g1_data, label_smoothing_contrast
from numerics.claims.implicit_bias_gd import perm_gd
from numerics.claims.multiclass import _standardised_wine, anisotropic_mixing, ce_scaling_error, fisher_control_cosine, fisher_cosines, scaling_error
from numerics.claims.multiclass_targets import M1_RTOL, m1_case
from numerics.claims.multiclass_geometry import centred_logits, clustering_ratio, m2_runs, simplex_projection, vertex_targets
from numerics.claims.multiclass_threshold import critical_ratio, signal_block_errors, transition_curves
from theory import perm_losses


def show(fig):
    """Display ``fig`` inline in Jupyter; as a script only close it."""
    if "ipykernel" in sys.modules:
        from IPython.display import display
        display(fig)
    plt.close(fig)


# %% [markdown]
# ## M1: simplex targets
#
# `m1_case` minimises the full $K$-dimensional per-sample loss directly at 40 digits (damped
# Newton from an asymmetric random start, independent of the reduced gap derivation) and
# compares it with the compiled targets $(q_{high}, q_{low}, \dots, q_{low})$ (centred for
# the shift-invariant label smoothing and MaxSup). For $f = \|z\|^2$:
# $q_{high} + (K-1)q_{low} = 0$. MaxSup's kink is certified by an explicit subgradient.

# %%
for name in ("quadratic", "label_smoothing", "maxsup"):
    for k in (3, 10):
        r = m1_case(name, k, 0.2, starts=1, seed=k)
        extra = (f", subgradient {r['subgradient_norm']:.0e}, strict max {r['strict_max']}"
                 if name == "maxsup" else "")
        print(f"{name:16s} K={k:2d}: q_high={r['q_high']:+.6f} q_low={r['q_low']:+.6f} "
              f"rel err {r['rel_err']:.1e} |grad| {r['grad_norm']:.0e}{extra}")
        # compiled targets are float64 vs a 40-digit minimiser converged to |grad| < 1e-25
        assert r["rel_err"] <= M1_RTOL and r["grad_norm"] < 1e-25
        assert abs(r["quadratic_sum"]) <= 1e-12          # q_high + (K-1) q_low = 0 (rounding)
        if name == "maxsup":
            assert r["strict_max"] and r["subgradient_norm"] < 1e-25
            assert r["min_loss_increase"] >= 0.0         # no 30-digit perturbation helps

# %% [markdown]
# ## M2: the training logits cluster at the simplex vertices
#
# $K = 10$, $d = 105$, $N = 150$ ($\lambda = 0.7$, as the paper's Fig. 7 at 1/13 of the
# size), $\sigma_f = 0.1$, $\sigma_n = 1$, $f = \|z\|^2$, $\alpha = 0.2$ vs $\alpha = 0$
# (the hard-margin SVM on $(x, 1)$, the GD limit). $\rho$ = within-class RMS spread of the
# centred logits over the mean distance between class centroids (scale-free).

# %%
k, alpha = 10, 0.2
with blas_single_thread():  # one BLAS thread: oversubscribed cores are far slower
    runs = m2_runs(150, 105, k, sigma_f=0.1, sigma_n=1.0, alpha=alpha, seed=3)
y = runs["data"].y
targets = vertex_targets("quadratic", k, alpha)
reg = clustering_ratio(runs["reg"], y, k)
svm = clustering_ratio(runs["svm"], y, k)
vdist = math.sqrt(2.0) * float(targets[0, 0] - targets[1, 0])   # |z*_c - z*_c'|
offset = float(np.max(np.linalg.norm(reg["centroids"] - centred_logits(targets.T), axis=1)))
print(f"alpha=0.2: rho={reg['ratio']:.4f}, spread/vertex distance={reg['spread'] / vdist:.4f}, "
      f"max |centroid - vertex|/vertex distance={offset / vdist:.4f}")
print(f"alpha=0 (SVM): rho={svm['ratio']:.4f}; ratio {svm['ratio'] / reg['ratio']:.1f}x")
# check_m2's thresholds: clusters within a quarter of the vertex distance (so they do not
# overlap), and alpha = 0 at least twice as spread.
assert reg["spread"] / vdist <= 0.25 and offset / vdist <= 0.25 and reg["ratio"] <= 0.25
assert svm["ratio"] / reg["ratio"] >= 2.0

# %%
Pm = simplex_projection(k)
fig, axes = plt.subplots(1, 2, figsize=(9, 4.3))
cmap = plt.get_cmap("tab10")
for ax, key, lab in ((axes[0], "reg", "alpha=0.2"), (axes[1], "svm", "alpha=0 (SVM)")):
    P = centred_logits(runs[key]) @ Pm.T
    for c in range(k):
        ax.scatter(P[y == c, 0], P[y == c, 1], s=6, color=cmap(c), alpha=0.7)
    if key == "reg":
        V = centred_logits(targets.T) @ Pm.T
        ax.scatter(V[:, 0], V[:, 1], marker="x", s=60, color="k", label="targets z*_c")
        ax.legend(fontsize=7)
    ax.set_title(f"M2 {lab}: rho={clustering_ratio(runs[key], y, k)['ratio']:.3f}", fontsize=9)
    ax.set_aspect("equal")
show(fig)

# %% [markdown]
# ## M3: target invariance of the squared loss
#
# $\|Wx + b - qe_c\|^2$: least squares is linear in its right-hand side, so
# $W(q) = qW(1)$ and the argmax predictions do not depend on $q > 0$. Negative control: the
# logit-regularised cross-entropy minimisers at two $\alpha$ are *not* proportional to their
# target gaps.

# %%
ds = multiclass_signal_noise(300, 20, 4, sigma_f=0.5, sigma_n=1.0, seed=0)
m3 = scaling_error(ds.X, ds.y, qs=(0.5, 2.0, 7.0), n_classes=4)
ctrl = ce_scaling_error(ds.X, ds.y)
print(f"max rel |W(q) - q W(1)| = {m3['rel_err']:.1e}, predictions identical: "
      f"{m3['predictions_identical']}, train accuracy {m3['accuracy']:.3f}; "
      f"control (CE, alpha 0.1 vs 0.3): {ctrl:.3f}")
assert m3["rel_err"] <= 1e-12 and m3["predictions_identical"]   # rounding only
assert ctrl > 1e-3

# %% [markdown]
# ## M4: the squared-loss weights span the Fisher subspace
#
# Squared loss with bias; the row space of the class-centred $W$ is compared with the top
# $K-1$ generalised eigenvectors of $(S_B, S_W)$ and with scikit-learn's
# `LinearDiscriminantAnalysis(solver="eigen")`, by principal angles: on synthetic data with
# strongly anisotropic within-class noise, and on the standardised wine data (real data
# shipped with scikit-learn). Control: the logit-regularised CE weights are not in it.

# %%
n, d, kk = 400, 12, 4
ds = multiclass_signal_noise(n, d, kk, sigma_f=0.7, sigma_n=1.3, seed=0)
syn = fisher_cosines(ds.X @ anisotropic_mixing(d, 0).T, ds.y, kk, with_lda=True)
X, yw = _standardised_wine()
wine = fisher_cosines(X, yw, 3, with_lda=True)
neg_cos = fisher_control_cosine(X, yw, 3)   # check_m4's control
for label, r in (("synthetic K=4", syn), ("wine K=3", wine)):
    print(f"{label}: min cosine vs eigh(S_B,S_W) {r['cos_eigh']:.15f}, "
          f"vs sklearn LDA {r['cos_lda']:.15f}, "
          f"max angle {max(r['angle_eigh'], r['angle_lda']):.1e} rad")
    # exact identity: only rounding of well-conditioned solves remains
    assert min(r["cos_eigh"], r["cos_lda"]) >= 1 - 1e-10
print(f"control (alpha=0.2 quadratic CE on wine): min cosine {neg_cos:.6f}")
assert neg_cos < 1 - 1e-6

# %% [markdown]
# ## M5: threshold shift with $K$ classes
#
# $\sigma_f = 0$: every class-$c$ sample has signal $\mu_c$. Prop. D.2: with bias,
# $W_\perp = 0$ and $[b, W_S]M = Z^*$ ($M$ the augmented means, $Z^*$ the M1 targets) put
# every sample -- training or test -- exactly on its vertex, the unique minimiser iff
# $N \ge d + 1$. Control: $N = d$. Then the transition curves at $d = 12$, $K = 3$:
# regularised is a step at $N = d + 1$; max-margin (QP, cross-checked by an independent KKT
# LP) needs more than twice the samples.

# %%
for (n, d, kk, f, a) in ((60, 20, 3, "quadratic", 0.2), (60, 20, 3, "label_smoothing", 0.1),
                         (60, 24, 4, "quadratic", 0.2)):
    r = signal_block_errors(n, d, kk, f, a, seed=50)
    print(f"N={n} d={d} K={kk} {f}: |[b,W_S] - Z*M^-1|={r['block_err']:.1e}, "
          f"|W_perp|={r['perp']:.1e}, test logits off target {r['test_logit_err']:.1e}, "
          f"test accuracy {r['test_accuracy']}")
    # Newton to |grad| <= 1e-10 on O(1) data
    assert max(r["block_err"], r["perp"], r["test_logit_err"]) <= 1e-8
    assert r["test_accuracy"] == 1.0
ctrl = signal_block_errors(20, 20, 3, "quadratic", 0.2, seed=7)
print(f"control N = d = 20: |W_perp| {ctrl['perp']:.3f}, "
      f"test logits off by {ctrl['test_logit_err']:.3f}")
assert ctrl["perp"] > 1e-3 and ctrl["test_logit_err"] > 1e-3
ratios = [0.8, 1.0, 1.1, 2.0, 2.5, 3.0, 4.0]
with blas_single_thread():
    curves = transition_curves([12], ratios, 8, reg_trials=2, seed=11)
crit = critical_ratio(ratios, curves["unreg"][12], 8)
print("regularised perfect /2:", curves["reg"][12], "| max-margin perfect /8:",
      curves["unreg"][12], f"| max-margin critical N/d {crit:.2f}",
      f"| QP vs LP disagreements {curves['disagree']}/{curves['lp_draws']}")
# A rank condition: exactly 0 below N = d + 1 = 13, all draws from it on.
assert all(h == (2 if max(3, round(r * 12)) >= 13 else 0)
           for r, h in zip(ratios, curves["reg"][12]))
assert curves["disagree"] == 0 and crit >= 2.0

# %% [markdown]
# ## G1 briefly: $\alpha = 0$ gradient descent converges to the multiclass SVM
#
# $K = 3$, $d = 6$, $N = 60$, $\sigma_f = 0$, $\sigma_n = 2$ (separable), step
# $2/\lambda_{max}$, three PERM losses with an exponential tail (cross-entropy, exponential,
# PairLogLoss). The direction gap $\|W_t/\|W_t\| - \hat W/\|\hat W\|\|$ to the hard-margin
# SVM $\hat W$ shrinks like $1/\log t$ (so gap $\cdot\log t$ is roughly constant), and
# $\|W_t\|$ grows like $\|\hat W\|\log t$. Contrast: label smoothing ($\alpha = 0.2$)
# converges to a finite $W$ with every logit on its vertex (M5 without bias).

# %%
setting = G1Setting(t_grid=(100, 1000, 10_000))
ds, svm_hat, lr = g1_data(setting)
traj = perm_gd(ds.X, ds.y, setting.k, perm_losses.ET_TEMPLATES, lr=lr,
               record_at=np.array(setting.t_grid))
for name, W in traj.items():
    st = evaluate_gap(W, svm_hat.W, setting.t_grid)
    print(f"{name:14s} gap {np.round(st['gap'], 4)}, gap*log t {np.round(st['gap_logt'], 3)}, "
          f"|W| growth per log t / |W_hat| {np.round(st['growth'], 3)}")
    assert st["monotone"]
    # "Roughly constant": < 1.5x over two decades (a constant gap gives 2x, t^-p far more).
    assert st["gap_logt"].max() / st["gap_logt"].min() <= 1.5
    # |W_t| = |W_hat| log t + O(1): the last decade's growth within 5% (O(1/log t) terms).
    assert abs(st["growth"][-1] - 1.0) <= 0.05
    # sum_k w_k = 0 is preserved from W(0) = 0 (rounding of 1e4 updates).
    assert np.linalg.norm(W[-1].sum(axis=0)) <= 1e-10 * np.linalg.norm(W[-1])
ls = label_smoothing_contrast(ds, setting.k, svm_hat, lr, setting.alpha)
print(f"label smoothing alpha={setting.alpha}: |W_GD - W_Newton|/|W| = {ls['gd_vs_newton']:.1e}, "
      f"logits off vertex {ls['logits_to_vertex']:.1e}, |W| = {ls['norm']:.4f} (finite), "
      f"relative growth over the last step {ls['norm_growth_last']:.1e}")
assert ls["gd_vs_newton"] <= 1e-8 and ls["logits_to_vertex"] <= 1e-9
assert abs(ls["norm_growth_last"]) <= 1e-8
