r"""Claim G1: implicit bias of gradient descent on separable multiclass data (docs/theory.md §6 (G1)).

PERM losses (:mod:`theory.perm_losses`) depend on the logits only through the relative
margins :math:`m_{ij} = (w_{y_i} - w_j)\cdot x_i`; GD on them runs in margin space
(:mod:`numerics.claims.implicit_bias_gd`).

The claim (Ravi, Scott, Soudry, Wang 2024): for exponential-tailed :math:`\psi` and a small
fixed step, :math:`W_t = \hat W\log t + O(1)` with :math:`\hat W` the multiclass hard-margin
SVM, so the Frobenius direction gap
:math:`\delta_t = \|W_t/\|W_t\|_F - \hat W/\|\hat W\|_F\|_F` decays like :math:`1/\log t`.

**Rate of the O(1) term (why the data below).** Linearising around the limit, with
:math:`\hat W = \sum_{SV}\hat\alpha_{ij} v_{ij}` (SVM duals, :math:`v_{ij}` the Kesler
vectors) and :math:`W_t = \hat W\log t + \tilde W + r_t`, the exponential tail gives
:math:`dr/d\log t \approx -A r`, :math:`A = \sum_{SV}\hat\alpha_{ij}v_{ij}v_{ij}^\top`, so
:math:`r_t \sim t^{-\lambda_{min}(A)}`: only when the dual mass is large along the
directions of the residual (noise large compared with the margin) does
:math:`\delta_t\log t` settle within :math:`t \le 10^5`; with weak noise
(:math:`\lambda_{min}(A) \approx 0.05`) it kept growing by 50% over the grid (measured).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

import theory
from core.claims import CheckResult, register
from theory import perm_losses as pl
from core.validation import check_alpha

from numerics.compile.compiled import compile_multiclass
from core.validation import check_int as _check_int, check_real as _check_real
from numerics.models.multiclass import multiclass_signal_noise
from numerics.solve.multiclass_gradient_descent import multiclass_gradient_descent
from numerics.solve.multiclass_max_margin import multiclass_max_margin
from numerics.solve.separability import kesler_vectors
from numerics.solve.multiclass import minimize_multiclass
from numerics.claims.implicit_bias_gd import (asymptotic_offset, direction_gap, perm_gd,
                                              perm_logit_functions)

__all__ = ["T_GRID", "G1_SIZES", "tail_inequalities_numeric", "G1Setting", "g1_data",
           "evaluate_gap", "symbolic_tail_report", "template_identities",
           "label_smoothing_contrast", "g1_figure_data", "check_g1"]

#: Record grid of the claim.
T_GRID = (100, 1000, 10_000, 100_000)
#: G1: K of the symbolic ET certificates (``ks``), K and random points per K of the
#: 30-digit ET check (``tail_ks``, ``tail_points``). The GD data is G1Setting() at both.
G1_SIZES = {
    "default": dict(ks=(3,), tail_ks=(3, 4), tail_points=120),
    "full": dict(ks=(3, 4, 5), tail_ks=(3, 4, 5), tail_points=400),
}


# ------------------------------------------------------------- exponential tail (ET)
@functools.lru_cache(maxsize=64)
def _mp_tail_functions(name, k, i, c, a, mu):
    m = pl.margin_symbols(k)
    lhs = pl.neg_partial(name, k, i)
    sides = {s: pl.tail_bound(k, i, side=s, c=c, a=a, mu=mu)
             for s in ("upper", "upper_plain", "lower")}
    return (sp.lambdify(m, lhs, modules="mpmath"),
            {s: sp.lambdify(m, e, modules="mpmath") for s, e in sides.items()})


def tail_inequalities_numeric(name, k, *, points=200, c=1, a=1, mu=1, low=-5.0, high=40.0,
                              dps=30, seed=0) -> dict:
    r"""Smallest relative slack of the three ET inequalities (``upper``, ``upper_plain``,
    ``lower``) over ``points`` random margins :math:`m \in [low, high]^{K-1}` (each
    coordinate uniform; a quarter of the points with all margins large, > 10) and every
    index ``i``, at ``dps`` digits. The slack is divided by :math:`\max(|lhs|, |rhs|)`
    (scale free at large margins); negative means the inequality fails there, up to
    rounding of :math:`10^{-dps}` (an inequality that is tight to first order, like the
    lower bound at large m, has relative slack :math:`O(e^{-m})`: far below the digits)."""
    rng = np.random.default_rng(seed)
    worst = {"upper": mpmath.inf, "upper_plain": mpmath.inf, "lower": mpmath.inf}
    pts = rng.uniform(low, high, size=(points, k - 1))
    pts[: points // 4] = rng.uniform(10.0, high, size=(points // 4, k - 1))
    with mpmath.workdps(dps):
        for i in range(k - 1):
            f_lhs, f_rhs = _mp_tail_functions(name, k, i, c, a, mu)
            for p in pts:
                mp = [mpmath.mpf(float(v)) for v in p]
                lhs = f_lhs(*mp)
                for side, f in f_rhs.items():
                    rhs = f(*mp)
                    slack = (lhs - rhs) if side == "lower" else (rhs - lhs)
                    worst[side] = min(worst[side], slack / max(abs(lhs), abs(rhs)))
    return {s: float(v) for s, v in worst.items()}


# ---------------------------------------------------------------------------- G1 data
class G1Setting:
    r"""Data and step of the G1 run.

    Default: :math:`K = 3`, :math:`d = 6`, :math:`N = 60`, noiseless features
    (:math:`\sigma_f = 0`) and strong orthogonal noise :math:`\sigma_n = 2`. The data are
    separable (the class means are), every constraint is a support constraint of
    :math:`\hat W` and they span the row space, so the O(1) term is fully predicted by
    :func:`asymptotic_offset` and :math:`\lambda_{min}(A) \approx 0.3` (residual
    :math:`\sim t^{-0.3}`): the asymptotic regime is reached within the grid. With
    :math:`\sigma_f = 0` and :math:`N \ge d` the :math:`\alpha > 0` minimiser puts every
    training logit exactly on its simplex vertex (M5), the contrast of G1.
    Step :math:`\eta = 2/\lambda_{max}(\mathcal K)`, :math:`\mathcal K = VV^\top/N`: a
    descent step for cross-entropy and PairLogLoss from the start (their Hessians in
    ``m`` are :math:`\preceq \frac12 I`, :math:`\frac14 I`), and for the exponential loss
    once its curvature :math:`e^{-m} \le 1`.
    """

    def __init__(self, n=60, d=6, k=3, sigma_f=0.0, sigma_n=2.0, seed=1, alpha=0.2,
                 t_grid=T_GRID):
        caller = "G1Setting"
        self.n = _check_int(n, "n", caller, minimum=2)
        self.d = _check_int(d, "d", caller, minimum=1)
        self.k = _check_int(k, "k", caller, minimum=2)
        self.sigma_f = _check_real(sigma_f, "sigma_f", caller, lower=0.0)
        self.sigma_n = _check_real(sigma_n, "sigma_n", caller, lower=0.0)
        self.seed = seed
        self.alpha = float(check_alpha(alpha, caller=caller, allow_zero=False))
        self.t_grid = tuple(int(t) for t in t_grid)


def g1_data(setting: G1Setting):
    """``(dataset, svm, lr)`` of a G1 setting."""
    ds = multiclass_signal_noise(setting.n, setting.d, setting.k, sigma_f=setting.sigma_f,
                                 sigma_n=setting.sigma_n, seed=setting.seed)
    svm = multiclass_max_margin(ds.X, ds.y, setting.k)
    V = kesler_vectors(ds.X, ds.y, setting.k)
    lam = float(np.linalg.eigvalsh(V.T @ V / setting.n)[-1])
    return ds, svm, 2.0 / lam


def evaluate_gap(W_traj, W_hat, t_grid) -> dict:
    r"""Gap statistics of one trajectory ``W_traj`` (T, K, d) recorded at ``t_grid``:
    the gap :math:`\delta_t`, :math:`\delta_t\log t`, :math:`C_t = \delta_t\|W_t\|/\|\hat
    W\|` and the growth of :math:`\|W_t\|` per decade in units of :math:`\|\hat W\|\log 10`."""
    gap = direction_gap(W_traj, W_hat)
    norms = np.linalg.norm(np.asarray(W_traj).reshape(len(t_grid), -1), axis=1)
    nh = float(np.linalg.norm(W_hat))
    logt = np.log(np.asarray(t_grid, dtype=float))
    growth = np.diff(norms) / (nh * np.diff(logt))
    return {"gap": gap, "gap_logt": gap * logt, "C": gap * norms / nh, "growth": growth,
            "monotone": bool(np.all(np.diff(gap) < 0))}


def _perturbed_init(k, d, seed):
    rng = np.random.default_rng(seed)
    return 0.1 * rng.standard_normal((k, d)), np.zeros(k)


# ---------------------------------------------------------------------------- G1 check
def symbolic_tail_report(ks=(3,)) -> dict:
    r"""Certificates (all real m) of the ET inequalities with c = a = mu = 1, the sharp
    constant :math:`\lim e^{s}(-\partial_i\psi)(s,..,s)`, permutation symmetry and the
    zero class-sum of :math:`\partial\ell/\partial v` for the three templates; negative
    control: the upper bound with ``a = 2`` must not be certified."""
    out = {"proved": True, "limits": [], "symmetric": True, "zero_class_sum": True,
           "control_a2_proved": False, "cases": 0}
    for k in ks:
        v = theory.logit_symbols(k)
        for name in pl.ET_TEMPLATES:
            for side in ("upper", "upper_plain", "lower"):
                out["proved"] &= pl.tail_certificate(name, k, side=side)["proved"]
                out["cases"] += 1
            out["limits"].append(pl.tail_ratio_limit(name, k))
            out["symmetric"] &= pl.is_symmetric(name, k)
            for y in range(k):
                ell = pl.loss_in_logits(name, k, y)
                s = sp.simplify(theory.to_elementary(sum(sp.diff(ell, vk) for vk in v)))
                out["zero_class_sum"] &= s == 0
        out["control_a2_proved"] |= pl.tail_certificate("cross_entropy", k, side="upper",
                                                        a=2)["proved"]
    return out


def template_identities(k=3, points=20, seed=0) -> float:
    r"""Max ``|difference|`` at random logits (30 digits) between the PERM templates and the
    toolkit's own losses: :math:`\psi_{CE}` vs :math:`\operatorname{lse}(z) - z_y` (the
    :math:`\alpha = 0` loss of :func:`theory.derive_multiclass`) and :math:`\psi_{LS}` vs
    the derived label-smoothing loss, both for class 0."""
    z = theory.logit_symbols(k)
    der = theory.derive_multiclass(theory.get_regularizer("label_smoothing"), k).loss
    pairs = [(pl.loss_in_logits("cross_entropy", k, 0), der.subs(theory.ALPHA, 0)),
             (pl.loss_in_logits("label_smoothing", k, 0), der)]
    rng = np.random.default_rng(seed)
    worst = 0.0
    with mpmath.workdps(30):
        for a_expr, b_expr in pairs:
            f = sp.lambdify((*z, theory.ALPHA), theory.to_elementary(a_expr - b_expr),
                            modules="mpmath")
            for _ in range(points):
                vals = [mpmath.mpf(float(x)) for x in rng.normal(0, 3, k)]
                worst = max(worst, float(abs(f(*vals, mpmath.mpf(float(rng.uniform(0.05, 0.9)))))))
    return worst


def _conservation(ds, k, lr, steps=1000):
    """Weight-space engine runs: row sums from W = 0 and from a random W0 (conserved), and
    the engine's W at ``steps`` against the margin-space :func:`perm_gd` (same GD)."""
    W0, b0 = _perturbed_init(k, ds.d, 7)
    rec = np.array([steps])
    worst_zero = worst_shift = worst_traj = 0.0
    ref = perm_gd(ds.X, ds.y, k, pl.ET_TEMPLATES, lr=lr, record_at=rec)
    for name in pl.ET_TEMPLATES:
        loss, grad = perm_logit_functions(name, k)
        tr = multiclass_gradient_descent((ds.X, ds.y), k=k, loss=loss, grad=grad, epochs=steps,
                                         lr=lr, bias=False, record_at=rec, method="primal")
        W = tr.weights[-1]
        worst_zero = max(worst_zero, float(tr.row_sum_norm[-1] / tr.weight_norm[-1]))
        worst_traj = max(worst_traj, float(np.linalg.norm(W - ref[name][0]) / np.linalg.norm(W)))
        tr2 = multiclass_gradient_descent((ds.X, ds.y), k=k, loss=loss, grad=grad, epochs=steps,
                                          lr=lr, bias=False, record_at=rec, method="primal",
                                          init=(W0, b0))
        shift = tr2.weights[-1].sum(axis=0) - W0.sum(axis=0)
        worst_shift = max(worst_shift, float(np.linalg.norm(shift) / np.linalg.norm(W0)))
    return {"row_sum_from_zero": worst_zero, "row_sum_change_from_W0": worst_shift,
            "engine_vs_margin_space": worst_traj}


