"""Claims B9, B10, B13 (numeric): equivariance, sigma_n invariance, and negative controls."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.models.signal_noise import binary_signal_noise
from numerics.claims.benefit import crossing
from numerics.claims.invariance import equivariance_gap, sigma_n_invariance, unregularised_direction
from numerics.models.accuracy import gaussian_accuracy
from numerics.claims.weight_decay import accuracy_vs_sigma_n
from numerics.solve.binary import minimize_binary
from numerics.solve.weight_decay import minimize_weight_decay

from tests.strategies import regularizers


def _reg(name="quadratic", alpha=0.2):
    return lambda U: minimize_binary(U, name, alpha).coef


@given(name=regularizers, seed=st.integers(0, 2**31 - 1), d=st.integers(2, 8),
       extra=st.integers(1, 20))
@settings(max_examples=10)
def test_b9_equivariance_under_random_invertible_maps(name, seed, d, extra):
    if name == "confidence_penalty":
        name = "label_smoothing"  # non-convex: the minimiser need not be unique
    ds = binary_signal_noise(d + extra, d, sigma_f=0.5, seed=seed)
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d)) + 2 * np.eye(d)
    if np.linalg.cond(A) > 1e4:
        return
    X_test = ds.fresh(50, seed=seed + 1).X
    # Predictions of the unique minimiser are invariant: the normalised test logits agree
    # to the solvers' precision (||grad|| <= 1e-10) times cond(A).
    assert equivariance_gap(ds.u, X_test, A, solver=_reg(name)) < 1e-6


def test_b9_max_margin_is_not_equivariant_example():
    ds = binary_signal_noise(30, 40, sigma_f=0.5, seed=2)  # N < d: separable
    A = np.eye(40)
    A[1:, 1:] *= 3.0  # rescale the orthogonal noise: sigma_n -> 3 sigma_n
    X_test = ds.fresh(500, seed=3).X
    gap = equivariance_gap(ds.u, X_test, A, solver=unregularised_direction)
    assert gap > 1e-2


def test_b9_negative_control_weight_decay_is_not_invariant():
    reg_change, _, _ = sigma_n_invariance(60, 30, [0.5, 2.0], seed=4)
    wd_change, _, _ = sigma_n_invariance(60, 30, [0.5, 2.0], seed=4,
                                         solver=lambda U: minimize_weight_decay(U, 0.2).coef)
    assert reg_change < 1e-8 and wd_change > 1e-3


def test_gaussian_accuracy_matches_monte_carlo():
    S = np.array([1.0, 0.3, -0.4])
    acc = gaussian_accuracy(S, mu_f=1.0, sigma_f=0.5, sigma_n=1.2)
    ds = binary_signal_noise(200_000, 3, sigma_f=0.5, sigma_n=1.2, seed=9)
    mc = float(np.mean(ds.u @ S > 0))
    # Monte Carlo standard error sqrt(A(1-A)/n) ~ 1e-3; allow 4 sigma.
    assert abs(mc - acc) < 4 * math.sqrt(acc * (1 - acc) / 200_000)


def test_crossing_interpolates():
    assert math.isnan(crossing([1, 2], [0.5, 0.5], [0.6, 0.7]))
    x = crossing([1.0, 4.0], [0.5, 0.5], [0.6, 0.4])
    assert abs(x - 2.0) < 1e-12  # log-midpoint of 1 and 4


def test_b13_weight_decay_depends_on_sigma_n():
    wd, lr = accuracy_vs_sigma_n(60, 40, [0.25, 4.0], n_seeds=1, seed=1)
    assert abs(lr[0] - lr[1]) < 1e-8 and abs(wd[0] - wd[1]) > 1e-2


# ------------------------------------------------------------------ Eqs 4 and 5, B10 grid
def test_eq4_eq5_formulas_agree():
    """Eq. 5 in S, in the isotropic coordinates, and with Eq. 4 substituted: one number."""
    from numerics.models.accuracy import (alignment, alignment_accuracy, alignment_constant,
                                          isotropic_accuracy)

    mu_f, sigma_f, C = 1.0, 0.5, 0.8
    for sigma_n in (0.3, 1.0, 4.0):
        rho = alignment(C, sigma_n)
        S = np.array([rho, math.sqrt(1 - rho * rho), 0.0])
        # rounding only (a few ulps through sqrt and Phi)
        assert abs(gaussian_accuracy(S, mu_f=mu_f, sigma_f=sigma_f, sigma_n=sigma_n)
                   - alignment_accuracy(C, mu_f, sigma_f)) < 1e-14
    rho_v = 0.6
    w = np.array([rho_v, math.sqrt(1 - rho_v**2)])
    kappa = mu_f / sigma_f
    assert abs(isotropic_accuracy(rho_v, kappa)
               - gaussian_accuracy(w, mu_f=kappa, sigma_f=1.0, sigma_n=1.0)) < 1e-15
    # C from the isotropic cosine: Eq. 4 at sigma_n = sigma_f returns that cosine
    assert abs(alignment(alignment_constant(rho_v, sigma_f), sigma_f) - rho_v) < 1e-15


def test_benefit_grid_is_the_sweep_grid():
    """check_b10's in-process grid and the sweep engine's give bit-identical accuracies
    (same point function, same seeds)."""
    from numerics.claims.benefit import benefit_diagram, benefit_seed
    from numerics.sweep import SweepSpec, benefit_diagram_sweep

    args = (30, 21, [0.5, 0.8], [0.3, 3.0])
    kw = dict(n_seeds=2, seed=7)
    for per_seed in (False, True):
        mine = benefit_diagram(*args, per_seed=per_seed, **kw)
        sweep = benefit_diagram_sweep(*args, per_seed=per_seed, **kw)
        for a, b in zip(mine, sweep):
            assert a.shape == b.shape and np.array_equal(a, b)
    spec = SweepSpec.from_dict({"experiment": "benefit", "seeds": [7, 8],
                                "grid": {"n": 30, "d": 21}})
    assert sorted(p.draw_seed for p in spec.points()) == sorted(
        benefit_seed(30, 21, s) for s in (7, 8))


def test_b10_and_b13_checks_return_their_figure_data(tmp_path):
    from numerics.claims.benefit import check_b10
    from numerics.claims.weight_decay import check_b13_numeric
    from numerics.figures.claim_figures import draw_claim_figures

    b10 = check_b10()
    panels = b10.data["B10_phase_diagram"]["panels"]
    assert [(p["n"], p["d"]) for p in panels] == [(200, 140), (200, 80)]
    assert b10.evidence["lambda=0.7 sf=0.5 sigma_n*"] == panels[0]["crossing"][0]
    b13 = check_b13_numeric()
    data = b13.data["B13_weight_decay"]
    assert b13.evidence["weight decay accuracy range"] == float(np.ptp(data["weight_decay"]))
    for res in (b10, b13):
        assert res.passed, res.evidence
        (path,) = draw_claim_figures(res, tmp_path)
        assert path.endswith(f"{next(iter(res.data))}.png")
        assert (tmp_path / f"{next(iter(res.data))}.png").stat().st_size > 10_000
