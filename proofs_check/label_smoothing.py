r"""Claim B2: label smoothing is a logit regulariser (docs/theory.md §1), proved symbolically.

.. math::
    (1-\varepsilon)\log(1+e^{-t}) + \varepsilon\log(1+e^{t})
      = (1-2\varepsilon)\,\ell_{CE}(t) + \varepsilon\log(2+2\cosh t)

    -\sum_k s_k \log p_k = (1-\varepsilon)\,CE + \varepsilon(\operatorname{lse}(z) -
      \bar z) = CE + \varepsilon(z_y - \bar z),\quad s = (1-\varepsilon)e_y + \varepsilon/K.

So a binary label flip with probability :math:`\varepsilon` (soft target
:math:`(1-\varepsilon)y + \varepsilon(1-y)`) is logit regularisation with
:math:`\alpha = 2\varepsilon`, and smoothing to :math:`(1-\varepsilon)e_y + \varepsilon/K`
(PyTorch's ``label_smoothing=eps``) is :math:`\alpha = \varepsilon` for every K, both with
:math:`f(t) = \tfrac12\log(2 + 2\cosh t)`, which equals the registry's stable form
``softplus(t) - t/2`` and the K=2 case of ``lse(z) - mean(z)`` at ``z = (t/2, -t/2)``.
"""

from __future__ import annotations

import sympy as sp

from core.claims import CheckResult, register
from theory import ALPHA, T, LogSumExp, derive_binary, label_smoothing, logit_symbols

from proofs_check._identity import prove_identity

__all__ = ["binary_identity", "multiclass_identities", "registry_form", "target_form",
           "check_b2"]

EPS = sp.Symbol("epsilon", real=True)


def binary_identity():
    """Binary LS loss = (1 - 2 eps) CE + eps log(2 + 2 cosh t)."""
    lhs = (1 - EPS) * sp.log(1 + sp.exp(-T)) + EPS * sp.log(1 + sp.exp(T))
    rhs = (1 - 2 * EPS) * sp.log(1 + sp.exp(-T)) + EPS * sp.log(2 + 2 * sp.cosh(T))
    return prove_identity(lhs, rhs, [T, EPS])


def registry_form():
    """The registry's ``softplus(t) - t/2`` equals ``log(2 + 2 cosh t)/2`` and the K=2
    multiclass form at ``z = (t/2, -t/2)``."""
    f = label_smoothing.binary
    z = logit_symbols(2)
    k2 = label_smoothing.multiclass(2).xreplace({z[0]: T / 2, z[1]: -T / 2})
    return (prove_identity(f, sp.log(2 + 2 * sp.cosh(T)) / 2, [T]),
            prove_identity(f, k2, [T]))


def multiclass_identities(k: int):
    """For K classes and label y = 0: LS cross-entropy = (1-eps)CE + eps(lse - mean)
    = CE + eps(z_y - mean)."""
    z = logit_symbols(k)
    lse = LogSumExp(*z)
    s = [(1 - EPS) * (1 if j == 0 else 0) + EPS / k for j in range(k)]
    ls_loss = -sp.Add(*[s[j] * (z[j] - lse) for j in range(k)])
    ce = lse - z[0]
    mean = sp.Add(*z) / k
    return (prove_identity(ls_loss, (1 - EPS) * ce + EPS * (lse - mean), [*z, EPS]),
            prove_identity(ls_loss, ce + EPS * (z[0] - mean), [*z, EPS]))


def target_form():
    """The derived LS target equals log((2 - alpha)/alpha) (binary label flip eps = alpha/2)."""
    d = derive_binary(label_smoothing)
    return d.target_closed_form is not None and \
        sp.simplify(d.target_closed_form - sp.log((2 - ALPHA) / ALPHA)) == 0


@register("B2", "label smoothing = logit regularisation with f = log(2+2cosh t)/2: alpha = eps "
                "for targets (1-eps)y + eps/K, alpha = 2 eps for a binary label flip")
def check_b2(full: bool = False) -> CheckResult:
    proofs = {"binary": binary_identity()}
    reg_a, reg_b = registry_form()
    proofs["registry form = log(2+2cosh t)/2"] = reg_a
    proofs["registry form = K=2 lse - mean"] = reg_b
    for k in (range(2, 8) if full else (2, 3, 5)):
        a, b = multiclass_identities(k)
        proofs[f"K={k} (1-eps)CE + eps(lse-mean)"] = a
        proofs[f"K={k} CE + eps(z_y-mean)"] = b
    evidence = {name: p[1] for name, p in proofs.items()}
    spot = max(p[2] for p in proofs.values())
    evidence["max 50-digit spot error"] = spot
    target_ok = target_form()
    evidence["target = log((2-alpha)/alpha)"] = target_ok
    passed = all(p.proved for p in proofs.values()) and spot < 1e-40 and target_ok
    # Spot errors at 50 digits of O(1..1e9) quantities are ~1e-41 at worst.
    return CheckResult("B2", "label smoothing identities (symbolic)", evidence,
                       "symbolic proof + |difference| < 1e-40 at 50 digits", passed)
