r"""``probe``: the theory of logit regularisation checked on a user's embeddings
(docs/theory.md §5, R1/R2 on your own features; §7 for the prediction).

Steps, all on one standardised train/test split (:func:`numerics.probe._io.prepare`):

1. **Geometry.** Class-mean span, :math:`\sigma_f^{eff}, \sigma_n^{eff}` with bootstrap
   errors, the Fisher subspace (:mod:`numerics.probe.geometry`).
2. **Accuracy vs** :math:`\alpha` (R1). Exact minimisers of the multiclass loss with bias
   on a log grid of :math:`\alpha > 0` (one SVD, warm-started Newton,
   :mod:`numerics.probe._fit`) and the :math:`\alpha = 0` limit of gradient descent
   (max-margin or MLE). Test accuracy with its binomial error, the jump
   :math:`A(\alpha_{min}) - A(0)` and every :math:`A(\alpha) - A(0)` with paired (McNemar)
   errors, the plateau spread, direction cosines of the class-centred :math:`[W, b]`, as in
   :func:`numerics.claims.realdata.alpha_curve`.
3. **Fisher alignment.** Principal cosines of every fit against LDA.
4. **Orthogonal rescaling** (R2). :math:`x \mapsto (I-P_\perp)x + \gamma P_\perp x` on
   train and test. The regularised minimiser at :math:`\gamma` is *certified* rather than
   re-solved: :math:`(WA_\gamma^{-1}, b)` (the equivariant image of the
   :math:`\gamma = 1` minimiser) is evaluated on the rescaled data and its gradient norm
   there is reported (a minimiser of a strictly convex problem iff it vanishes); test
   logits are recomputed from the rescaled test inputs. The max-margin limit is
   re-solved at every :math:`\gamma` (outwards from 1, each working set started from the
   neighbour's support; by default only up to :data:`MAX_MARGIN_GAMMA_CONSTRAINTS`
   constraints), an MLE limit is certified like the regularised one.
5. **Theory.** :mod:`numerics.probe.theory_link`: predicted accuracy and benefit at the
   measured effective parameters, beside the measured ones, and a verdict in words.

The result is a dict of plain numbers, lists and strings (JSON-ready with
:func:`numerics.probe.report.to_jsonable`).
"""

from __future__ import annotations

import math
import time

import numpy as np

from core.errors import InvalidParameterError
from core.validation import check_alpha, check_int, check_real
from numerics.probe import geometry
from numerics.probe._fit import (WhitenedDesign, max_margin_fit, raw_gradient_norm,
                                 regularised_path, unregularised_limit)
from numerics.probe._io import prepare
from numerics.probe._stats import (JUMP_Z, class_centred, logit_change, orthogonal_projector,
                                   paired_difference, rescale_orthogonal)
from numerics.probe.theory_link import theory_prediction, verdict

__all__ = ["probe", "DEFAULT_ALPHAS", "DEFAULT_GAMMAS", "REFERENCE_ALPHA", "INVARIANCE_TOL",
           "MAX_MARGIN_GAMMA_CONSTRAINTS"]

#: The alpha grid of R1 (8 log-spaced values in [1e-4, 0.5]).
DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-4, math.log10(0.5), 8))
#: The gamma grid of R2.
DEFAULT_GAMMAS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
#: Reference strength of the gamma, Fisher and benefit comparisons (R2's alpha).
REFERENCE_ALPHA = 0.2
#: Invariance is declared when the normalised test logits move by less than this and no
#: label flips: Newton stops at a whitened gradient of 1e-10, so with O(1) conditioning
#: the logits agree to ~1e-9 (R2's tolerance, same reasoning).
INVARIANCE_TOL = 1e-7
#: With ``max_margin_gammas="auto"`` the max-margin control is re-solved at every gamma
#: only up to this many margin constraints N(K-1); beyond, its support grows with gamma
#: (2000 -> 4100 support vectors from gamma = 1 to 8 at N = 5000, K = 10, d = 512) and each
#: dense QP costs minutes.
MAX_MARGIN_GAMMA_CONSTRAINTS = 20000


def _regularizer(regularizer):
    from theory import get_regularizer

    return get_regularizer(regularizer)


def _compile(regularizer, k):
    import sympy as sp

    from numerics.compile.compiled import compile_multiclass

    reg = _regularizer(regularizer)
    if reg.multiclass(k).has(sp.Max):
        raise InvalidParameterError(
            f"The probe needs a smooth regulariser; {reg.name!r} has a kink (max). Use "
            "quadratic, label_smoothing, or a smooth custom form.")
    return reg, compile_multiclass(reg, k)


