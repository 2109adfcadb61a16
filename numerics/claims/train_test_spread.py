r"""Claim B11: fresh test logits spread more than the training logits (docs/theory.md §2).

**B11.** For fresh test points of the Gaussian model the logit
:math:`S\cdot u = S_1\mu_f + S_1\sigma_f z + \sigma_n S_\perp\cdot g` is exactly Gaussian,

.. math::
    \operatorname{Var}_{test}(t) = \sigma_f^2 S_1^2 + \sigma_n^2\|S_\perp\|^2 ,

so its sample variance over :math:`M` points is :math:`\chi^2_{M-1}/(M-1)` times that
(an exact test). Linear response in :math:`\sigma_f` around the :math:`\sigma_f = 0`
minimiser :math:`(t^*/\mu_f)e_1` (claim B7) gives the training logits
:math:`t - t^*\mathbf 1 \approx S_1\sigma_f (I - P_{U_0}) z`, hence

.. math::
    \frac{\mathrm{std}_{train}}{\sigma_f S_1} \approx \sqrt{1-\lambda} < 1 <
    \frac{\mathrm{std}_{test}}{\sigma_f S_1} \approx \sqrt{1 + \frac{d-1}{N-d-1}}
    \approx \frac{1}{\sqrt{1-\lambda}},

(the second from :math:`\mathbb E\,\|S_\perp\|^2\sigma_n^2/S_1^2 = \sigma_f^2(d-1)/(N-d-1)`,
an inverse-Wishart mean; see :mod:`numerics.claims.sigma_f`, claim B12), for any
:math:`\alpha` and any convex ``f``: at :math:`\lambda = 0.7`, 0.55 and 1.83.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from core.claims import CheckResult, register

from numerics.models.signal_noise import binary_signal_noise
from numerics.claims._common import mean_and_sem, seeds
from numerics.claims.clustering import blas_single_thread, exact_solver

__all__ = ["SIZES", "MODEL", "ALPHAS", "SCAN_LAMBDAS", "fresh_logit_variance", "spread_rows",
           "chi2_band", "inverse_wishart_trace", "b11_theory", "evaluate_b11",
           "train_ratio_scan", "train_spread_linear_response", "check_b11"]

#: Sizes of claim B11 (check: "default", ``--full``: "full"; Fig. 14 also "test"): draws
#: of (n, d) (lambda = 0.7), ``n_seeds`` of them, ``m_test`` fresh test points per draw,
#: and the training size ``scan_n`` of the lambda scan.
SIZES = {
    "test": dict(n=100, d=70, n_seeds=2, m_test=20_000, scan_n=100),
    "default": dict(n=300, d=210, n_seeds=4, m_test=20_000, scan_n=300),
    "full": dict(n=2000, d=1400, n_seeds=3, m_test=100_000, scan_n=2000),
}
#: Signal-plus-noise model, alphas and seeds of B11 (draws, lambda scan).
MODEL = dict(mu_f=1.0, sigma_f=0.5, sigma_n=1.0)
ALPHAS = (0.05, 0.2, 0.4)
SEED, SCAN_SEED = 111, 112
#: lambda = d/N of the scan of the training spread (evidence only, module docstring).
SCAN_LAMBDAS = (0.1, 0.2, 0.4, 0.7, 0.9)



def fresh_logit_variance(ds, S, m, *, seed, chunk=5000):
    r"""Sample variance (ddof=1) and mean of the logits of ``m`` fresh test points for each
    column of ``S`` (shape (d,) or (d, k)), drawn in chunks so that :math:`m \times d`
    never sits in memory at once. Returns ``(var, mean)`` (floats or (k,) arrays)."""
    S = np.asarray(S, dtype=float)
    logits = []
    for k, s in enumerate(seeds(seed, -(-m // chunk))):
        size = min(chunk, m - k * chunk)
        logits.append(ds.fresh(size, seed=s).u @ S)
    t = np.concatenate(logits)
    var, mean = t.var(axis=0, ddof=1), t.mean(axis=0)
    return (float(var), float(mean)) if S.ndim == 1 else (var, mean)


def spread_rows(n, d, alphas, *, n_seeds, seed, m_test, sigma_f=0.5, mu_f=1.0, sigma_n=1.0,
                regularizer="quadratic", solver=None, keep_S=False):
    """One row per (seed, alpha): S_1, ``|S_perp|``, train std, test variance, its prediction
    (and, with ``keep_S``, the minimiser itself under ``"S"``).

    One test draw per seed serves every alpha (common random numbers across alpha)."""
    solver = solver or exact_solver
    rows = []
    for j, s in enumerate(seeds(seed, n_seeds)):
        ds = binary_signal_noise(n, d, mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n, seed=s)
        Ss = np.column_stack([np.asarray(solver(ds.u, regularizer, a), dtype=float)
                              for a in alphas])
        if m_test:
            test_var, test_mean = fresh_logit_variance(ds, Ss, m_test, seed=s + 1)
        for k, a in enumerate(alphas):
            S = Ss[:, k]
            t = ds.u @ S
            row = {"seed": j, "alpha": float(a), "S1": float(S[0]),
                   "Sperp": float(np.linalg.norm(S[1:])), "train_std": float(t.std()),
                   "signal_std": float(sigma_f * S[0]),
                   "var_pred": float(sigma_f**2 * S[0] ** 2 + sigma_n**2 * (S[1:] @ S[1:]))}
            if m_test:
                row["test_var"], row["test_mean"] = float(test_var[k]), float(test_mean[k])
            if keep_S:
                row["S"] = S.copy()
            rows.append(row)
    return rows


def chi2_band(m, level):
    """Two-sided band for sample variance / true variance of ``m`` Gaussian draws."""
    lo, hi = stats.chi2.ppf([level / 2, 1 - level / 2], m - 1)
    return float(lo / (m - 1)), float(hi / (m - 1))


def inverse_wishart_trace(n, d) -> float:
    r""":math:`(d-1)/(N-d-1)`: the mean of :math:`\mathrm{tr}\,W^{-1}` for the centred
    Wishart matrix of the :math:`d-1` noise columns, i.e. :math:`\mathbb E\,b_0^2` of claim
    B12 (:mod:`numerics.claims.sigma_f`) and the test excess of B11."""
    return (d - 1) / (n - d - 1)


def b11_theory(n, d) -> dict:
    r"""Linear-response values of B11 (module docstring): ``"train"``
    :math:`\sqrt{1-\lambda}` and ``"test"`` :math:`\sqrt{1+(d-1)/(N-d-1)}`,
    :math:`\lambda = d/N`, for :math:`\mathrm{std}/(\sigma_f S_1)`."""
    return {"train": math.sqrt(1 - d / n), "test": math.sqrt(1 + inverse_wishart_trace(n, d))}


def evaluate_b11(rows, *, m_test, n, d, family_level=1e-3) -> dict:
    """Exact chi^2 test of the variance formula (Bonferroni over rows) and the ordering."""
    lo, hi = chi2_band(m_test, family_level / len(rows))
    ratios = [r["test_var"] / r["var_pred"] for r in rows]
    train = [r["train_std"] / r["signal_std"] for r in rows]
    test = [math.sqrt(r["test_var"]) / r["signal_std"] for r in rows]
    theory = b11_theory(n, d)
    ev = {"test var / formula (min)": min(ratios), "test var / formula (max)": max(ratios),
          "chi2 band (Bonferroni, family 1e-3)": f"[{lo:.4f}, {hi:.4f}]",
          "train std / (sigma_f S1) mean": float(np.mean(train)),
          "train std / (sigma_f S1) max": max(train),
          "theory sqrt(1-lambda)": theory["train"],
          "test std / (sigma_f S1) mean": float(np.mean(test)),
          "test std / (sigma_f S1) min": min(test),
          "theory sqrt(1+(d-1)/(N-d-1))": theory["test"]}
    ev["variance formula"] = bool(all(lo <= x <= hi for x in ratios))
    ev["train < sigma_f S1 < test"] = bool(max(train) < 1.0 < min(test))
    return ev


def train_ratio_scan(n, ds_list, *, alpha, n_seeds, seed, sigma_f=0.5, solver=None):
    r"""``[(mean, SE)]`` over ``n_seeds`` draws of :math:`\mathrm{std}_{train}/(\sigma_fS_1)`
    for each ``d`` of ``ds_list`` (the seeds of dimension ``d`` start at ``seed + d``)."""
    out = []
    for d in ds_list:
        rows = spread_rows(n, d, [alpha], n_seeds=n_seeds, seed=seed + d, m_test=0,
                           sigma_f=sigma_f, solver=solver)
        out.append(mean_and_sem([r["train_std"] / r["signal_std"] for r in rows]))
    return out


def train_spread_linear_response(base) -> float:
    r"""Leading order in :math:`\sigma_f` of :math:`\mathrm{std}_{train}/(\sigma_f S_1)` for the
    draw ``base`` (any :math:`\alpha`, any convex ``f`` with :math:`\ell''(t^*) > 0`):
    :math:`\|(I - P_{U_0})z\|/\sqrt N` with :math:`U_0` the :math:`\sigma_f = 0` design and
    :math:`z_i = y_i\xi_{f,i}`; its mean square is :math:`(N-d)/N = 1-\lambda`."""
    U0 = base.rescaled(sigma_f=0.0).u
    z = base.y * base.xi_f
    Q, _ = np.linalg.qr(U0)
    return float(np.linalg.norm(z - Q @ (Q.T @ z)) / math.sqrt(U0.shape[0]))


@register("B11", "test logit variance = sigma_f^2 S1^2 + sigma_n^2 |S_perp|^2; at lambda=0.7 "
                 "train std < sigma_f S1 < test std")
def check_b11(full: bool = False, *, solver=None) -> CheckResult:
    r"""Claim B11 at :data:`SIZES` ``"default"`` (``full``: ``"full"``) with ``solver``
    (default exact). ``data["B11_train_test_spread"]``: the per-(draw, alpha) ``rows`` of
    :func:`spread_rows`, the :func:`b11_theory` values and the lambda scan."""
    s = SIZES["full" if full else "default"]
    n, d, n_seeds, m_test, scan_n = s["n"], s["d"], s["n_seeds"], s["m_test"], s["scan_n"]
    scan_d = [int(round(x * scan_n)) for x in SCAN_LAMBDAS]
    with blas_single_thread():
        rows = spread_rows(n, d, ALPHAS, n_seeds=n_seeds, seed=SEED, m_test=m_test,
                           solver=solver)
        ev = evaluate_b11(rows, m_test=m_test, n=n, d=d)
        scan = train_ratio_scan(scan_n, scan_d, alpha=0.2, n_seeds=3, seed=SCAN_SEED,
                                solver=solver)
    for dd, (mean, sem) in zip(scan_d, scan):
        lam = dd / scan_n
        key = (f"scan lambda={lam:.1f}: train std/(sigma_f S1) "
               f"(sqrt(1-lambda)={math.sqrt(1 - lam):.3f})")
        ev[key] = f"{mean:.3f} +- {sem:.3f}"
    lam = d / n
    data = {"settings": dict(s, **MODEL, alphas=ALPHAS), "rows": rows,
            "theory": b11_theory(n, d),
            "scan": {"lambda": [dd / scan_n for dd in scan_d], "alpha": 0.2,
                     "mean": [m for m, _ in scan], "sem": [se for _, se in scan]}}
    passed = ev["variance formula"] and ev["train < sigma_f S1 < test"]
    return CheckResult(
        "B11", "train vs test logit spread", ev,
        f"exact chi^2_{{M-1}} band for the test variance (M={m_test}, Bonferroni over "
        f"{len(rows)} (seed, alpha), family level 1e-3); train < sigma_f S1 < test for "
        f"every seed and alpha at lambda={lam:.1f}. The lambda scan (3 seeds) shows the "
        "linear-response law train/(sigma_f S1) ~ sqrt(1-lambda); it is not in the verdict: at "
        "sigma_f/mu_f=0.5 its O(sigma_f^2) correction reaches ~16% at lambda=0.9 (tested at "
        "small sigma_f in tests/test_clustering.py)", passed,
        data={"B11_train_test_spread": data},
        note="lambda scan is evidence only (leading order in sigma_f/mu_f)")
