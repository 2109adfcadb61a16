r"""Figures 7 (M2), 8 (M7) and ``threshold-multiclass`` (M5): the data each draws at size
``"test"`` satisfies its claim, the drawers return labelled Figures, bad sizes are refused.

Independent routes: the simplex targets of :func:`numerics.compile_multiclass` (M1, checked
against 40-digit minimisation elsewhere) for the vertex distance; the exact population
error bounds of M7 for "never generalises"; for K = 2, Cover's counting formula
(:func:`numerics.figures.multiclass.k2_perfect_probability`, itself checked against
:func:`numerics.solve.separability.cover_probability` at Cover's midpoint N = 2d) against the
simulated max-margin hits, within a Wilson interval.
"""

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from numerics import compile_multiclass  # noqa: E402
from numerics.claims._common import binomial_interval  # noqa: E402
from numerics.claims.multiclass_geometry import check_m2  # noqa: E402
from numerics.claims.multiclass_grokking import M7_SIZES, check_m7  # noqa: E402
from numerics.claims.multiclass_threshold import check_m5  # noqa: E402
from numerics.figures import get_figure  # noqa: E402
from numerics.figures.claim_figures import draw_claim_figures  # noqa: E402
from numerics.figures.multiclass import k2_perfect_probability  # noqa: E402
from numerics.solve.separability import cover_probability  # noqa: E402
from core.errors import InvalidParameterError  # noqa: E402

FIGURES = {"7": ("M2",), "8": ("M7",), "threshold-multiclass": ("M5",)}
_CACHE = {}


def _data(fig_id):
    if fig_id not in _CACHE:
        _CACHE[fig_id] = get_figure(fig_id).compute("test")
    return _CACHE[fig_id]


@pytest.mark.parametrize("fig_id", sorted(FIGURES))
def test_registered_with_claims_and_refuses_bad_size(fig_id):
    spec = get_figure(fig_id)
    assert spec.claims == FIGURES[fig_id]
    with pytest.raises(InvalidParameterError, match="size"):
        spec.compute("paper")


@pytest.mark.parametrize("fig_id", sorted(FIGURES))
def test_drawer_returns_labelled_figure(fig_id):
    fig = get_figure(fig_id).draw(_data(fig_id))
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        labelled = [ax for ax in fig.axes if ax.get_xlabel() and ax.get_ylabel()]
        assert labelled, "no axes with both labels"
        assert fig._suptitle is not None and fig._suptitle.get_text()
    finally:
        plt.close(fig)


def test_fig7_alpha_positive_clusters_at_the_simplex_vertices():
    data = _data("7")
    k = data["settings"]["k"]
    q_high, q_low = compile_multiclass("quadratic", k).targets(0.2)
    # The vertex distance sqrt(2)(q_high - q_low) from the independently compiled targets.
    assert data["vertex_distance"] == pytest.approx(math.sqrt(2) * (q_high - q_low),
                                                    rel=1e-12)
    rho = data["rho"]
    assert set(data["panels"]) >= {"reg", "svm"}
    # alpha > 0: the classes sit at their vertices (M1/M2): the centroids are within 5% of
    # a vertex distance of the targets (finite-N offset of an exact minimiser, not noise).
    assert data["centroid_offset"] < 0.05
    # alpha = 0 (SVM limit and GD) spreads the logits: rho at least 2x larger, a margin
    # far outside the run-to-run scatter of rho at this size (~10%).
    for key in ("svm", "gd"):
        if key in rho:
            assert rho[key] > 2 * rho["reg"], (key, rho)
    assert data["svm_kkt_residual"] < 1e-8  # the alpha=0 panel is a certified SVM


def test_fig8_alpha_positive_groks_alpha_zero_never_does():
    runs = {r["alpha"]: r for r in _data("8")["runs"]}
    positive = sorted(a for a in runs if a > 0)
    assert positive and 0.0 in runs
    for a in positive:
        r = runs[a]
        # fits the training set first, generalises (error <= 1e-6, certified) much later
        assert math.isfinite(r["t_gen"]) and r["t_gen"] >= 2 * r["t_train"]
        assert r["error_upper"][-1] <= 1e-6
    # the delay grows as alpha decreases (M7)
    assert runs[positive[0]]["t_gen"] > runs[positive[-1]]["t_gen"]
    zero = runs[0.0]
    # alpha = 0 overfits for good: the exact population error lower bound stays macroscopic
    assert zero["error_lower"][-1] > 1e-2
    assert not math.isfinite(zero["t_gen"])


def test_k2_exact_curve_is_covers_count():
    # Cover's midpoint: N = 2d points in d dimensions are separable with probability 1/2
    for d in (4, 12, 30):
        assert k2_perfect_probability(2 * d, d) == pytest.approx(
            1 - (cover_probability(2 * d, d) - 2.0 ** (1 - 2 * d)) / (1 - 2.0 ** (1 - 2 * d)),
            rel=1e-15)
        assert k2_perfect_probability(d, d) == 0.0  # N <= d: always separable
    with pytest.raises(InvalidParameterError, match="'n'"):
        k2_perfect_probability(1.5, 3)


def test_threshold_multiclass_step_at_d_plus_one_and_covers_formula():
    data = _data("threshold-multiclass")
    for k, c in data["curves"].items():
        for d in c["d"]:
            for n, hits in zip(c["n"][d], c["reg"][d]):
                # Prop. D.2: perfect iff [1, X] has full column rank, i.e. N >= d + 1
                assert hits == (c["reg_trials"] if n >= d + 1 else 0), (k, d, n, hits)
            assert c["disagree"] == 0  # QP verdicts = the independent KKT LP
    c2 = data["curves"][2]
    for d in c2["d"]:
        for n, hits, p in zip(c2["n"][d], c2["unreg"][d], data["k2_exact"][d]["at_points"]):
            lo, hi = binomial_interval(hits, c2["trials"], z=3.0)
            assert lo - 1e-12 <= p <= hi + 1e-12, (d, n, hits, p)
    # the max-margin threshold is later: at N = d + 1 it is (almost) never perfect
    for k, c in data["curves"].items():
        d = c["d"][0]
        j = next(i for i, n in enumerate(c["n"][d]) if n >= d + 1)
        assert c["unreg"][d][j] < c["trials"]
        assert np.sum(c["unreg"][d]) < c["trials"] * len(c["n"][d])


@pytest.mark.parametrize("check, name", [
    (check_m2, "M2_simplex_clustering"),
    (check_m5, "M5_threshold"),
    (lambda: check_m7(setting=M7_SIZES["test"]), "M7_multiclass_grokking"),
])
def test_check_report_figure_is_drawn_from_its_data(check, name, tmp_path):
    """A check returns its picture's data (no drawing); the drawer the figure command uses
    turns it into NAME.png."""
    result = check()
    assert list(result.data) == [name]
    assert not list(tmp_path.iterdir())  # the check itself wrote nothing
    paths = draw_claim_figures(result, tmp_path)
    assert paths == [str(tmp_path / f"{name}.png")]
    assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_m5_report_data_is_the_figure_k3_grid():
    """The M5 check's picture is the threshold figure's K = 3 panel at the same size."""
    data = check_m5().data["M5_threshold"]
    assert list(data["curves"]) == [3] and data["k2_exact"] == {}
    c = data["curves"][3]
    for d in c["d"]:
        for n, hits in zip(c["n"][d], c["reg"][d]):
            assert hits == (c["reg_trials"] if n >= d + 1 else 0), (d, n, hits)
