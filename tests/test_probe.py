"""``logitreg probe`` (numerics/probe, docs/theory.md §5): inputs and errors, the fast
solvers against the project's reference solvers, the geometry against known generating
values and scikit-learn's LDA, the theory link, and the command line."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from core.errors import InvalidParameterError
from numerics.probe import load_array, prepare, probe


def _mixture(n, d, k, *, sep=2.0, seed=0, scales=None):
    """K Gaussian classes with means sep * e_c and noise sd ``scales`` per feature."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    means = np.zeros((k, d))
    means[np.arange(k), np.arange(k)] = sep
    scales = np.ones(d) if scales is None else scales
    return means[y] + rng.normal(size=(n, d)) * scales, y


def _binary_model(n, d, *, mu=1.0, sigma_f=0.5, sigma_n=1.0, seed=0):
    r"""Binary model of §3 with labels as classes: x = y mu e1 + sigma_f xi e1 + sigma_n xi_perp."""
    rng = np.random.default_rng(seed)
    s = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    X = rng.normal(size=(n, d)) * sigma_n
    X[:, 0] = s * mu + sigma_f * rng.normal(size=n)
    return X, (s > 0).astype(int)


# ------------------------------------------------------------------ compiled pieces
@pytest.mark.parametrize("name", ["quadratic", "label_smoothing"])
def test_symmetric_forms_equal_the_compiled_derivatives(name):
    from numerics.compile.compiled import compile_multiclass
    from numerics.probe._objective import class0_gradients, class0_hessians

    comp = compile_multiclass(name, 4)
    Z = np.random.default_rng(1).normal(scale=3.0, size=(50, 4))
    H = class0_hessians(comp, Z, 0.3)
    G = class0_gradients(comp, Z, 0.3)
    ref_H = np.stack([[h(*Z.T, 0.3) * np.ones(50) for h in row] for row in comp.hess])
    ref_G = np.stack([g(*Z.T, 0.3) for g in comp.grad], axis=1)
    # same expressions evaluated at permuted arguments: equal up to rounding of O(1) terms
    assert np.max(np.abs(H - ref_H.transpose(2, 0, 1))) < 1e-14
    assert np.max(np.abs(G - ref_G)) < 1e-14


def test_effective_noise_matches_the_realdata_definition():
    from numerics.claims.realdata_data import effective_noise as reference
    from numerics.probe._stats import effective_noise

    X, y = _mixture(600, 8, 3, scales=np.linspace(0.5, 2.0, 8))
    ours, ref = effective_noise(X, y, 3), reference(X, y, 3)
    for key in ("sigma_f", "sigma_n", "centroid_distance"):
        # QR vs SVD span bases and loops vs bincount: equal up to rounding
        assert ours[key] == pytest.approx(ref[key], rel=1e-12)


# ------------------------------------------------------------------ solvers
def test_path_and_limits_match_the_reference_solvers():
    from numerics.compile.compiled import compile_multiclass
    from numerics.probe._fit import WhitenedDesign, regularised_path, unregularised_limit
    from numerics.solve.multiclass import minimize_multiclass
    from numerics.solve.multiclass_max_margin import multiclass_max_margin

    X, y = _mixture(120, 6, 3, sep=6.0)
    comp = compile_multiclass("quadratic", 3)
    design = WhitenedDesign(X)
    fits = regularised_path(design, y, comp, [1e-3, 0.2])
    for a, fit in zip([1e-3, 0.2], fits):
        ref = minimize_multiclass(X, y, "quadratic", a)  # raw coordinates, cold start
        scale = np.max(np.abs(ref.coef))
        # both stop at |grad| <= 1e-10 with O(1) curvature: minimisers agree to ~1e-9
        assert np.max(np.abs(fit.W - ref.coef)) < 1e-8 * scale
        assert np.max(np.abs(fit.b - ref.intercept)) < 1e-8 * max(scale, 1.0)
    limit = unregularised_limit(X, y, comp, design, fits[0])
    assert limit["kind"] == "max-margin"
    svm = multiclass_max_margin(np.column_stack([X, np.ones(len(y))]), y, 3)
    # exact QP (clarabel/IPM + active-set polish) on all constraints vs constraint generation
    assert np.max(np.abs(limit["W"] - svm.W[:, :-1])) < 1e-7 * np.max(np.abs(svm.W))
    assert limit["residual"] < 1e-8


