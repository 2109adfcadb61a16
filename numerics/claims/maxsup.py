r"""Claim G2 (numeric): MaxSup in the logit-regularisation framework (docs/theory.md §6).

MaxSup is :math:`(1-\alpha)CE + \alpha f` with :math:`f(z) = \max_k z_k - \bar z`
(binary :math:`f(t) = |t|/2`); the published form :math:`CE + \alpha_{ms}(z_{max}-\bar z)`
is the same loss divided by :math:`1-\alpha`, :math:`\alpha_{ms} = \alpha/(1-\alpha)`.

**Targets (from the registry).** By hand, for :math:`t > 0`:
:math:`\ell'(t) = -(1-\alpha)/(1+e^t) + \alpha/2 = 0 \Rightarrow t^* = \log(2/\alpha - 3)`;
at the kink :math:`\ell'(0^\pm) = \pm\alpha/2 - (1-\alpha)/2`, so :math:`0 \in
\partial\ell(0)` iff :math:`\alpha \ge 1/2`: the target is **degenerate** (:math:`t^* = 0`,
every logit pinned on the decision boundary) for :math:`\alpha \in [1/2, 1)`. For K
classes at the symmetric point :math:`z = (g, 0, .., 0)`:
:math:`\psi(g) = (1-\alpha)\log(1+(K-1)e^{-g}) + \alpha\frac{K-1}{K}g`, so
:math:`g^* = \log(K/\alpha - (2K-1))`, degenerate for :math:`\alpha \ge 1/2` for *every* K.
The registry's targets are compared with these hand derivations and with a bounded Brent
minimisation of the compiled loss.

**Exact minimiser on data.** :func:`numerics.solve.binary.minimize_binary` /
:func:`~numerics.solve.multiclass.minimize_multiclass`: smoothing continuation, then Newton on the
active set of kink samples (:math:`t_i = 0`, resp. tied top logits) with a certificate --
the distance of 0 to the subdifferential, by bounded least squares over the kink
multipliers -- required :math:`\le 10^{-10}`. Cross-checked against an independent
formulation and algorithm: the same problem as an exponential-cone program
(softplus and lse through :math:`e^{x}\le w` cones, :math:`|t|` and :math:`\max` through
linear epigraphs) solved by the clarabel interior-point method (gaps :math:`10^{-10}`).

**Experiment.** LS, MaxSup and quadratic at the same framework :math:`\alpha` on the binary
signal-plus-noise model and on multiclass data, with and without label noise: clean test
accuracy, clustering (coefficient of variation of the clean training margins), training
samples misclassified at the minimiser, and on those the sign of the push on
:math:`z_{gt}`: by each method's *extra term* (published form: LS
:math:`\alpha(z_{gt}-\bar z)`, MaxSup :math:`\alpha_{ms}(z_{max}-\bar z)`, quadratic
:math:`\frac{\alpha}{1-\alpha}\|z\|^2`) and by the *full* per-sample loss.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sps
from scipy import optimize

from core.claims import CheckResult, register

from numerics.compile.compiled import compile_binary, compile_multiclass
from numerics.models.multiclass import multiclass_signal_noise
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.binary import minimize_binary
from numerics.solve.multiclass import minimize_multiclass
from numerics.claims._common import mean_and_sem, seeds
from numerics.models.accuracy import gaussian_accuracy

__all__ = ["SIZES", "METHODS", "maxsup_target_hand", "maxsup_gap_hand", "brent_target",
           "maxsup_conic_binary", "maxsup_conic_multiclass", "binary_comparison",
           "multiclass_comparison", "check_g2_targets", "check_g2_experiment"]

METHODS = ("label_smoothing", "maxsup", "quadratic")

#: Sizes of claim G2 (check: "default", ``--full``: "full"). Targets: ``target_alphas``
#: alphas in [0.02, 0.48], K in ``gap_ks``; exact kinked minimisers on a binary (N, d)
#: draw ``kink_binary`` and a 3-class (N, d) draw ``kink_multiclass``. Experiment:
#: ``n_seeds`` draws of binary (N, d) ``binary`` and multiclass (N, d, K) ``multiclass``.
SIZES = {
    "default": dict(target_alphas=10, gap_ks=(3, 5), kink_binary=(60, 20),
                    kink_multiclass=(45, 6), n_seeds=2, binary=(120, 48),
                    multiclass=(90, 12, 3)),
    "full": dict(target_alphas=24, gap_ks=(2, 3, 5, 10), kink_binary=(200, 60),
                 kink_multiclass=(150, 20), n_seeds=5, binary=(400, 160),
                 multiclass=(600, 60, 5)),
}


# ------------------------------------------------------------------------ targets
def maxsup_target_hand(alpha: float) -> float:
    r"""Hand-derived binary MaxSup target :math:`\log(2/\alpha - 3)`, 0 for
    :math:`\alpha \ge 1/2` (module docstring; independent of the SymPy derivation)."""
    return math.log(2.0 / alpha - 3.0) if alpha < 0.5 else 0.0


def maxsup_gap_hand(alpha: float, k: int) -> float:
    r"""Hand-derived K-class MaxSup gap :math:`\log(K/\alpha - (2K-1))`, 0 for
    :math:`\alpha \ge 1/2`."""
    return math.log(k / alpha - (2 * k - 1)) if alpha < 0.5 else 0.0


def brent_target(loss, alpha: float, *, bound: float = 40.0) -> float:
    """Bounded Brent minimisation of ``loss(t, alpha)`` on [-bound, bound] (xatol 1e-12):
    an argmin route that never uses a stationarity formula."""
    res = optimize.minimize_scalar(lambda t: float(loss(t, alpha)), bounds=(-bound, bound),
                                   method="bounded", options={"xatol": 1e-12, "maxiter": 500})
    return float(res.x)


# ------------------------------------------------------------------------ conic cross-check
def _clarabel(P_n, q, rows, b, cones, tol):
    import clarabel

    A = sps.csc_matrix(rows)
    s = clarabel.DefaultSettings()
    s.verbose = False
    s.tol_gap_abs = s.tol_gap_rel = s.tol_feas = tol
    s.max_iter = 300
    sol = clarabel.DefaultSolver(sps.csc_matrix((P_n, P_n)), q, A, b, cones, s).solve()
    if str(sol.status) not in ("Solved", "AlmostSolved"):
        raise RuntimeError(f"clarabel status {sol.status}")
    return np.asarray(sol.x), float(sol.obj_val)


def maxsup_conic_binary(U, alpha: float, *, tol: float = 1e-10):
    r"""Binary MaxSup minimiser as an exponential-cone program (independent of the
    registry): :math:`\min \frac1N\sum_i (1-\alpha)r_i + \frac\alpha2 a_i` s.t.
    :math:`e^{-r_i} + e^{-t_i-r_i} \le 1` (i.e. :math:`r_i \ge \operatorname{softplus}
    (-t_i)`) and :math:`|t_i| \le a_i`, :math:`t = US`. Returns ``(S, objective)``."""
    import clarabel

    U = np.asarray(U, dtype=float)
    n, d = U.shape
    nv = d + 4 * n  # S, r, a, v, w
    iS, ir, ia, iv, iw = 0, d, d + n, d + 2 * n, d + 3 * n
    rows, b = [], []

    def row():
        rows.append(np.zeros(nv))
        return rows[-1]

    for i in range(n):  # v_i + w_i <= 1
        r_ = row(); r_[iv + i] = r_[iw + i] = 1.0; b.append(1.0)
    for i in range(n):  # a_i - t_i >= 0  and a_i + t_i >= 0
        r_ = row(); r_[iS:iS + d] = U[i]; r_[ia + i] = -1.0; b.append(0.0)
        r_ = row(); r_[iS:iS + d] = -U[i]; r_[ia + i] = -1.0; b.append(0.0)
    for i in range(n):  # (-r_i, 1, v_i) and (-t_i - r_i, 1, w_i) in K_exp
        for first, slot in ((None, iv), (U[i], iw)):
            r_ = row(); r_[ir + i] = 1.0
            if first is not None:
                r_[iS:iS + d] = first
            b.append(0.0)
            row(); b.append(1.0)
            r_ = row(); r_[slot + i] = -1.0; b.append(0.0)
    q = np.zeros(nv)
    q[ir:ir + n] = (1 - alpha) / n
    q[ia:ia + n] = alpha / (2 * n)
    cones = [clarabel.NonnegativeConeT(3 * n)] + [clarabel.ExponentialConeT()] * (2 * n)
    x, obj = _clarabel(nv, q, np.array(rows), np.array(b), cones, tol)
    return x[:d], obj


def maxsup_conic_multiclass(X, y, k: int, alpha: float, *, tol: float = 1e-10):
    r"""Multiclass MaxSup (with bias) as an exponential-cone program:
    :math:`r_i \ge \operatorname{lse}(z_i) - z_{iy_i}` via
    :math:`\sum_k e^{z_{ik} - z_{iy_i} - r_i} \le 1`, :math:`a_i \ge z_{ik} - \bar z_i`
    for all k. Returns ``(W, b, objective)``."""
    import clarabel

    X = np.asarray(X, dtype=float)
    n, d = X.shape
    xa = np.hstack([X, np.ones((n, 1))])
    p = d + 1
    nw = k * p
    ir, ia, iv = nw, nw + n, nw + 2 * n
    nv = nw + 2 * n + n * k
    rows, b = [], []

    def zrow(i, kk):
        r_ = np.zeros(nv)
        r_[kk * p:(kk + 1) * p] = xa[i]
        return r_

    for i in range(n):  # sum_k v_ik <= 1
        r_ = np.zeros(nv); r_[iv + i * k:iv + (i + 1) * k] = 1.0; rows.append(r_); b.append(1.0)
    for i in range(n):  # a_i - z_ik + mean z_i >= 0
        mean = sum(zrow(i, j) for j in range(k)) / k
        for kk in range(k):
            r_ = zrow(i, kk) - mean; r_[ia + i] = -1.0; rows.append(r_); b.append(0.0)
    for i in range(n):  # (z_ik - z_iy - r_i, 1, v_ik) in K_exp
        for kk in range(k):
            r_ = -(zrow(i, kk) - zrow(i, y[i])); r_[ir + i] = 1.0; rows.append(r_); b.append(0.0)
            rows.append(np.zeros(nv)); b.append(1.0)
            r_ = np.zeros(nv); r_[iv + i * k + kk] = -1.0; rows.append(r_); b.append(0.0)
    q = np.zeros(nv)
    q[ir:ir + n] = (1 - alpha) / n
    q[ia:ia + n] = alpha / n
    cones = [clarabel.NonnegativeConeT(n + n * k)] + [clarabel.ExponentialConeT()] * (n * k)
    x, obj = _clarabel(nv, q, np.array(rows), np.array(b), cones, tol)
    Wa = x[:nw].reshape(k, p)
    return Wa[:, :d], Wa[:, d], obj


# ------------------------------------------------------------------------ experiment
def _native_scale(name, alpha):
    """Factor turning the framework loss into the published 'CE + extra' form."""
    return 1.0 if name == "label_smoothing" else 1.0 / (1.0 - alpha)


def _cv(values):
    v = np.asarray(values, dtype=float)
    return float(np.std(v) / np.mean(v)) if v.size > 1 and np.mean(v) > 0 else float("nan")


def binary_comparison(ds, test_kw, alpha=0.2, *, names=METHODS) -> dict:
    r"""Exact minimisers of each method on one binary draw; per method: clean Gaussian
    test accuracy, clustering CV of clean margins, misclassified training samples
    (observed labels), flipped among them, kink samples (:math:`t_i = 0` exactly), and the
    number of misclassified samples whose :math:`z_{gt}` is pushed down by the extra
    term / by the full loss (:math:`\partial/\partial z_{gt} = \partial/\partial t`)."""
    ce_d = compile_binary("quadratic").dloss  # l_CE' = the alpha = 0 member
    out = {}
    for name in names:
        comp = compile_binary(name)
        sol = minimize_binary(ds.u, name, alpha)
        t = ds.u @ sol.coef
        mis = t < 0
        full = comp.dloss(t[mis], alpha)
        extra = _native_scale(name, alpha) * full - ce_d(t[mis], 0.0)
        out[name] = {
            "acc": gaussian_accuracy(sol.coef, **test_kw),
            "cv": _cv(t[~ds.flipped]),
            "mis": int(mis.sum()), "mis_flipped": int((mis & ds.flipped).sum()),
            "kink": len(sol.details.get("kink", ())),
            "graded": int(mis.sum()), "extra_down": int(np.sum(extra > 0)),
            "full_down": int(np.sum(full > 0)),
            "certificate": sol.gradient_norm,
        }
    return out


def multiclass_comparison(ds, test, alpha=0.2, *, names=METHODS) -> dict:
    """As :func:`binary_comparison` for K classes (accuracy on a clean fresh test set;
    margins :math:`z_{gt} - \\max_{k\\ne gt} z_k`); ties of the top logits are counted
    and excluded from the gradient signs (the gradient is not defined there)."""
    k = ds.k
    ce = compile_multiclass("quadratic", k)  # alpha = 0: cross-entropy gradients
    out = {}
    for name in names:
        comp = compile_multiclass(name, k)
        sol = minimize_multiclass(ds.X, ds.y, name, alpha, n_classes=k)
        Z = ds.X @ sol.coef.T + sol.intercept
        idx = np.arange(ds.n)
        zgt = Z[idx, ds.y]
        other = np.where(np.arange(k)[None, :] == ds.y[:, None], -np.inf, Z).max(axis=1)
        margin = zgt - other
        mis = margin < 0
        top_sorted = np.sort(Z, axis=1)
        ties = np.abs(top_sorted[:, -1] - top_sorted[:, -2]) <= 1e-9 * (1 + np.abs(Z).max())
        use = mis & ~ties
        # Columns 0 and y_i swapped: the compiled loss is for class 0 (f symmetric).
        Zp = Z[use].copy()
        yy = ds.y[use]
        Zp[np.arange(yy.size), yy], Zp[:, 0] = Zp[:, 0], Zp[np.arange(yy.size), yy].copy()
        full = comp.grad[0](*Zp.T, alpha) if yy.size else np.zeros(0)
        ce_g = ce.grad[0](*Zp.T, 0.0) if yy.size else np.zeros(0)
        extra = _native_scale(name, alpha) * full - ce_g
        pred = (test.X @ sol.coef.T + sol.intercept).argmax(axis=1)
        out[name] = {
            "acc": float(np.mean(pred == test.y_clean)),
            "cv": _cv(margin[~ds.flipped]),
            "mis": int(mis.sum()), "mis_flipped": int((mis & ds.flipped).sum()),
            "kink": int(ties.sum()), "graded": int(use.sum()), "extra_down": int(np.sum(extra > 0)),
            "full_down": int(np.sum(full > 0)), "certificate": sol.gradient_norm,
        }
    return out


def _aggregate(rows):
    keys = rows[0][METHODS[0]].keys()
    out = {name: {key: mean_and_sem([r[name][key] for r in rows])[0] for key in keys}
           for name in METHODS}
    for name in METHODS:
        out[name]["acc_sem"] = mean_and_sem([r[name]["acc"] for r in rows])[1]
    return out


# ------------------------------------------------------------------------ checks
@register("G2", "MaxSup targets t* = log(2/alpha-3), g* = log(K/alpha-(2K-1)), degenerate for "
          "alpha >= 1/2; exact kinked minimiser certified and cross-checked by a cone program")
def check_g2_targets(full: bool = False) -> CheckResult:
    """Claim G2, targets and exact minimiser, at :data:`SIZES` ``"default"`` (``full``:
    ``"full"``)."""
    s = SIZES["full" if full else "default"]
    ev = {}
    comp = compile_binary("maxsup")
    alphas = np.linspace(0.02, 0.48, s["target_alphas"])
    err_hand = max(abs(comp.target(a) - maxsup_target_hand(a)) for a in alphas)
    err_brent = max(abs(comp.target(a) - brent_target(comp.loss, a)) for a in alphas)
    degenerate = [0.5, 0.6, 0.75, 0.9]
    # At alpha = 1/2 the right derivative at the kink vanishes: the loss is flat to second
    # order there and Brent locates the minimum only to ~sqrt(eps) ~ 1e-8.
    degen_ok = all(comp.target(a) == 0.0 and abs(brent_target(comp.loss, a)) <= 1e-6
                   for a in degenerate)
    ev["binary |registry - hand| max"] = err_hand
    ev["binary |registry - Brent argmin| max"] = err_brent
    ev["binary alpha_max (degenerate from)"] = comp.alpha_max
    ev["binary degenerate alphas give t*=0 (registry & Brent)"] = degen_ok
    err_gap, amax_ok = 0.0, True
    for k in s["gap_ks"]:
        mc = compile_multiclass("maxsup", k)
        amax_ok &= mc.alpha_max == 0.5
        for a in alphas[::2]:
            g = mc.gap(a)
            brent = brent_target(lambda x, al: mc.loss(x, *([0.0] * (k - 1)), al), a)
            err_gap = max(err_gap, abs(g - maxsup_gap_hand(a, k)), abs(g - brent))
    ev["multiclass |registry - hand/Brent| max"] = err_gap
    ev["multiclass alpha_max = 1/2 for every K"] = amax_ok
    # Published schedule alpha_ms in [0.1, 0.2] <-> framework alpha = alpha_ms/(1+alpha_ms).
    for a_ms in (0.1, 0.2):
        a = a_ms / (1 + a_ms)
        ev[f"published alpha_ms={a_ms}: framework alpha, gap K=1000"] = \
            f"{a:.4f}, {maxsup_gap_hand(a, 1000):.4f}"

    # Exact minimisers: N < d (every logit reaches t*) and kinked N > d with label noise.
    small = binary_signal_noise(20, 40, sigma_f=0.5, seed=3)
    sol = minimize_binary(small.u, "maxsup", 0.2)
    ev["N<d: max |t_i - t*|"] = float(np.max(np.abs(small.u @ sol.coef - comp.target(0.2))))
    noisy = binary_signal_noise(*s["kink_binary"], sigma_f=0.5, label_noise=0.2, seed=4)
    sol = minimize_binary(noisy.u, "maxsup", 0.2)
    S_c, obj_c = maxsup_conic_binary(noisy.u, 0.2)
    ev["binary kink samples at minimiser"] = len(sol.details.get("kink", []))
    ev["binary certificate dist(0, subdiff)"] = sol.gradient_norm
    ev["binary |objective - cone program|"] = abs(sol.loss - obj_c)
    ev["binary |S - S_cone| / |S|"] = float(np.linalg.norm(sol.coef - S_c)
                                            / np.linalg.norm(sol.coef))
    mds = multiclass_signal_noise(*s["kink_multiclass"], 3, sigma_f=0.3, sigma_n=1.0,
                                  label_noise=0.2, seed=5)
    msol = minimize_multiclass(mds.X, mds.y, "maxsup", 0.2, n_classes=3)
    W_c, b_c, mobj_c = maxsup_conic_multiclass(mds.X, mds.y, 3, 0.2)
    ev["multiclass certificate"] = msol.gradient_norm
    ev["multiclass |objective - cone program|"] = abs(msol.loss - mobj_c)
    Z1 = mds.X @ msol.coef.T + msol.intercept
    Z2 = mds.X @ W_c.T + b_c
    Z1, Z2 = Z1 - Z1.mean(axis=1, keepdims=True), Z2 - Z2.mean(axis=1, keepdims=True)
    ev["multiclass max |centred logits - cone|"] = float(np.max(np.abs(Z1 - Z2)))
    # Tolerances: closed forms in float64 ~1e-15; Brent xatol 1e-12 on a loss whose
    # curvature at t* is O(0.1) -> ~1e-7 in t (flat minimum: error ~ sqrt(eps)); Newton to
    # 1e-10 gradient; the interior-point gaps 1e-10 give objectives to ~1e-8 and a
    # minimiser to ~sqrt(1e-8) ~ 1e-4 where the loss is flat (kinks, weak curvature).
    passed = (err_hand < 1e-12 and err_brent < 1e-6 and degen_ok and comp.alpha_max == 0.5
              and err_gap < 1e-6 and amax_ok and ev["N<d: max |t_i - t*|"] < 1e-8
              and sol.gradient_norm <= 1e-10 and ev["binary |objective - cone program|"] < 1e-7
              and ev["binary |S - S_cone| / |S|"] < 1e-3 and msol.gradient_norm <= 1e-10
              and ev["multiclass |objective - cone program|"] < 1e-7
              and ev["multiclass max |centred logits - cone|"] < 1e-3)
    return CheckResult(
        "G2", "MaxSup targets, degenerate range, exact minimiser", ev,
        "hand formula 1e-12; Brent argmin 1e-6; alpha_max = 1/2 exactly; N<d logits at t* to "
        "1e-8; subgradient certificate <= 1e-10; cone program objective within 1e-7, "
        "minimiser within 1e-3 (interior-point accuracy)", bool(passed),
        note="MaxSup is solved by smoothing continuation + Newton on the kink/tie active set; "
             "optimality is certified by the distance of 0 to the subdifferential (bounded "
             "least squares over the kink multipliers); clarabel exponential-cone program as "
             "independent cross-check.")


@register("G2", "LS vs MaxSup vs quadratic on signal-plus-noise data with label noise: "
          "accuracy, clustering, misclassified samples with z_gt pushed down")
def check_g2_experiment(full: bool = False) -> CheckResult:
    """Claim G2, LS vs MaxSup vs quadratic on data, at :data:`SIZES` ``"default"``
    (``full``: ``"full"``)."""
    s = SIZES["full" if full else "default"]
    alpha = 0.2
    n_seeds = s["n_seeds"]
    (n, d), (mn, md, k) = s["binary"], s["multiclass"]
    ev, ok = {}, True
    for eta in (0.0, 0.2):
        rows, mrows = [], []
        for s in seeds(600 + int(100 * eta), n_seeds):
            ds = binary_signal_noise(n, d, sigma_f=0.5, sigma_n=1.0, label_noise=eta, seed=s)
            rows.append(binary_comparison(ds, dict(mu_f=1.0, sigma_f=0.5, sigma_n=1.0), alpha))
            mds = multiclass_signal_noise(mn, md, k, sigma_f=0.3, sigma_n=1.0, label_noise=eta,
                                          seed=s)
            test = multiclass_signal_noise(2000, md, k, sigma_f=0.3, sigma_n=1.0,
                                           means=mds.base_means, seed=s + 1)
            mrows.append(multiclass_comparison(mds, test, alpha))
        for label, rr in (("binary", rows), (f"K={k}", mrows)):
            agg = _aggregate(rr)
            for name in METHODS:
                a = agg[name]
                ev[f"{label} eta={eta} {name}: acc+-sem, cv, mis(flipped), kink"] = (
                    f"{a['acc']:.4f}+-{a['acc_sem']:.4f}, {a['cv']:.3f}, {a['mis']:.1f}({a['mis_flipped']:.1f}), "
                    f"{a['kink']:.1f}")
                ev[f"{label} eta={eta} {name}: z_gt pushed down by extra / full loss"] = (
                    f"{a['extra_down']:.1f} / {a['full_down']:.1f} of {a['mis']:.1f}")
            for r in rr:
                # Symbolic G2 facts on data: LS's extra term pushes z_gt down on every
                # misclassified sample, MaxSup's on none; neither full loss ever does
                # (p_gt <= 1/2 < s_gt). All minimisers certified.
                ok &= r["label_smoothing"]["extra_down"] == r["label_smoothing"]["graded"]
                ok &= r["maxsup"]["extra_down"] == 0
                ok &= r["label_smoothing"]["full_down"] == 0 and r["maxsup"]["full_down"] == 0
                ok &= all(r[m]["certificate"] <= 1e-9 for m in METHODS)
    return CheckResult(
        "G2", "LS vs MaxSup vs quadratic (measurement)", ev,
        "measurement; verdict = on data the extra-term signs match the symbolic G2 facts "
        "(LS pushes z_gt down on every misclassified sample, MaxSup on none), neither full "
        "loss pushes a misclassified z_gt down, all minimisers certified to 1e-9",
        bool(ok),
        note=f"alpha={alpha} (framework; MaxSup published alpha_ms = alpha/(1-alpha) = 0.25); "
             f"{n_seeds} seeds; binary N={n}, d={d}, sigma_f=0.5; multiclass N={mn}, d={md}, "
             f"K={k}; accuracies on clean labels.")
