r"""Solve: exact minimisers and the alpha = 0 limits, one concept per module.

``binary`` / ``binary_kink`` (Newton, kinked f), ``multiclass`` / ``multiclass_ties``,
``weight_decay``, ``squared``, ``population`` (Gaussian population), ``_mpsolve``
(50-digit certificate), ``separability`` (Cover, Gordan), ``max_margin`` /
``multiclass_max_margin`` (hard-margin SVMs, exact and KKT-certified: ``dense_qp``
interior point, ``active_set`` liblinear-warm-started active-set rounds,
``multiclass_active_set`` from XX^T), ``logistic_mle``, ``gradient_descent`` /
``multiclass_gradient_descent`` (recorded training dynamics), ``estimator`` (scikit-learn).
"""