def test_non_separable_limit_is_the_mle():
    from numerics.compile.compiled import compile_multiclass
    from numerics.probe._fit import WhitenedDesign, regularised_path, unregularised_limit
    from sklearn.linear_model import LogisticRegression

    X, y = _mixture(400, 3, 3, sep=1.0, seed=3)
    comp = compile_multiclass("quadratic", 3)
    design = WhitenedDesign(X)
    fit = regularised_path(design, y, comp, [1e-3])[0]
    limit = unregularised_limit(X, y, comp, design, fit)
    assert limit["kind"] == "mle"
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    W = limit["W"] - limit["W"].mean(axis=0)
    # sklearn's lbfgs stops at tol 1e-12 on a well-conditioned problem: 1e-5 relative
    assert np.max(np.abs(W - (sk.coef_ - sk.coef_.mean(axis=0)))) < 1e-5 * np.max(np.abs(W))


# ------------------------------------------------------------------ geometry
def test_effective_noise_recovers_the_generating_amplitudes():
    from numerics.probe.geometry import noise_amplitudes

    mu, sf, sn = 1.0, 0.5, 0.8
    X, y = _binary_model(20000, 10, mu=mu, sigma_f=sf, sigma_n=sn)
    g = noise_amplitudes(X, y, 2, n_boot=30, rng=np.random.default_rng(0))
    # §5 for the binary model: sigma_f/(2 mu), sigma_n/(2 mu). Allowed: 4 bootstrap se plus
    # 1e-3 relative for the O(1/N_c) bias of class means estimated from the same data
    for key, true in (("sigma_f", sf / (2 * mu)), ("sigma_n", sn / (2 * mu))):
        assert abs(g[key] - true) < 4 * g[f"{key}_se"] + 1e-3 * true
        assert 0 < g[f"{key}_se"] < 0.02 * true


def test_fisher_subspace_against_sklearn_and_the_population_direction():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from numerics.probe.geometry import fisher_subspace, principal_cosines
    from scipy import linalg

    rng = np.random.default_rng(4)
    d = 5
    A = rng.normal(size=(d, d))
    Sigma = A @ A.T + d * np.eye(d)
    mu = rng.normal(size=d)
    n = 40000
    y = np.arange(n) % 2
    X = np.where(y[:, None] == 1, mu, -mu) + rng.normal(size=(n, d)) @ linalg.cholesky(Sigma)
    F = fisher_subspace(X, y, 2)
    lda = LinearDiscriminantAnalysis(solver="eigen").fit(X, y)
    cos_sk = abs(float(F[:, 0] @ lda.scalings_[:, 0]) / np.linalg.norm(lda.scalings_[:, 0]))
    assert cos_sk > 1 - 1e-10  # the same generalised eigenproblem, two solvers
    w = linalg.solve(Sigma, mu)
    # population direction Sigma^-1 mu: sample error angle ~ sqrt(d/N) ~ 0.01 rad
    assert abs(float(F[:, 0] @ w)) / np.linalg.norm(w) > 0.999
    # three classes: the K-1 = 2 dimensional subspace vs sklearn's
    X3, y3 = _mixture(3000, 6, 3, scales=np.linspace(0.5, 2.0, 6))
    F3 = fisher_subspace(X3, y3, 3)
    S3 = LinearDiscriminantAnalysis(solver="eigen").fit(X3, y3).scalings_[:, :2]
    assert np.min(np.cos(linalg.subspace_angles(F3, S3))) > 1 - 1e-10
    W = np.vstack([np.zeros(6), F3[:, 0], F3[:, 1]])  # rows spanning F3 after centring
    assert np.min(principal_cosines(W, F3)) > 1 - 1e-12


