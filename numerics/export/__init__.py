r"""Export a regulariser's derived loss functions as self-contained code or documents.

``logitreg export NAME --to FORMAT`` writes :math:`\ell(t,\alpha)`, :math:`\ell'`,
:math:`\ell''`, :math:`\alpha(t^*)` and :math:`t^*(\alpha)` (claims B1, B7; docs/theory.md §1):

.. math::
    \ell(t) = (1-\alpha)\operatorname{softplus}(-t) + \alpha f(t),\qquad
    \alpha(t^*) = \frac{\ell_{CE}'(t^*)}{\ell_{CE}'(t^*) - f'(t^*)},\qquad
    t^*(\alpha) = \operatorname*{argmin}_t \ell(t).

Every formula is printed by a SymPy printer from :func:`theory.derive_binary`; nothing is
retyped. Code formats (``numpy``, ``c``, ``torch``, ``jax``) define overflow-free helpers
for the primitives and either the closed-form target or, when SymPy found none, a
bracketed bisection-plus-Newton solver commented as an *implicit* target.

Public API::

    export(name_or_regularizer, to, classes=None) -> str   # classes=K: batched multiclass
    convert(value, source, target, classes=None)          # alpha <-> eps, lambda, flip p
    EXPORT_FORMATS = ("numpy", "c", "latex", "json", "torch", "jax")
    EXPORT_SUFFIXES = {"numpy": ".py", "c": ".c", ...}
"""

from __future__ import annotations

from theory import InvalidParameterError, InvalidTypeError

from numerics.export._c import render_c
from numerics.export._common import prepare
from numerics.export._conventions import (CONVENTIONS, MULTICLASS_CONVENTIONS, PARAMETERIZATIONS,
                                          conventions_of, convert, from_alpha,
                                          multiclass_conventions_of, to_alpha)
from numerics.export._document import JSON_FORMAT_VERSION, render_json, render_latex
from numerics.export._python import render_jax, render_numpy, render_torch

__all__ = ["export", "EXPORT_FORMATS", "EXPORT_SUFFIXES", "JSON_FORMAT_VERSION", "CONVENTIONS",
           "conventions_of", "MULTICLASS_CONVENTIONS", "multiclass_conventions_of",
           "PARAMETERIZATIONS", "convert", "to_alpha", "from_alpha"]

#: The accepted values of ``to`` (and of ``logitreg export --to``).
EXPORT_FORMATS = ("numpy", "c", "latex", "json", "torch", "jax")

#: Conventional file suffix per format.
EXPORT_SUFFIXES = {"numpy": ".py", "c": ".c", "latex": ".tex", "json": ".json",
                   "torch": ".py", "jax": ".py"}

_RENDER = {"numpy": render_numpy, "c": render_c, "latex": render_latex, "json": render_json,
           "torch": render_torch, "jax": render_jax}


def export(name_or_regularizer, to: str, classes: int | None = None) -> str:
    r"""Text of a self-contained file with a regulariser's losses, target and derivatives.

    Parameters
    ----------
    name_or_regularizer : str or theory.Regularizer
        A built-in name (:func:`theory.list_regularizers`) or a regulariser, e.g.
        ``theory.from_expression("t**4")``.
    to : {"numpy", "c", "latex", "json", "torch", "jax"}
        ``numpy``/``torch``/``jax``: a Python module with ``loss(t, alpha)``, ``dloss``,
        ``d2loss``, ``alpha_of_target(t)``, ``target(alpha)`` and ``ALPHA_MAX``
        (``numpy`` needs numpy only). ``c``: a C99 unit with ``NAME_loss`` ... ``NAME_target``,
        ``NAME_alpha_max``. ``latex``: an ``align`` fragment. ``json``: the expressions
        as ``str``/``srepr``/LaTeX, ``target_closed_form`` (or null), ``alpha_max``, name, f.
    classes : int, optional
        ``K >= 2``: the batched K-class export instead (docs/theory.md §4, §8; see
        :mod:`numerics.export._multiclass`): ``loss(logits, labels, alpha,
        reduction="mean")`` on a ``(B, K)`` batch with ``F.cross_entropy``'s reduction
        semantics, ``grad`` (w.r.t. the logits), ``regularizer``, ``gap``, ``targets``,
        ``alpha_of_gap`` and, in torch, the ``nn.Module`` ``Loss``; C: per-sample
        ``NAME_loss(z, label, alpha)``, ``NAME_grad``; json/latex: the row expressions.

    Returns
    -------
    str
        The file contents (newline-terminated); the caller writes or prints it.

    Raises
    ------
    theory.InvalidTypeError
        ``to`` is not a string.
    theory.InvalidParameterError
        ``to`` is not one of :data:`EXPORT_FORMATS`, or the regulariser is unknown.

    Notes
    -----
    The target :math:`t^*(\alpha)` (the logit cluster centre of claim B1; the minimiser
    :math:`(t^*/\mu_f)e_1` of claim B7) is the closed form when SymPy found one, with
    :math:`t^* = 0` for :math:`\alpha \ge \alpha_{\max} = \alpha(0^+)`; otherwise it is
    implicit, :math:`\alpha(t^*) = \alpha`, and the exported code brackets the sign change
    of :math:`\ell'` on :math:`(0, t_{hi}]`, bisects and polishes with Newton steps.

    Examples
    --------
    >>> src = export("label_smoothing", to="c")
    >>> "double label_smoothing_target(double alpha)" in src
    True
    >>> export("quadratic", to="fortran")
    Traceback (most recent call last):
    ...
    core.errors.InvalidParameterError: The 'to' parameter of export must be one of 'numpy', 'c', 'latex', 'json', 'torch', 'jax'. Got 'fortran' instead.
    """
    if not isinstance(to, str):
        raise InvalidTypeError(
            f"The 'to' parameter of export must be a string. Got {to!r} instead.")
    if to not in EXPORT_FORMATS:
        choices = ", ".join(repr(f) for f in EXPORT_FORMATS)
        raise InvalidParameterError(
            f"The 'to' parameter of export must be one of {choices}. Got {to!r} instead.")
    if classes is not None:
        from core.validation import check_classes
        from numerics.export._multiclass import prepare_multiclass, render_multiclass
        from numerics.export._multiclass_c import render_multiclass_c

        p = prepare_multiclass(name_or_regularizer, check_classes(classes, caller="export"))
        return render_multiclass_c(p) if to == "c" else render_multiclass(p, to)
    return _RENDER[to](prepare(name_or_regularizer))
