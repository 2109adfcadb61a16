r"""Claim G2 (numeric): MaxSup in the logit-regularisation framework (RELATED.md G2).

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

**Exact minimiser on data.** :func:`numerics.solve.solvers.minimize_binary` /
:func:`~numerics.solve.solvers.minimize_multiclass`: smoothing continuation, then Newton on the
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
from numerics.models.data import binary_signal_noise, multiclass_signal_noise
from numerics.solve.solvers import minimize_binary, minimize_multiclass
from numerics.claims._common import mean_and_sem, seeds
from numerics.claims.invariance import gaussian_accuracy

__all__ = ["maxsup_target_hand", "maxsup_gap_hand", "brent_target", "maxsup_conic_binary",
           "maxsup_conic_multiclass", "binary_comparison", "multiclass_comparison",
           "check_g2_targets", "check_g2_experiment", "g4_runs"]

METHODS = ("label_smoothing", "maxsup", "quadratic")


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
def check_g2_targets(full: bool = False, report_dir=None) -> CheckResult:
    ev = {}
    comp = compile_binary("maxsup")
    alphas = np.linspace(0.02, 0.48, 24 if full else 10)
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
    for k in ((2, 3, 5, 10) if full else (3, 5)):
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
    noisy = binary_signal_noise(60 if not full else 200, 20 if not full else 60, sigma_f=0.5,
                                label_noise=0.2, seed=4)
    sol = minimize_binary(noisy.u, "maxsup", 0.2)
    S_c, obj_c = maxsup_conic_binary(noisy.u, 0.2)
    ev["binary kink samples at minimiser"] = len(sol.details.get("kink", []))
    ev["binary certificate dist(0, subdiff)"] = sol.gradient_norm
    ev["binary |objective - cone program|"] = abs(sol.loss - obj_c)
    ev["binary |S - S_cone| / |S|"] = float(np.linalg.norm(sol.coef - S_c)
                                            / np.linalg.norm(sol.coef))
    mds = multiclass_signal_noise(45 if not full else 150, 6 if not full else 20, 3,
                                  sigma_f=0.3, sigma_n=1.0, label_noise=0.2, seed=5)
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
def check_g2_experiment(full: bool = False, report_dir=None) -> CheckResult:
    alpha = 0.2
    n_seeds = 5 if full else 2
    (n, d), (mn, md, k) = ((400, 160), (600, 60, 5)) if full else ((120, 48), (90, 12, 3))
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


# ====================================================================== G4: PEGR (numeric)
def pegr_functions(regularizer=None):
    r"""Compiled :math:`\varphi, \varphi'` of :func:`theory.pegr.derive_pegr` with
    arguments ``(t, alpha, lambda, r)`` (claim G4)."""
    from theory import ALPHA, T
    from theory.pegr import LAM, R2, derive_pegr

    from numerics.compile.compiled import lambdify_numpy

    d = derive_pegr(regularizer)
    args = (T, ALPHA, LAM, R2)
    return lambdify_numpy(args, d.objective), lambdify_numpy(args, d.dobjective), d


def pegr_gradient_descent(U, lam, *, regularizer=None, alpha=0.0, lr, record_at):
    r"""Full-batch GD on :math:`\frac1N\sum_i \varphi(S\cdot u_i; r_i)` from :math:`S=0`,
    :math:`\nabla = \frac1N U^\top\varphi'(t)`; returns ``{epoch: S}`` at ``record_at``."""
    _, dphi, _ = pegr_functions(regularizer)
    r = np.einsum("ij,ij->i", U, U)
    S = np.zeros(U.shape[1])
    out, epoch = {}, 0
    for stop in sorted(record_at):
        for _ in range(stop - epoch):
            S -= lr * (U.T @ dphi(U @ S, alpha, lam, r)) / U.shape[0]
        epoch = stop
        if not np.all(np.isfinite(S)):
            raise FloatingPointError(f"PEGR gradient descent diverged by epoch {epoch}")
        out[stop] = S.copy()
    return out


def gradient_variance_identity(U, S, lam=1.0):
    r""":math:`\frac1N\sum\|g_i\|^2` vs :math:`\|\bar g\|^2 + \frac1N\sum\|g_i-\bar g\|^2`
    for :math:`g_i = \ell_{CE}'(t_i)u_i`, and the PEGR term :math:`\varphi - \ell` of the
    theory vs :math:`\lambda\|g_i\|^2`. Returns the two relative errors."""
    phi, _, d = pegr_functions(None)
    ce = compile_binary("quadratic")
    t = U @ S
    g = ce.dloss(t, 0.0)[:, None] * U
    lhs = float(np.mean(np.sum(g * g, axis=1)))
    gbar = g.mean(axis=0)
    rhs = float(gbar @ gbar + np.mean(np.sum((g - gbar) ** 2, axis=1)))
    r = np.einsum("ij,ij->i", U, U)
    term = phi(t, 0.0, lam, r) - ce.loss(t, 0.0)
    direct = lam * np.sum(g * g, axis=1)
    return abs(lhs - rhs) / lhs, float(np.max(np.abs(term - direct) / np.maximum(direct, 1e-300)))


def g4_runs(epochs=(10**2, 10**3, 10**4), q_epochs: int = 5000, *, alpha: float = 0.2) -> dict:
    r"""G4's separable experiment (check and notebook): :math:`N = 40 < d = 100`
    (``binary_signal_noise``, :math:`\sigma_f = 0.5`, seed 21), PEGR strength
    :math:`\lambda = 1/\operatorname{mean}\|u_i\|^2`. Gradient descent from 0 on CE-PEGR
    (``runs["pegr"]``) and plain CE (``runs["ce"]``) recorded at ``epochs``, with step 1/L;
    the max-margin direction ``mm`` and ``norm_target`` :math:`= \|\hat S\|\ln 10` (growth
    per decade, Soudry et al.); quadratic-PEGR GD (``alpha``) for ``q_epochs`` (``Sq``),
    the target ``t_star`` and the exact logit-regularised minimiser ``exact``."""
    from numerics.solve.maxmargin import max_margin_direction

    epochs = list(epochs)
    n, dim = 40, 100
    ds = binary_signal_noise(n, dim, sigma_f=0.5, seed=21)
    U = ds.u
    r = np.einsum("ij,ij->i", U, U)
    lam = 1.0 / float(r.mean())  # lambda ||u||^2 ~ 1: PEGR term comparable to the loss
    # phi'' <= 1/4 + 2 lambda r (1/16 + 1/10) for CE: step 1/L with L = ||U||^2/N * phi''_max.
    lr = 1.0 / (np.linalg.norm(U, 2) ** 2 / n * (0.25 + 0.33 * lam * r.max()))
    mm = max_margin_direction(U)
    runs = {"pegr": pegr_gradient_descent(U, lam, lr=lr, record_at=epochs),
            "ce": pegr_gradient_descent(U, 0.0, lr=lr, record_at=epochs)}
    norm_target = float(np.linalg.norm(mm.weights)) * math.log(10)
    # Logit-regularised PEGR (quadratic): GD converges to U S = t* 1 (N < d).
    t_star = compile_binary("quadratic").target(alpha)
    lr_q = 1.0 / (np.linalg.norm(U, 2) ** 2 / n * (0.25 + 2 * alpha + 0.5 * lam * r.max()))
    Sq = pegr_gradient_descent(U, lam, regularizer="quadratic", alpha=alpha, lr=lr_q,
                               record_at=[q_epochs])[q_epochs]
    exact = minimize_binary(U, "quadratic", alpha).coef
    return {"U": U, "r": r, "lam": lam, "lr": lr, "epochs": epochs, "mm": mm, "runs": runs,
            "norm_target": norm_target, "alpha": alpha, "t_star": t_star, "lr_q": lr_q,
            "q_epochs": q_epochs, "Sq": Sq, "exact": exact}


@register("G4", "PEGR in the linear model: l + lambda l'^2 ||u||^2 has no finite target for CE "
          "(GD -> max-margin, margins grow) and keeps the logit-regularised target t*")
def check_g4(full: bool = False, report_dir=None) -> CheckResult:
    _, _, d_ce = pegr_functions(None)
    _, _, d_q = pegr_functions("quadratic")
    ev = {"symbolic: CE-PEGR finite target": d_ce.finite_target,
          "symbolic: quadratic-PEGR finite target": d_q.finite_target,
          "symbolic: tail lim e^t(-phi')": str(d_ce.limits["exp(t) (-phi'(t)), t -> oo"])}
    epochs = [10**2, 10**3, 10**4] + ([10**5, 10**6] if full else [])
    g4 = g4_runs(epochs, 20000 if full else 5000)
    U, r, lam, mm, runs = g4["U"], g4["r"], g4["lam"], g4["mm"], g4["runs"]
    norm_target = g4["norm_target"]
    growth_ok, cos_ok = True, True
    for name, traj in runs.items():
        norms = [float(np.linalg.norm(traj[e])) for e in epochs]
        cos = [float(traj[e] @ mm.direction / np.linalg.norm(traj[e])) for e in epochs]
        minm = [float(np.min(U @ traj[e])) for e in epochs]
        ev[f"{name}: ||S|| at 1e2.."] = ", ".join(f"{x:.3f}" for x in norms)
        ev[f"{name}: 1 - cos(S, max-margin)"] = ", ".join(f"{1 - c:.2e}" for c in cos)
        ev[f"{name}: min margin"] = ", ".join(f"{x:.3f}" for x in minm)
        last = norms[-1] - norms[-2]
        ev[f"{name}: d||S||/decade (last) / (||S_hat|| ln 10)"] = last / norm_target
        growth_ok &= all(b > a for a, b in zip(norms, norms[1:])) and minm[-1] > minm[-2] > 0
        # Soudry et al.: S_k = S_hat log k + O(1): growth per decade -> ||S_hat|| ln 10.
        growth_ok &= abs(last / norm_target - 1) < 0.15
        cos_ok &= all(b > a for a, b in zip(cos[1:], cos[2:])) and cos[-1] > 0.99
    gap_p = 1 - runs["pegr"][epochs[-1]] @ mm.direction / np.linalg.norm(runs["pegr"][epochs[-1]])
    gap_c = 1 - runs["ce"][epochs[-1]] @ mm.direction / np.linalg.norm(runs["ce"][epochs[-1]])
    ev["direction gap ratio PEGR/CE (last)"] = float(gap_p / gap_c)

    # Logit-regularised PEGR (quadratic, alpha=0.2): GD converges to U S = t* 1 (N < d).
    alpha, Sq, exact = g4["alpha"], g4["Sq"], g4["exact"]
    ev["quadratic-PEGR GD: max |t_i - t*|"] = float(np.max(np.abs(U @ Sq - g4["t_star"])))
    ev["quadratic-PEGR GD vs logit-reg minimiser (rel)"] = float(
        np.linalg.norm(Sq - exact) / np.linalg.norm(exact))
    # N > d: PEGR re-weights samples by ||u_i||^2, its minimiser moves.
    big = binary_signal_noise(160, 40, sigma_f=0.5, seed=22)
    Ub = big.u
    rb = np.einsum("ij,ij->i", Ub, Ub)
    lam_b = 1.0 / float(rb.mean())
    phi_q, dphi_q, _ = pegr_functions("quadratic")
    res = optimize.minimize(
        lambda S: float(np.mean(phi_q(Ub @ S, alpha, lam_b, rb))),
        np.zeros(Ub.shape[1]), jac=lambda S: Ub.T @ dphi_q(Ub @ S, alpha, lam_b, rb) / len(rb),
        method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
    reg_b = minimize_binary(Ub, "quadratic", alpha).coef
    ev["N>d: |S_PEGR - S_logitreg| / |S_logitreg|"] = float(
        np.linalg.norm(res.x - reg_b) / np.linalg.norm(reg_b))
    kw = dict(mu_f=1.0, sigma_f=0.5, sigma_n=1.0)
    ev["N>d: accuracy PEGR, logit-reg"] = \
        f"{gaussian_accuracy(res.x, **kw):.4f}, {gaussian_accuracy(reg_b, **kw):.4f}"
    rel_id, rel_term = gradient_variance_identity(U, runs["pegr"][epochs[0]], lam)
    ev["mean|g_i|^2 = |mean g|^2 + var: rel error"] = rel_id
    ev["PEGR term phi - l = lambda |g_i|^2: rel error"] = rel_term
    ev["lambda * mean ||u||^2"] = lam * float(r.mean())
    # Tolerances: Soudry's O(1/log k) corrections -> 15% on the per-decade growth at 1e4
    # epochs; GD to a strongly convex minimum -> 1e-8; the identity is algebra in float64
    # (1e-12); N>d difference must exceed solver noise by far (> 1e-3).
    passed = (not d_ce.finite_target and d_q.finite_target and growth_ok and cos_ok
              and ev["quadratic-PEGR GD: max |t_i - t*|"] < 1e-8
              and ev["quadratic-PEGR GD vs logit-reg minimiser (rel)"] < 1e-7
              and ev["N>d: |S_PEGR - S_logitreg| / |S_logitreg|"] > 1e-3
              and rel_id < 1e-12 and rel_term < 1e-12)
    note = ("Linear PEGR vs logit regularisation: PEGR's per-sample penalty lambda l'(t)^2 "
            "||u_i||^2 is the squared per-example gradient, which vanishes wherever the "
            "per-sample loss is stationary; phi' = l'(1 + 2 lambda r l'') has the sign of l'. "
            "So for cross-entropy it creates no finite target (phi' < 0, phi -> 0 as t -> oo "
            "with CE's exponential tail): on separable data GD still diverges along the "
            "max-margin direction with margins growing like log k, exactly the alpha = 0 "
            "behaviour, and the logits do not cluster. Logit regularisation adds alpha f(t), "
            "which makes the per-sample loss minimal at a finite t* and clusters the logits; "
            "PEGR added to it leaves t* unchanged (for N <= d the same minimiser, penalty 0 "
            "there) and otherwise only re-weights samples by ||u_i||^2 -- it depends on the "
            "input norm, not only on the logit, so it is not a logit regulariser and breaks "
            "the invariance to x -> Ax. The CNN claim of Meng, Cao, Zou (signal learning vs "
            "noise memorisation in a two-layer polynomial-ReLU CNN) is outside a linear "
            "toolkit and is not imitated here.")
    return CheckResult(
        "G4", "PEGR: no finite target for CE (symbolic + GD), target kept with logit reg",
        ev, "per-decade norm growth within 15% of ||S_hat|| ln 10 and rising cosine > 0.99 "
            "(Soudry O(1/log k)); t* to 1e-8; identity 1e-12", bool(passed), note=note)