def label_smoothing_contrast(ds, k, svm, lr, alpha, steps=(1000, 3000, 10_000)) -> dict:
    r"""The :math:`\alpha > 0` contrast on the same data: GD on :math:`\psi_{LS}` from 0,
    the exact Newton minimiser (:func:`numerics.solve.multiclass.minimize_multiclass`, no bias) and
    the closed form :math:`W_S = Z^* M_S^+`, :math:`W_\perp = 0` (:math:`\sigma_f = 0`,
    M5/Prop. D.2 without bias; :math:`Z^*` the centred simplex targets of
    :func:`numerics.compile_multiclass`)."""
    traj = perm_gd(ds.X, ds.y, k, ["label_smoothing"], alphas=[alpha], lr=lr,
                   record_at=np.array(steps))["label_smoothing"]
    sol = minimize_multiclass(ds.X, ds.y, "label_smoothing", alpha, n_classes=k,
                              fit_intercept=False)
    qh, ql = (float(v) for v in compile_multiclass("label_smoothing", k).targets(alpha))
    Zs = np.full((k, k), ql)
    np.fill_diagonal(Zs, qh)  # column c: target logits of class c
    r = k - 1  # the simplex means live in the first K-1 coordinates
    Ms = ds.means[:, :r].T  # (K-1, K)
    W_closed = np.zeros((k, ds.d))
    W_closed[:, :r] = Zs @ np.linalg.pinv(Ms)
    logits = ds.X @ sol.coef.T
    norms = np.linalg.norm(traj.reshape(len(steps), -1), axis=1)
    return {
        "gd_vs_newton": float(np.linalg.norm(traj[-1] - sol.coef) / np.linalg.norm(sol.coef)),
        "newton_vs_closed_form": float(np.linalg.norm(sol.coef - W_closed)
                                       / np.linalg.norm(W_closed)),
        "logits_to_vertex": float(np.max(np.abs(logits - Zs.T[ds.y])) / (qh - ql)),
        "norm_growth_last": float(norms[-1] / norms[-2] - 1.0),
        "norm": float(norms[-1]),
        "gap_to_svm": float(direction_gap(sol.coef, svm.W)),
        "newton_gradient_norm": float(sol.gradient_norm),
        "q_high": qh, "q_low": ql,
    }


