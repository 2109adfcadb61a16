r"""``logitreg probe``: the theory of logit regularisation on a user's own embeddings
(docs/theory.md §5, §7).

Public API::

    probe(X, y, X_test=None, y_test=None, *, regularizer="quadratic", ...) -> dict
    load_array(path, what="features")       (.npy, .npz, .csv, .parquet)
    prepare(X, y, ...) -> ProbeData          (checks, split, standardisation)
    markdown(result) -> str, to_jsonable(result)
"""

from numerics.probe._io import ProbeData, load_array, prepare
from numerics.probe.report import markdown, to_jsonable
from numerics.probe.run import DEFAULT_ALPHAS, DEFAULT_GAMMAS, REFERENCE_ALPHA, probe

__all__ = ["ProbeData", "load_array", "prepare", "probe", "markdown", "to_jsonable",
           "DEFAULT_ALPHAS", "DEFAULT_GAMMAS", "REFERENCE_ALPHA"]
