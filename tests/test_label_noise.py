"""Claim G3: the finite label-smoothing gap (exact) and the label-noise benefit map."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from numerics.compile.compiled import compile_multiclass
from numerics.models.signal_noise import binary_signal_noise
from numerics.claims import label_noise as ln
from tests.tolerances import assert_close


@given(st.integers(2, 50), st.floats(1e-6, 0.999))
def test_ls_gap_equals_gibbs_route(k, alpha):
    # float64 closed form vs 50-digit Gibbs route: a few ulps of log (see check_g3_gap).
    g = compile_multiclass("label_smoothing", k).gap(alpha) if k <= 12 else None
    ref = float(ln.ls_gap_gibbs(alpha, k))
    assert_close(ref, math.log(1 + k * (1 - alpha) / alpha), rtol=1e-12)
    if g is not None:
        assert_close(g, ref, rtol=1e-12)


def test_ls_gap_checks_and_ce_divergence():
    out = ln.ls_gap_checks((2, 4), (1e-4, 0.1, 0.9))
    assert out["symbolic"] and out["CE gap loss strictly decreasing"]
    assert out["max rel error (compiled vs Gibbs)"] < 1e-12
    assert str(out["lim alpha->0 gap"]) == "oo"
    result = ln.check_g3_gap()
    assert result.passed, result.evidence


def test_dilation_is_scale_free_and_exact_on_a_small_example():
    X = np.array([[1.0], [3.0], [-1.0], [-3.0], [10.0]])
    y = np.array([1, 1, -1, -1, 1])
    clean = np.array([True, True, True, True, False])  # the outlier is a flipped sample
    S = np.array([2.0])
    # class means +-2, residuals +-1: std 1 over half-distance 2.
    assert ln.dilation(S, X, y, clean) == pytest.approx(0.5, abs=1e-15)
    assert ln.dilation(7.0 * S, X, y, clean) == pytest.approx(0.5, abs=1e-15)


def test_reproducibility_detects_irreproducible_maps():
    rng = np.random.default_rng(0)
    shape = (10, 3, 2)
    mm = {"acc": rng.normal(0.8, 0.01, shape)}
    same = {m: {"acc": mm["acc"] + 0.02 + rng.normal(0, 0.01, shape)}
            for m in ln.METHODS[1:]}
    good = ln.reproducibility({"max-margin": mm, **same}, 5)
    assert good["cells differing"] <= 1
    # Negative control: the second half of the seeds gets a different benefit.
    shifted = {m: {"acc": v["acc"] + np.where(np.arange(10)[:, None, None] >= 5, 0.1, 0.0)}
               for m, v in same.items()}
    bad = ln.reproducibility({"max-margin": mm, **shifted}, 5)
    assert bad["cells differing"] == bad["cells"] == 12


def test_regularised_accuracy_is_sigma_n_invariant_under_noise():
    out = ln.noise_draw(40, 16, 0.2, [0.5, 2.0], seed=3)
    for m in ln.METHODS[1:]:
        acc, dil = out[m]
        assert abs(acc[0] - acc[1]) < 1e-12 and abs(dil[0] - dil[1]) < 1e-12
    # A direct solve on the rescaled draw gives the same accuracy (B9, Newton 1e-10).
    base = binary_signal_noise(40, 16, sigma_f=0.5, label_noise=0.2, seed=3)
    from numerics.models.accuracy import gaussian_accuracy
    from numerics.solve.binary import minimize_binary
    S = minimize_binary(base.rescaled(sigma_n=2.0).u, "quadratic", 0.2).coef
    acc = gaussian_accuracy(S, mu_f=1.0, sigma_f=0.5, sigma_n=2.0)
    assert abs(acc - out["quadratic"][0][1]) < 1e-8


def test_benefit_map_report(tmp_path):
    from numerics.figures.claim_figures import draw_claim_figures

    result = ln.check_g3_map()
    assert result.passed, result.evidence
    data = result.data["G3_label_noise_benefit"]
    assert [p["label"] for p in data["panels"]] == ["lambda=0.7", "lambda=0.4"]
    draw_claim_figures(result, tmp_path)
    png = tmp_path / "G3_label_noise_benefit.png"
    assert png.stat().st_size > 10_000
    # The map's table (in the note): header, separator, lambdas x etas x sigma_ns x methods.
    rows = [r for r in result.note.splitlines() if r.startswith("|")]
    assert len(rows) == 2 + 2 * 3 * 3 * 3
    assert all(float(r.split("|")[6]) >= 0 for r in rows[2:])  # SEMs present