def g1_figure_data(t, runs, svm_W, C_pred) -> dict:
    r"""Data of the report figure ``G1_implicit_bias``: for each loss of ``runs`` (name ->
    :math:`W_t` stack at the steps ``t``) the direction gap :math:`\delta_t` and
    :math:`\|W_t\|_F`, with :math:`\|\hat W\|_F` and the predicted limit ``C_pred`` of
    :math:`\delta_t\|W_t\|_F/\|\hat W\|_F`."""
    t = np.asarray(t, dtype=float)
    return {"t": t, "C_pred": float(C_pred), "norm_hat": float(np.linalg.norm(svm_W)),
            "gap": {name: direction_gap(W, svm_W) for name, W in runs.items()},
            "norm": {name: np.linalg.norm(W.reshape(t.size, -1), axis=1)
                     for name, W in runs.items()}}


@register("G1", "GD on separable multiclass data with an exponential-tailed PERM loss "
                "(CE, exponential, PairLogLoss) converges in direction to the hard-margin "
                "SVM at rate 1/log t; alpha>0 (label smoothing) converges to a finite W "
                "with logits on the simplex vertices")
def check_g1(full: bool = False, *, setting=None) -> CheckResult:
    r"""G1 at ``G1_SIZES["full" if full else "default"]`` on ``setting`` (default
    :class:`G1Setting`); the gap curves as ``G1_implicit_bias``."""
    setting = setting or G1Setting()
    size = G1_SIZES["full" if full else "default"]
    ks = size["ks"]
    ev, ok = {}, {}
    # -- exponential tail, symbolic and numeric
    sym = symbolic_tail_report(ks)
    ev["ET certificates (all real m), cases"] = sym["cases"]
    ok["ET upper, upper without (1+e^-m) factor, lower: proved for all m"] = sym["proved"]
    ev["sharp constant lim e^s (-d_i psi)(s..s)"] = ", ".join(str(v) for v in sym["limits"])
    ok["sharp constant c = 1 at a = 1"] = all(v == 1 for v in sym["limits"])
    ok["templates symmetric, logit gradients sum to 0"] = sym["symmetric"] and \
        sym["zero_class_sum"]
    ok["control: a=2 upper bound not certified"] = not sym["control_a2_proved"]
    worst = {"upper": np.inf, "upper_plain": np.inf, "lower": np.inf}
    for k in size["tail_ks"]:
        for name in pl.ET_TEMPLATES:
            r = tail_inequalities_numeric(name, k, points=size["tail_points"], seed=k)
            worst = {s: min(worst[s], r[s]) for s in worst}
    ctrl = tail_inequalities_numeric("exponential", 3, points=60, a=1.5, seed=1)["upper"]
    ev.update({f"min relative slack, {s} (30 digits, random m)": v for s, v in worst.items()})
    ev["control a=1.5: min relative upper slack"] = ctrl
    # 30-digit evaluation: a true inequality can only show rounding, |slack| <~ 1e-28.
    ok["ET holds at all random points; control fails"] = min(worst.values()) >= -1e-25 \
        and ctrl < -0.1
    ev["template identities vs derive_multiclass (max |diff|)"] = template_identities()
    ok["templates = toolkit CE / label smoothing"] = \
        ev["template identities vs derive_multiclass (max |diff|)"] < 1e-25
    # -- gradient descent
    ds, svm, lr = g1_data(setting)
    k = setting.k
    grid = np.asarray(setting.t_grid)
    dense = np.union1d(np.unique(np.rint(np.logspace(1, np.log10(grid[-1]), 25)).astype(int)),
                       grid)
    runs = perm_gd(ds.X, ds.y, k, pl.ET_TEMPLATES, lr=lr, record_at=dense)
    W_off, C_pred, n_sv = asymptotic_offset(ds.X, ds.y, k, svm.W, lr=lr)
    V = kesler_vectors(ds.X, ds.y, k)
    ev["setting"] = (f"K={k} d={setting.d} N={setting.n} sigma_f={setting.sigma_f} "
                     f"sigma_n={setting.sigma_n} lr={lr:.4f} (2/lambda_max(VV^T/N))")
    ev["SVM |W_hat|, margin, KKT residual"] = \
        f"{np.linalg.norm(svm.W):.6f}, {svm.margin:.6f}, {svm.kkt_residual:.2e}"
    ev["support constraints / rank of their span / (K-1)d"] = \
        f"{n_sv} / {np.linalg.matrix_rank(V[np.abs(V @ svm.W.ravel() - 1) <= 1e-7])} / {(k - 1) * setting.d}"
    ev["predicted lim gap |W_t|/|W_hat| = |W~_perp|/|W_hat|"] = C_pred
    idx = np.searchsorted(dense, grid)
    mono = logt_ok = c_ok = growth_ok = True
    for name in pl.ET_TEMPLATES:
        W = runs[name]
        st = evaluate_gap(W[idx], svm.W, grid)
        ev[f"{name}: gap at t={[int(t) for t in grid]}"] = ", ".join(f"{g:.5f}" for g in st["gap"])
        ev[f"{name}: gap*log t"] = ", ".join(f"{g:.4f}" for g in st["gap_logt"])
        ev[f"{name}: gap*|W_t|/|W_hat|"] = ", ".join(f"{g:.4f}" for g in st["C"])
        ev[f"{name}: |W| growth per log t / |W_hat| (per decade)"] = \
            ", ".join(f"{g:.4f}" for g in st["growth"])
        ratio = float(st["gap_logt"].max() / st["gap_logt"].min())
        ev[f"{name}: max/min of gap*log t"] = ratio
        ev[f"{name}: |C(t_max)/C_pred - 1|"] = abs(st["C"][-1] / C_pred - 1.0)
        mono &= st["monotone"]
        # "Roughly constant": gap*log t varies by < 1.5x over three decades (a constant gap
        # would give log(1e5)/log(1e2) = 2.5x, any power law t^-p far more).
        logt_ok &= ratio <= 1.5
        # The sharp form: gap*|W_t|/|W_hat| -> |W~_perp|/|W_hat|; the residual decays like
        # t^-lambda_min(A) with lambda_min ~ 0.3 here, measured ~0.3% at 1e5: 3%.
        c_ok &= abs(st["C"][-1] / C_pred - 1.0) <= 0.03
        # |W_t| = |W_hat| log t + O(1): last-decade growth within 2% of |W_hat| log 10.
        growth_ok &= abs(st["growth"][-1] - 1.0) <= 0.02
    ok["gap strictly decreasing over the t grid (all three)"] = mono
    ok["gap*log t roughly constant (max/min <= 1.5)"] = logt_ok
    ok["gap*|W_t|/|W_hat| -> predicted |W~_perp|/|W_hat| (3%)"] = c_ok
    ok["|W_t| grows like |W_hat| log t (2%)"] = growth_ok
    cons = _conservation(ds, k, lr)
    ev["sum_k w_k / |W| from W=0 (weight-space engine)"] = cons["row_sum_from_zero"]
    ev["change of sum_k w_k / |W0| from random W0"] = cons["row_sum_change_from_W0"]
    ev["engine (weight space) vs margin-space GD at t=1000"] = cons["engine_vs_margin_space"]
    # ~1e3 updates, each with rounding ~1e-16 of O(|W|) terms: 1e-12.
    ok["sum_k w_k conserved (1e-12)"] = max(cons["row_sum_from_zero"],
                                           cons["row_sum_change_from_W0"]) <= 1e-12
    ok["two GD implementations agree (1e-10)"] = cons["engine_vs_margin_space"] <= 1e-10
    # -- alpha > 0 contrast
    ls = label_smoothing_contrast(ds, k, svm, lr, setting.alpha)
    ev[f"LS alpha={setting.alpha}: |W_GD(1e4) - W_Newton| / |W|"] = ls["gd_vs_newton"]
    ev["LS: |W_Newton - Z* M_S^+| / |W|"] = ls["newton_vs_closed_form"]
    ev["LS: max |z_i - vertex| / (q_high - q_low)"] = ls["logits_to_vertex"]
    ev["LS: |W| at 1e4 (finite), relative growth 3e3 -> 1e4"] = \
        f"{ls['norm']:.6f}, {ls['norm_growth_last']:.2e}"
    # Observation, not a criterion: with sigma_f = 0 and simplex means both the LS
    # minimiser and W_hat are the symmetric signal-only solution, so their *directions*
    # coincide; the contrast is finite norm (logits on the vertices) vs |W| ~ log t.
    ev["LS: direction gap to the SVM (same direction on this data)"] = ls["gap_to_svm"]
    ok["alpha>0: GD -> finite Newton minimiser = closed form, logits on vertices"] = (
        ls["gd_vs_newton"] <= 1e-8 and ls["newton_vs_closed_form"] <= 1e-9
        and ls["logits_to_vertex"] <= 1e-9 and abs(ls["norm_growth_last"]) <= 1e-8)
    ev.update({f"ok: {k_}": v for k_, v in ok.items()})
    return CheckResult(
        "G1", "implicit bias of GD on separable multiclass data (PERM losses)", ev,
        "ET: rational certificates (exact) and >= 0 at random 30-digit points, a=1.5 control "
        "< 0; gap strictly decreasing; max/min gap*log t <= 1.5; gap*|W_t|/|W_hat| within 3% "
        "of the predicted O(1) term; |W| growth per decade within 2% of |W_hat| log 10; "
        "sum_k w_k conserved to 1e-12; LS: GD = Newton (1e-8) = closed form (1e-9), logits "
        "on vertices (1e-9)", all(ok.values()),
        data={"G1_implicit_bias": g1_figure_data(dense, runs, svm.W, C_pred)})
