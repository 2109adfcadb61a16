r"""How our strength :math:`\alpha` maps onto the parameters other code uses (docs/theory.md
§8), printed by ``logitreg list`` and in every export header.

Label smoothing (claim B2). PyTorch ``F.cross_entropy(z, y, label_smoothing=eps)``,
optax and timm use the soft targets :math:`(1-\varepsilon)y + \varepsilon/K`, i.e.

.. math::
    (1-\varepsilon)\,\mathrm{CE}(z) + \varepsilon\,(\operatorname{lse}(z) - \bar z),

our loss at :math:`\alpha = \varepsilon` for every K; at K = 2 with logits
:math:`z = (t/2, -t/2)` it is exactly our binary loss with
:math:`f(t) = \tfrac12\log(2+2\cosh t)`. The binary label-flip form, soft target
:math:`(1-\varepsilon)y + \varepsilon(1-y)`, gives
:math:`(1-\varepsilon)\operatorname{softplus}(-t) + \varepsilon\operatorname{softplus}(t)`,
i.e. :math:`\alpha = 2\varepsilon`. (Both are tested against PyTorch in
``tests/test_conventions.py``.)

Quadratic. The binary form :math:`f(t) = t^2` is *twice* the K = 2 multiclass form
:math:`\|z\|^2` at :math:`z = (t/2, -t/2)`; label smoothing, MaxSup and the confidence
penalty agree at K = 2.

MaxSup (claim G2). The published loss
:math:`\mathrm{CE} + \lambda(\max_k z_k - \bar z) = (1+\lambda)\,[(1-\alpha)\mathrm{CE} +
\alpha f]` with :math:`f(z) = \max_k z_k - \bar z` and :math:`\alpha = \lambda/(1+\lambda)`:
the same minimisers, gradients scaled by :math:`1+\lambda`.
"""

from __future__ import annotations

__all__ = ["CONVENTIONS", "MULTICLASS_CONVENTIONS", "PARAMETERIZATIONS", "conventions_of",
           "multiclass_conventions_of", "to_alpha", "from_alpha", "convert"]

#: Built-in regulariser name -> lines stating how alpha relates to other conventions.
CONVENTIONS = {
    "quadratic": (
        ("binary f(t) = t^2 is twice the K = 2 multiclass form ||z||^2 at logits (t/2, -t/2), "
         "which is t^2/2 (the other built-ins agree at K = 2)"),
    ),
    "label_smoothing": (
        ("alpha = eps of PyTorch/optax/timm label_smoothing=eps (targets (1-eps) y + eps/K, "
         "any K; at K = 2 with logits (t/2, -t/2) exactly this binary loss)"),
        "alpha = 2 eps of the binary label-flip form, soft target (1-eps) y + eps (1-y)",
    ),
    "maxsup": (
        ("MaxSup's published loss CE + lam (max z - mean z) = (1 + lam) x this loss at "
         "alpha = lam/(1 + lam)"),
    ),
}


def conventions_of(regularizer) -> tuple:
    """The convention lines of a built-in regulariser (none for a user-defined one, even
    if it borrows a built-in's name)."""
    from theory import BUILTIN

    name = getattr(regularizer, "name", regularizer)
    builtin = BUILTIN.get(name)
    if builtin is None or (not isinstance(regularizer, str) and regularizer != builtin):
        return ()
    return CONVENTIONS.get(name, ())


#: Built-in name -> convention lines of the batched multiclass export (``--classes K``).
MULTICLASS_CONVENTIONS = {
    "quadratic": (
        "f(z) = ||z||^2 (sum of squared logits, not their mean); no label-smoothing analogue",
    ),
    "label_smoothing": (
        ("alpha = eps of F.cross_entropy(z, y, label_smoothing=eps), optax "
         "softmax_cross_entropy(z, smooth_labels(onehot, eps)) and timm "
         "LabelSmoothingCrossEntropy(smoothing=eps): soft target (1-eps) onehot + eps/K, "
         "mean over the batch"),
        ("a codebase putting eps/(K-1) on every wrong class (target 1-eps on the label) is "
         "alpha = eps K/(K-1)"),
        "K = 2: the binary label-flip probability p is alpha = 2 p",
    ),
    "maxsup": (
        ("MaxSup's published CE + lam (max z - mean z) = (1 + lam) x this loss at "
         "alpha = lam/(1 + lam); at ties of the top logits the max is differentiated by "
         "the tie-set share 1/#ties (a subgradient)"),
    ),
    "confidence_penalty": (
        ("f(z) = sum_k p_k log p_k = -H(softmax z): Pereyra et al.'s CE - beta H is "
         "(1 + beta) x this loss at alpha = beta/(1 + beta)"),
    ),
}


