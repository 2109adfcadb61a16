"""``verify --full`` spreads independent runs over processes (core.pool): M7's alpha > 0
runs (M7Setting.workers) and B8's runs (GrokkingSetting.workers). One BLAS thread per
worker, so every trajectory must be bitwise that of the serial run."""

import numpy as np
import pytest


@pytest.mark.slow  # 10-70 s: each worker compiles the K-class loss (sympy) afresh
def test_m7_alpha_runs_in_a_pool_are_identical():
    # verify --full spreads M7's alpha > 0 runs over processes (M7Setting.workers); one
    # BLAS thread in each, so the trajectories must be bitwise those of the serial run.
    import dataclasses

    import numerics.claims.multiclass_grokking as mg
    import numerics.claims.multiclass_grokking_dynamics as md

    serial = mg.M7_SIZES["test"]
    assert mg.M7_SIZES["full"].workers == 2
    a = md.m7_runs(serial)
    b = md.m7_runs(dataclasses.replace(serial, workers=2))
    assert a["runs"].keys() == b["runs"].keys()
    for alpha, run in a["runs"].items():
        other = b["runs"][alpha]
        np.testing.assert_array_equal(run.epochs, other.epochs)
        np.testing.assert_array_equal(run.test_loss, other.test_loss)
        np.testing.assert_array_equal(run.W_end, other.W_end)


def test_b8_runs_in_a_pool_are_identical():
    # Same for B8's runs (GrokkingSetting.workers; FULL_RUN uses 2): with a fixed
    # alpha0_epochs (as FULL_RUN) the alpha = 0 run is one of the parallel tasks too.
    import dataclasses

    import numerics.claims.grokking_dynamics as gd

    assert gd.FULL_RUN.workers == 2
    tiny = gd.GrokkingSetting(d=28, n=40, mu_f=0.3, max_epochs=6000, alphas=(0.1, 0.03),
                              n_test=500, record_num=50, first_chunk=500, seed=3,
                              alpha0_epochs=3000)
    a = gd.grokking_runs(tiny)
    b = gd.grokking_runs(dataclasses.replace(tiny, workers=2))
    assert a["runs"].keys() == b["runs"].keys()
    for alpha, run in a["runs"].items():
        np.testing.assert_array_equal(run.epochs, b["runs"][alpha].epochs)
        np.testing.assert_array_equal(run.final_weights, b["runs"][alpha].final_weights)
