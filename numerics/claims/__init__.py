r"""Numeric claim checks, one module per claim or family (B7 in ``threshold.py``, B10 in
``benefit.py``, M5 in ``multiclass_threshold.py``, ...); ``logitreg verify --list``
prints claim ID -> module:function. Each check measures and decides, returning a
:class:`core.claims.CheckResult` whose ``data`` the figure layer draws."""

# Importing the modules registers their checks with core.claims (collected by the CLI).
from numerics.claims import (  # noqa: F401
    asymptotic_checks, benefit, clustering, grokking, implicit_bias, invariance, label_noise,
    maxsup, multiclass, multiclass_geometry, multiclass_grokking, multiclass_targets,
    multiclass_threshold, pegr, plateau, population_check, realdata, sigma_f, targets,
    threshold, train_test_spread, weight_decay)