def multiclass_conventions_of(regularizer) -> tuple:
    """The multiclass convention lines of a built-in (none for a user-defined one)."""
    from theory import BUILTIN

    name = getattr(regularizer, "name", regularizer)
    builtin = BUILTIN.get(name)
    if builtin is None or (not isinstance(regularizer, str) and regularizer != builtin):
        return ()
    return MULTICLASS_CONVENTIONS.get(name, ())


#: Names accepted by :func:`convert`, with what they parameterise (docs/theory.md §8).
PARAMETERIZATIONS = {
    "alpha": "our strength alpha: (1 - alpha) CE + alpha f",
    "torch_eps": "PyTorch F.cross_entropy label_smoothing=eps (targets (1-eps) onehot + eps/K)",
    "optax_eps": "optax smooth_labels(onehot, eps) (same targets as torch)",
    "timm_eps": "timm LabelSmoothingCrossEntropy(smoothing=eps) (same targets as torch)",
    "eps_k_minus_1": "targets 1 - eps on the label and eps/(K-1) on each other class",
    "maxsup_lambda": "MaxSup's CE + lam (max z - mean z) (= (1 + lam) x ours)",
    "confidence_beta": "confidence penalty CE - beta H(softmax z) (= (1 + beta) x ours)",
    "flip_probability": "binary label flip with probability p (soft target (1-p) y + p (1-y))",
}


def _need_classes(name, classes):
    if classes is None or int(classes) != classes or classes < 2:
        from core.errors import InvalidParameterError

        raise InvalidParameterError(
            f"converting {name!r} needs the number of classes K >= 2. Got {classes!r} instead.")
    return int(classes)


def _identity(v, k):
    return v


#: name -> (value in that parameterisation -> alpha, alpha -> value); k is K or None.
_MAPS = {
    **{n: (_identity, _identity) for n in ("alpha", "torch_eps", "optax_eps", "timm_eps")},
    "eps_k_minus_1": (lambda v, k: v * k / (k - 1), lambda a, k: a * (k - 1) / k),
    **{n: (lambda v, k: v / (1.0 + v), lambda a, k: a / (1.0 - a))
       for n in ("maxsup_lambda", "confidence_beta")},
    "flip_probability": (lambda v, k: 2.0 * v, lambda a, k: a / 2.0),
}


def _map(name, classes, direction):
    from core.errors import InvalidParameterError

    if name not in PARAMETERIZATIONS:
        raise InvalidParameterError(
            f"Unknown parameterisation {name!r}; choose one of {', '.join(PARAMETERIZATIONS)}.")
    k = _need_classes(name, classes) if name == "eps_k_minus_1" else None
    fn = _MAPS[name][direction]
    return lambda x: fn(float(x), k)


def to_alpha(name: str, value: float, classes: int | None = None) -> float:
    r"""Our :math:`\alpha` for ``value`` given in the parameterisation ``name``.

    ``torch_eps``/``optax_eps``/``timm_eps``: :math:`\alpha = \varepsilon`;
    ``eps_k_minus_1``: :math:`\alpha = \varepsilon K/(K-1)` (needs ``classes``);
    ``maxsup_lambda``/``confidence_beta``: :math:`\alpha = \lambda/(1+\lambda)` (the
    published loss is :math:`1+\lambda` times ours); ``flip_probability``:
    :math:`\alpha = 2p` (binary). See docs/theory.md §8.

    >>> to_alpha("maxsup_lambda", 0.25)
    0.2
    """
    return _map(name, classes, 0)(value)


def from_alpha(name: str, alpha: float, classes: int | None = None) -> float:
    r"""Inverse of :func:`to_alpha`: ``alpha`` expressed in the parameterisation ``name``.

    >>> from_alpha("maxsup_lambda", 0.2)
    0.25
    """
    return _map(name, classes, 1)(alpha)


def convert(value: float, source: str, target: str, classes: int | None = None) -> float:
    r"""Convert a strength between parameterisations (:data:`PARAMETERIZATIONS`) through
    our :math:`\alpha`, e.g. ``convert(0.1, "eps_k_minus_1", "torch_eps", classes=10)``
    is ``0.1 * 10/9``.

    >>> round(convert(0.1, "torch_eps", "maxsup_lambda"), 12)
    0.111111111111
    """
    return from_alpha(target, to_alpha(source, value, classes), classes)