def _pairwise_scores(Z, y):
    r"""Per test point, the fraction of other classes its true logit beats (one-vs-one)."""
    zt = Z[np.arange(y.size), y][:, None]
    beats = (zt > Z).sum(axis=1)
    return beats / (Z.shape[1] - 1)


def _direction(W, b):
    V = class_centred(np.column_stack([W, b]))
    return (V / np.linalg.norm(V)).ravel()


def _alpha_curve(data, alphas, fits, unreg):
    Xte, yte = data.X_test, data.y_test
    m = yte.size
    pred0 = np.argmax(Xte @ unreg["W"].T + unreg["b"], axis=1)
    acc0 = float(np.mean(pred0 == yte))
    preds = [np.argmax(Xte @ f.W.T + f.b, axis=1) for f in fits]
    acc = np.array([float(np.mean(p == yte)) for p in preds])
    diffs = [paired_difference(pred0, p, yte) for p in preds]
    D = np.array([_direction(f.W, f.b) for f in fits])
    cos_pl = D @ D.T
    cos0 = D @ _direction(unreg["W"], unreg["b"])
    jump, se = diffs[0]
    spread = float(acc.max() - acc.min())
    return {"alphas": list(alphas), "accuracy": acc.tolist(),
            "accuracy_se": np.sqrt(acc * (1 - acc) / m).tolist(), "accuracy_0": acc0,
            "accuracy_0_se": math.sqrt(acc0 * (1 - acc0) / m),
            "difference_to_0": [d for d, _ in diffs], "difference_to_0_se": [s for _, s in diffs],
            "jump": jump, "jump_se": se, "plateau_spread": spread,
            "direction_jump": bool(cos0[0] < cos_pl.min()),
            "accuracy_plateau": bool(spread < abs(jump)),
            "jump_resolved": bool(abs(jump) > JUMP_Z * se),
            "cos_to_unregularised": cos0.tolist(), "min_cos_plateau": float(cos_pl.min()),
            "unregularised": unreg["kind"], "unregularised_residual": float(unreg["residual"]),
            "unregularised_certificate": unreg["certificate"],
            "max_gradient_norm": float(max(f.gradient_norm for f in fits)),
            "newton_iterations": [int(f.iterations) for f in fits]}


def _gamma_curve(data, comp, alpha, fit, unreg, gammas, progress, control_all):
    Xtr, ytr, Xte, yte, k = data.X_train, data.y_train, data.X_test, data.y_test, data.k
    P = orthogonal_projector(Xtr, ytr, k)
    gammas = sorted({float(g) for g in gammas} | {1.0})
    reg, un = {}, {}
    support = unreg.get("support")
    # outwards from gamma = 1, so each max-margin working set starts from its neighbour's
    order = [1.0] + sorted((g for g in gammas if g < 1.0), reverse=True) + [g for g in gammas
                                                                            if g > 1.0]
    first_up = min((g for g in gammas if g > 1.0), default=None)
    for g in order:
        if g == first_up:
            support = unreg.get("support")  # the upward chain starts again at gamma = 1
        Xg, Xtg = rescale_orthogonal(Xtr, P, g), rescale_orthogonal(Xte, P, g)
        Wg = rescale_orthogonal(fit.W, P, 1.0 / g)  # W A_g^{-1}; A_g is symmetric
        reg[g] = (raw_gradient_norm(comp, alpha, Xg, ytr, Wg, fit.b), Xtg @ Wg.T + fit.b)
        if progress is not None:
            progress.update(1)
        if not control_all and g != 1.0:
            continue
        if g == 1.0:  # the alpha = 0 limit itself: no second solve
            Wu, bu, res = unreg["W"], unreg["b"], unreg["residual"]
        elif unreg["kind"] == "max-margin":
            mm = max_margin_fit(Xg, ytr, k, rescale_orthogonal(unreg["W"], P, 1.0 / g),
                                unreg["b"], start=support)
            support = mm["support"]
            Wu, bu, res = mm["W"], mm["b"], mm["kkt_residual"]
        else:
            Wu, bu = rescale_orthogonal(unreg["W"], P, 1.0 / g), unreg["b"]
            res = raw_gradient_norm(comp, 0.0, Xg, ytr, Wu, bu)
        un[g] = (res, (Xtg @ Wu.T + bu) / np.linalg.norm(np.column_stack([Wu, bu])))
    certs = [reg[g][0] for g in gammas]
    reg_Z = [reg[g][1] for g in gammas]
    un_res = [un[g][0] for g in sorted(un)]
    un_Z = [un[g][1] for g in sorted(un)]
    un_gammas = gammas if control_all else [1.0]
    out = {"gammas": gammas, "alpha": alpha, "certificate_gradient_norm": certs,
           "unreg_gammas": un_gammas, "unreg_residual": un_res,
           "unregularised": unreg["kind"], "unreg_all_gammas": bool(control_all)}
    for key, Z, gs in (("reg", reg_Z, gammas), ("unreg", un_Z, un_gammas)):
        preds = [np.argmax(z, axis=1) for z in Z]
        out[f"{key}_accuracy"] = [float(np.mean(p == yte)) for p in preds]
        out[f"{key}_logit_change"], out[f"{key}_label_flips"] = logit_change(Z, gs.index(1.0))
        out[f"{key}_preds"] = preds
    reg_preds = out.pop("reg_preds")
    reg_preds = [reg_preds[gammas.index(g)] for g in un_gammas]
    diffs = [paired_difference(pu, pr, yte) for pu, pr in zip(out.pop("unreg_preds"), reg_preds)]
    out["difference"] = [d for d, _ in diffs]
    out["difference_se"] = [s for _, s in diffs]
    out["invariant"] = bool(out["reg_logit_change"] < INVARIANCE_TOL
                            and out["reg_label_flips"] == 0)
    return out


