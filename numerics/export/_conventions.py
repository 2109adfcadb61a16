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

__all__ = ["CONVENTIONS", "conventions_of"]

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
