r"""Claim G4 (numeric): PEGR, the per-example gradient regulariser
:math:`\varphi(t) = \ell(t) + \lambda\,\ell'(t)^2\|u\|^2`, in the linear model (docs/theory.md §6).

The symbolic half (:mod:`theory.pegr`) derives :math:`\varphi` and decides whether it has a
finite target. Here, on data: for cross-entropy PEGR has none, so gradient descent from 0
on separable data still diverges along the max-margin direction with margins growing like
:math:`\log k` (the :math:`\alpha = 0` behaviour of B1); added to logit regularisation it
keeps the target :math:`t^*` (for :math:`N \le d` the same minimiser) and otherwise only
re-weights samples by :math:`\|u_i\|^2`. The per-sample identity
:math:`\frac1N\sum\|g_i\|^2 = \|\bar g\|^2 + \frac1N\sum\|g_i - \bar g\|^2` ties the
penalty to the gradient variance.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from core.claims import CheckResult, register

from numerics.compile.compiled import compile_binary
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.binary import minimize_binary
from numerics.models.accuracy import gaussian_accuracy

__all__ = ["SIZES", "pegr_functions", "pegr_gradient_descent", "gradient_variance_identity",
           "g4_runs", "check_g4"]

#: Sizes of claim G4 (check: "default", ``--full``: "full"): the epochs at which the
#: CE / CE-PEGR gradient descent is recorded, and the epochs of quadratic-PEGR descent.
SIZES = {
    "default": dict(epochs=(10**2, 10**3, 10**4), q_epochs=5000),
    "full": dict(epochs=(10**2, 10**3, 10**4, 10**5, 10**6), q_epochs=20000),
}


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
    from numerics.solve.max_margin import max_margin_direction

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
def check_g4(full: bool = False) -> CheckResult:
    """Claim G4 at :data:`SIZES` ``"default"`` (``full``: ``"full"``)."""
    s = SIZES["full" if full else "default"]
    _, _, d_ce = pegr_functions(None)
    _, _, d_q = pegr_functions("quadratic")
    ev = {"symbolic: CE-PEGR finite target": d_ce.finite_target,
          "symbolic: quadratic-PEGR finite target": d_q.finite_target,
          "symbolic: tail lim e^t(-phi')": str(d_ce.limits["exp(t) (-phi'(t)), t -> oo"])}
    epochs = list(s["epochs"])
    g4 = g4_runs(epochs, s["q_epochs"])
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