def _measured_benefit(data, fit, unreg, alpha):
    yte = data.y_test
    s_reg = _pairwise_scores(data.X_test @ fit.W.T + fit.b, yte)
    s_un = _pairwise_scores(data.X_test @ unreg["W"].T + unreg["b"], yte)
    diff = s_reg - s_un
    m = yte.size
    return {"alpha": alpha, "n_test": int(m), "pairwise_accuracy_regularised": float(s_reg.mean()),
            "pairwise_accuracy_regularised_se": float(s_reg.std(ddof=1) / math.sqrt(m)),
            "pairwise_accuracy_unregularised": float(s_un.mean()),
            "pairwise_accuracy_unregularised_se": float(s_un.std(ddof=1) / math.sqrt(m)),
            "benefit": float(diff.mean()), "benefit_se": float(diff.std(ddof=1) / math.sqrt(m))}


def probe(X, y, X_test=None, y_test=None, *, regularizer="quadratic", alphas=DEFAULT_ALPHAS,
          gammas=DEFAULT_GAMMAS, alpha_ref: float = REFERENCE_ALPHA, test_size: float = 0.5,
          seed: int = 0, n_boot: int = 50, n_boot_fisher: int = 10, standardize: bool = True,
          max_margin_gammas: str = "auto", progress: bool = False) -> dict:
    r"""Run every step of the module notes on features ``X`` (N, d) and labels ``y``.

    Parameters
    ----------
    X, y : array-like
        Training features and labels (any hashable labels); with ``X_test``/``y_test``
        the test set is given, otherwise a stratified ``test_size`` split is made.
    regularizer : str or theory.Regularizer
        Smooth, permutation-symmetric f of the multiclass loss (default quadratic, as in
        the paper's probe).
    alphas : sequence of float in (0, 1)
        The :math:`\alpha > 0` grid; ``alpha_ref`` (the strength of the Fisher, gamma and
        benefit comparisons) is added to it if absent.
    gammas : sequence of float > 0
        Orthogonal rescalings (1 is added).
    n_boot, n_boot_fisher : int
        Bootstrap resamples of the effective noise and of the Fisher subspace.
    max_margin_gammas : {"auto", "all", "one"}
        Re-solve a max-margin :math:`\alpha = 0` limit at every gamma (``"all"``), only at
        gamma = 1 (``"one"``), or ``"all"`` up to :data:`MAX_MARGIN_GAMMA_CONSTRAINTS`
        margin constraints (``"auto"``). The regularised probe is certified at every gamma
        in every case; an MLE limit is cheap and always done at every gamma.
    progress : bool
        Show tqdm progress bars.

    Returns
    -------
    dict
        ``data`` (sizes, classes, split), ``geometry``, ``alpha_curve``, ``alignment``,
        ``gamma_curve``, ``measured`` (pairwise benefit), ``prediction``, ``verdict``,
        ``timings`` (seconds per step).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 150)
    >>> X = rng.normal(size=(300, 5)); X[:, 0] += 2.0 * y
    >>> r = probe(X, y, alphas=(1e-3, 0.2), gammas=(0.5, 2.0), n_boot=5, n_boot_fisher=2)
    >>> r["gamma_curve"]["invariant"], round(r["geometry"]["sigma_f"], 1)
    (True, 0.5)
    """
    caller = "probe"
    timings, start = {}, time.perf_counter()
    alpha_ref = float(check_alpha(alpha_ref, caller=caller, allow_zero=False))
    alphas = sorted({float(check_alpha(a, caller=caller, allow_zero=False))
                     for a in np.atleast_1d(alphas)} | {alpha_ref})
    gammas = [check_real(g, "gamma", caller, lower=0.0, lower_open=True)
              for g in np.atleast_1d(gammas)]
    n_boot = check_int(n_boot, "n_boot", caller, minimum=0)
    n_boot_fisher = check_int(n_boot_fisher, "n_boot_fisher", caller, minimum=0)
    seed = check_int(seed, "seed", caller, minimum=0)
    data = prepare(X, y, X_test, y_test, test_size=test_size, seed=seed,
                   standardize=standardize)
    if data.k - 1 >= data.d:
        raise InvalidParameterError(
            f"The probe needs more features than K - 1 (the class-mean span must leave an "
            f"orthogonal complement). Got d={data.d}, K={data.k}.")
    reg, comp = _compile(regularizer, data.k)
    rng = np.random.default_rng(seed)
    timings["load_and_compile"] = time.perf_counter() - start
    bar = _bar(progress, len(alphas) + len(set(gammas) | {1.0}) + 3)
    if bar is not None:
        bar.set_postfix_str("geometry")

    t = time.perf_counter()
    noise = geometry.noise_amplitudes(data.X_train, data.y_train, data.k, n_boot=n_boot, rng=rng)
    fisher = geometry.fisher(data.X_train, data.y_train, data.k, n_boot=n_boot_fisher, rng=rng)
    timings["geometry"] = time.perf_counter() - t
    _tick(bar, "alpha path")

    t = time.perf_counter()
    design = WhitenedDesign(data.X_train)
    fits = regularised_path(design, data.y_train, comp, alphas, progress=bar)
    timings["alpha_path"] = time.perf_counter() - t
    t = time.perf_counter()
    unreg = unregularised_limit(data.X_train, data.y_train, comp, design, fits[0])
    timings["alpha_0_limit"] = time.perf_counter() - t
    _tick(bar, "gamma rescaling")
    curve = _alpha_curve(data, alphas, fits, unreg)

    iref = alphas.index(alpha_ref)
    cos = [geometry.principal_cosines(f.W, fisher["F"]).tolist() for f in fits]
    cos0 = geometry.principal_cosines(unreg["W"], fisher["F"]).tolist()
    alignment = {"alpha": alpha_ref, "alphas": alphas, "cosines": cos, "unregularised": cos0,
                 "plateau_min_cos": float(min(cos[iref])), "plateau_mean_cos": float(np.mean(cos[iref])),
                 "unregularised_min_cos": float(min(cos0)),
                 "fisher_stability": fisher["stability_median"],
                 "fisher_stability_min": fisher["stability_min"], "n_boot": fisher["n_boot"]}

    t = time.perf_counter()
    if max_margin_gammas not in ("auto", "all", "one"):
        raise InvalidParameterError(
            "The 'max_margin_gammas' parameter of probe must be one of 'auto', 'all', 'one'. "
            f"Got {max_margin_gammas!r} instead.")
    control_all = unreg["kind"] == "mle" or max_margin_gammas == "all" or (
        max_margin_gammas == "auto" and data.n * (data.k - 1) <= MAX_MARGIN_GAMMA_CONSTRAINTS)
    gamma = _gamma_curve(data, comp, alpha_ref, fits[iref], unreg, gammas, bar, control_all)
    timings["gamma_curve"] = time.perf_counter() - t
    if bar is not None:
        bar.set_postfix_str("theory")

    t = time.perf_counter()
    measured = _measured_benefit(data, fits[iref], unreg, alpha_ref)
    pred = theory_prediction(reg, alpha_ref, noise, data.n, data.d, data.k)
    timings["theory"] = time.perf_counter() - t
    _tick(bar, "done")
    if bar is not None:
        bar.close()
    timings["total"] = time.perf_counter() - start
    return {
        "data": {"n_train": data.n, "n_test": int(data.y_test.size), "d": data.d,
                 "d_raw": data.d_raw, "k": data.k, "lam": data.lam,
                 "classes": [str(c) for c in data.classes], "split": data.split,
                 "standardized": data.standardized, "regularizer": reg.name,
                 "rank": design.rank, "seed": seed},
        "geometry": noise, "alpha_curve": curve, "alignment": alignment,
        "gamma_curve": gamma, "measured": measured, "prediction": pred,
        "verdict": verdict(noise, pred, measured, curve, gamma, alignment),
        "timings": timings}


def _bar(progress, total):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="probe", unit="step", leave=False)


def _tick(bar, upcoming):
    if bar is not None:
        bar.update(1)
        bar.set_postfix_str(upcoming)