def test_probe_on_a_gaussian_mixture():
    X, y = _mixture(3000, 6, 3, sep=1.5, scales=np.linspace(0.5, 2.0, 6))
    r = probe(X, y, alphas=(1e-3, 0.2), gammas=(0.25, 4.0), n_boot=10, n_boot_fisher=5)
    # B4(a): for Gaussian classes the regularised minimiser aligns with Sigma^-1 mu (LDA);
    # at N = 1500, d = 6 the sample deviation is ~ sqrt(d/N) ~ 0.06 rad at most
    assert r["alignment"]["plateau_min_cos"] > 0.99
    gc = r["gamma_curve"]
    assert gc["invariant"] and gc["reg_label_flips"] == 0
    # the equivariant image is the minimiser at every gamma: gradient at Newton's tolerance
    # times the conditioning of A_gamma (<= 4)
    assert max(gc["certificate_gradient_norm"]) < 1e-8
    assert r["alpha_curve"]["max_gradient_norm"] < 1e-9
    assert json.dumps(__import__("numerics.probe", fromlist=["to_jsonable"]).to_jsonable(r),
                      allow_nan=False)


def test_gamma_accuracy_matches_an_independent_solve():
    from numerics.probe._stats import orthogonal_projector, rescale_orthogonal
    from numerics.solve.multiclass import minimize_multiclass

    X, y = _mixture(600, 5, 3, sep=1.2, seed=7)
    r = probe(X, y, alphas=(0.2,), gammas=(4.0,), n_boot=2, n_boot_fisher=2)
    data = prepare(X, y)
    P = orthogonal_projector(data.X_train, data.y_train, 3)
    Xg, Xtg = (rescale_orthogonal(data.X_train, P, 4.0), rescale_orthogonal(data.X_test, P, 4.0))
    sol = minimize_multiclass(Xg, data.y_train, "quadratic", 0.2)
    acc = float(np.mean(np.argmax(Xtg @ sol.coef.T + sol.intercept, axis=1) == data.y_test))
    assert r["gamma_curve"]["reg_accuracy"][r["gamma_curve"]["gammas"].index(4.0)] == acc


def test_theory_prediction_matches_a_binary_gaussian_probe():
    """§7 at kappa = 2, lambda = d/N = 0.02 (below lambda_sep(2) = 0.048: the alpha = 0 limit
    is the MLE): the probe's prediction from its own sigma^eff vs its measurement."""
    from numerics.asymptotics import predict

    X, y = _binary_model(2000 + 20000, 40, mu=1.0, sigma_f=0.5, sigma_n=1.0, seed=2)
    Xtr, ytr, Xte, yte = X[:2000], y[:2000], X[2000:], y[2000:]
    r = probe(Xtr, ytr, Xte, yte, alphas=(0.2,), gammas=(2.0,), n_boot=10, n_boot_fisher=2)
    p, m = r["prediction"], r["measured"]
    assert p["lam"] == pytest.approx(0.02, rel=0.01)
    assert p["unregularised_regime"] == "logistic MLE"
    # kappa = mu/sigma_f = 2 through sigma_f^eff: its bootstrap se (~1.5%) times 4, plus the
    # O(lambda) bias of the span estimated from the same data
    assert abs(p["kappa"] - 2.0) < 4 * 2.0 * r["geometry"]["sigma_f_se"] / r["geometry"]["sigma_f"] + 0.05
    ref = predict("quadratic", 0.2 / 1.8, 0.02, p["kappa"], certify=False).accuracy
    assert p["accuracy_regularised"] == pytest.approx(ref, abs=1e-12)
    # 20000 test points (se 0.002) and a single draw's finite-size scatter of the cosine
    # (~0.4/sqrt(d) in rho, damped to ~0.005 in accuracy at rho ~ 1): 0.015 is ~3 of those
    assert abs(m["pairwise_accuracy_regularised"] - p["accuracy_regularised"]) < 0.015
    assert abs(m["benefit"] - p["benefit"]) < 3 * math.hypot(m["benefit_se"], p["benefit_se"]) + 0.005


# ------------------------------------------------------------------ inputs and errors
def test_loaders_agree(tmp_path):
    X, y = _mixture(60, 3, 2)
    labels = np.array(["cat" if v else "dog" for v in y])
    np.save(tmp_path / "X.npy", X)
    np.savez(tmp_path / "X.npz", features=X)
    np.savetxt(tmp_path / "X.csv", X, delimiter=",", header="a,b,c", comments="")
    (tmp_path / "y.csv").write_text("label\n" + "\n".join(labels) + "\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({f"f{j}": X[:, j] for j in range(3)}), tmp_path / "X.parquet")
    pq.write_table(pa.table({"y": labels}), tmp_path / "y.parquet")
    for name in ("X.npy", "X.npz", "X.csv", "X.parquet"):
        assert np.array_equal(load_array(tmp_path / name), X) or \
            np.allclose(load_array(tmp_path / name), X, rtol=1e-15)
    for name in ("y.csv", "y.parquet"):
        assert load_array(tmp_path / name, "labels").tolist() == labels.tolist()


@pytest.mark.parametrize("case, match", [
    ("length", "one label per sample"),
    ("nan", "must be finite"),
    ("one_class", "at least two classes"),
    ("wide", "lambda = d/N < 1"),
    ("unknown_test_class", "absent from the training labels"),
])
def test_prepare_errors_name_the_value(case, match):
    X, y = _mixture(40, 3, 2)
    Xt = yt = None
    if case == "length":
        y = y[:-1]
    elif case == "nan":
        X[3, 1] = np.nan
    elif case == "one_class":
        y = np.zeros_like(y)
    elif case == "wide":
        X = np.random.default_rng(0).normal(size=(40, 30))
    elif case == "unknown_test_class":
        Xt, yt = X[:5], np.array([0, 1, 7, 0, 1])
    with pytest.raises(InvalidParameterError, match=match):
        prepare(X, y, Xt, yt)


def test_kinked_regulariser_is_refused():
    X, y = _mixture(200, 4, 2)
    with pytest.raises(InvalidParameterError, match="smooth regulariser"):
        probe(X, y, regularizer="maxsup", n_boot=0, n_boot_fisher=0)


def test_cli_writes_report_and_nothing_on_error(tmp_path, capsys):
    from logitreg.cli import main

    X, y = _mixture(300, 4, 3, sep=1.5)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    bad = X.copy()
    bad[0, 0] = np.inf
    np.save(tmp_path / "bad.npy", bad)
    out = tmp_path / "out.json"
    assert main(["probe", str(tmp_path / "bad.npy"), str(tmp_path / "y.npy"),
                 "--json", str(out), "--report", str(tmp_path / "rep"), "--quiet"]) == 2
    assert "must be finite" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "rep").exists()
    assert main(["probe", str(tmp_path / "X.npy"), str(tmp_path / "y.npy"), "--json", str(out),
                 "--report", str(tmp_path / "rep"), "--bootstrap", "5", "--quiet",
                 "--max-margin-gammas", "one"]) == 0
    assert "predicted to help" in capsys.readouterr().out
    rec = json.loads(out.read_text())
    assert rec["data"]["k"] == 3 and rec["gamma_curve"]["invariant"] is True
    names = sorted(os.listdir(tmp_path / "rep"))
    assert names == ["probe.json", "probe.png", "probe.svg", "report.md"]
    mode = os.stat(tmp_path / "rep" / "report.md").st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert "## Verdict" in (tmp_path / "rep" / "report.md").read_text()
    assert math.isfinite(rec["geometry"]["sigma_f"])
