r"""Claim G2 (symbolic): label smoothing's extra term, its split, and MaxSup (docs/theory.md §6 (G2)).

With logits :math:`z \in \mathbb R^K`, ground truth ``z1`` (index 0 here, by symmetry)
and smoothed targets :math:`s = (1-\alpha)e_{gt} + \alpha/K`:

.. math::
    -\sum_j s_j\log p_j = CE + \alpha(z_{gt} - \bar z),\qquad
    \alpha(z_{gt} - \bar z) = \underbrace{\tfrac{\alpha}{K}\sum_m \max(z_{gt}-z_m, 0)}_{
      \text{regularisation}\ \ge 0}
      + \underbrace{\tfrac{\alpha}{K}\sum_m \min(z_{gt}-z_m, 0)}_{
      \text{error amplification}\ \le 0}

and MaxSup's extra term :math:`\alpha(z_{max} - \bar z) = \alpha(z_{gt}-\bar z) +
\alpha(z_{max} - z_{gt}) \ge \alpha(z_{gt}-\bar z)`.

Proof routes (all machine-checked here):

* the LS identity by :func:`proofs_check._identity.prove_identity` (simplify after
  rewriting ``lse`` to exp/log) plus a 50-digit spot check;
* the split: the one-variable lemma :math:`\max(x,0)+\min(x,0) = x` (Piecewise
  simplification) reduces it to a linear identity;
* the sign facts for **every** real logit vector, ties included: the terms are symmetric in
  the non-ground-truth logits, so it suffices to take the logits sorted,
  :math:`z_{(1)} = c,\ z_{(j+1)} = z_{(j)} - a_j` with gaps :math:`a_j \ge 0` (SymPy
  ``nonnegative`` symbols, so ties are the case :math:`a_j = 0`), and the ground truth at
  each rank :math:`r = 1..K`. SymPy's assumption system then decides the signs of the
  resulting expressions (polynomials in the gaps). The sandwich
  :math:`-\tfrac{\alpha(K-1)}{K}(z_{max}-z_{gt}) \le \text{amplification} \le
  -\tfrac{\alpha}{K}(z_{max}-z_{gt}) \le 0` shows it is zero iff :math:`z_{gt}` is a
  maximum (for :math:`\alpha > 0`);
* gradients on the branch where :math:`z_a` is the strict maximum (``Max(z) = z_a``,
  verified with positive gaps): LS's extra term has :math:`\partial/\partial z_{gt} =
  \alpha(1-1/K) > 0` always -- on a misclassified sample (a != gt) gradient descent pushes
  :math:`z_{gt}` *down*; MaxSup's has :math:`-\alpha/K < 0` there (pushes it up) and
  :math:`+\alpha(1-1/K)` on the wrong top logit; on a correctly classified sample
  (a = gt) the two coincide.
"""

from __future__ import annotations

import functools

import sympy as sp

from core.claims import CheckResult, register
from theory import ALPHA, LogSumExp, logit_symbols

from proofs_check._identity import prove_identity

__all__ = ["extra_terms", "ls_extra_identity", "split_lemma", "split_identity",
           "sign_facts", "gradient_facts", "check_g2_symbolic"]

_APOS = sp.Symbol("alpha", positive=True)


@functools.lru_cache(maxsize=32)
def extra_terms(k: int) -> dict:
    r"""SymPy expressions in ``logit_symbols(k)`` and ``ALPHA`` (ground truth = ``z1``):
    ``ls_loss`` (smoothed-target CE), ``ce``, ``ls_extra`` :math:`\alpha(z_{gt}-\bar z)`,
    ``regularisation``, ``amplification``, ``maxsup_extra`` :math:`\alpha(z_{max}-\bar z)`
    (claim G2)."""
    z = logit_symbols(k)
    lse = LogSumExp(*z)
    mean = sp.Add(*z) / k
    s = [(1 - ALPHA) * (1 if j == 0 else 0) + ALPHA / k for j in range(k)]
    return {
        "z": z,
        "ls_loss": -sp.Add(*[s[j] * (z[j] - lse) for j in range(k)]),
        "ce": lse - z[0],
        "ls_extra": ALPHA * (z[0] - mean),
        "regularisation": ALPHA / k * sp.Add(*[sp.Max(z[0] - zm, 0) for zm in z[1:]]),
        "amplification": ALPHA / k * sp.Add(*[sp.Min(z[0] - zm, 0) for zm in z[1:]]),
        "maxsup_extra": ALPHA * (sp.Max(*z) - mean),
        "targets": s,
    }


def ls_extra_identity(k: int):
    r"""Smoothed-target CE minus CE equals :math:`\alpha(z_{gt} - \bar z)`; and the
    smoothed loss's gradient on the ground truth is :math:`p_{gt} - s_{gt}`."""
    e = extra_terms(k)
    z = e["z"]
    main = prove_identity(e["ls_loss"] - e["ce"], e["ls_extra"], [*z, ALPHA])
    p_gt = sp.exp(z[0] - LogSumExp(*z))
    grad = prove_identity(sp.diff(e["ls_loss"], z[0]), p_gt - e["targets"][0], [*z, ALPHA])
    return main, grad


def split_lemma() -> bool:
    r""":math:`\max(x, 0) + \min(x, 0) = x` for real ``x`` (Piecewise simplification)."""
    x = sp.Symbol("x", real=True)
    expr = (sp.Max(x, 0) + sp.Min(x, 0) - x).rewrite(sp.Piecewise)
    return sp.simplify(sp.piecewise_fold(expr)) == 0


def split_identity(k: int) -> bool:
    r"""Regularisation + amplification :math:`= \alpha(z_{gt} - \bar z)`, using the lemma
    (each two-argument ``Min(x, 0)`` replaced by ``x - Max(x, 0)``)."""
    e = extra_terms(k)
    total = e["regularisation"] + e["amplification"] - e["ls_extra"]
    reduced = total.replace(lambda q: isinstance(q, sp.Min) and len(q.args) == 2,
                            lambda q: sp.Add(*q.args) - sp.Max(*q.args))
    return sp.simplify(reduced) == 0


def _sorted_substitution(k: int, rank: int):
    """Logits sorted descending with non-negative gaps, the ground truth (z1) at ``rank``
    (0 = top). Returns ``(subs, gaps, top)``."""
    c = sp.Symbol("c", real=True)
    gaps = sp.symbols(f"a1:{k}", nonnegative=True)
    values = [c - sp.Add(*gaps[:j]) for j in range(k)]
    z = logit_symbols(k)
    others = [v for j, v in enumerate(values) if j != rank]
    subs = {z[0]: values[rank], **{zm: v for zm, v in zip(z[1:], others)}}
    return subs, gaps, values[0]


def sign_facts(k: int) -> dict:
    r"""For each rank of the ground truth among sorted logits (ties allowed), decided by
    SymPy's assumptions with :math:`\alpha \ge 0`:

    regularisation :math:`\ge 0`; amplification :math:`\le 0`; the sandwich
    :math:`-\alpha\frac{K-1}{K}\Delta \le \text{amp} \le -\frac{\alpha}{K}\Delta`,
    :math:`\Delta = z_{max} - z_{gt} \ge 0`; amplification :math:`\equiv 0` at rank 0;
    MaxSup extra :math:`=` LS extra :math:`+ \alpha\Delta \ge` LS extra; MaxSup extra
    :math:`= \frac{\alpha}{K}\sum_m (z_{max}-z_m) \ge 0`. Returns ``{fact: all ranks ok}``.
    """
    e = extra_terms(k)
    z = e["z"]
    facts = {name: True for name in (
        "regularisation >= 0", "amplification <= 0", "amp <= -(alpha/K)(zmax-zgt)",
        "amp >= -(alpha(K-1)/K)(zmax-zgt)", "amp = 0 when z_gt is the max",
        "maxsup = ls + alpha(zmax-zgt)", "maxsup >= ls", "maxsup = (alpha/K) sum(zmax-zm) >= 0")}
    for rank in range(k):
        subs, gaps, top = _sorted_substitution(k, rank)
        reg = sp.expand(e["regularisation"].xreplace(subs))
        amp = sp.expand(e["amplification"].xreplace(subs))
        ls = sp.expand(e["ls_extra"].xreplace(subs))
        ms = sp.expand(e["maxsup_extra"].xreplace(subs))
        delta = sp.expand(top - subs[z[0]])
        checks = {
            "regularisation >= 0": reg.is_nonnegative,
            "amplification <= 0": amp.is_nonpositive,
            "amp <= -(alpha/K)(zmax-zgt)": sp.expand(amp + ALPHA * delta / k).is_nonpositive,
            "amp >= -(alpha(K-1)/K)(zmax-zgt)":
                sp.expand(amp + ALPHA * (k - 1) * delta / k).is_nonnegative,
            "amp = 0 when z_gt is the max": (amp == 0) if rank == 0 else True,
            "maxsup = ls + alpha(zmax-zgt)": sp.expand(ms - ls - ALPHA * delta) == 0,
            "maxsup >= ls": sp.expand(ms - ls).is_nonnegative,
            "maxsup = (alpha/K) sum(zmax-zm) >= 0":
                sp.expand(ms - ALPHA / k * sp.Add(*[top - subs[zm] for zm in z])) == 0
                and ms.is_nonnegative,
        }
        # Only the top-ranked ground truth may have Delta = 0 identically.
        if rank > 0 and not (delta.is_nonnegative and delta != 0):
            checks["amp = 0 when z_gt is the max"] = False
        for name, ok in checks.items():
            facts[name] = facts[name] and bool(ok)
    return facts


def gradient_facts(k: int) -> dict:
    r"""Gradients of the extra terms on the branch where ``z_a`` is the strict maximum.

    Returns the values of :math:`\partial/\partial z_{gt}` and
    :math:`\partial/\partial z_a` (as SymPy expressions in :math:`\alpha > 0`) and the sign
    verdicts of docs/theory.md §6 (G2) for a correctly (a = gt) and a misclassified (a != gt) sample.
    """
    e = extra_terms(k)
    z = e["z"]
    out = {}
    for label, a in (("correct", 0), ("misclassified", 1)):
        # Branch check: with z_a above every other logit by positive gaps, Max(z) = z_a.
        b = sp.symbols(f"b1:{k + 1}", positive=True)
        point = {zj: (z[a] - b[j] if j != a else z[a]) for j, zj in enumerate(z)}
        branch_ok = sp.Max(*[point[zj] for zj in z]) == z[a]
        ms_branch = e["maxsup_extra"].replace(lambda q: isinstance(q, sp.Max), lambda q: z[a])
        ls_grad = [sp.simplify(sp.diff(e["ls_extra"], zj).subs(ALPHA, _APOS)) for zj in z]
        ms_grad = [sp.simplify(sp.diff(ms_branch, zj).subs(ALPHA, _APOS)) for zj in z]
        out[label] = {
            "branch Max(z) = z_a": bool(branch_ok),
            "d LS / d z_gt": ls_grad[0], "d MaxSup / d z_gt": ms_grad[0],
            "d MaxSup / d z_a": ms_grad[a],
            "LS pushes z_gt down": bool(ls_grad[0].is_positive),
            "MaxSup pushes z_gt down": bool(ms_grad[0].is_positive),
            "MaxSup pushes z_gt up": bool(ms_grad[0].is_negative),
            "MaxSup pushes top wrong logit down": bool(ms_grad[a].is_positive) if a else None,
            "LS = alpha(delta - 1/K)": all(
                sp.simplify(g - _APOS * (int(j == 0) - sp.Rational(1, k))) == 0
                for j, g in enumerate(ls_grad)),
            "MaxSup = alpha(delta_a - 1/K)": all(
                sp.simplify(g - _APOS * (int(j == a) - sp.Rational(1, k))) == 0
                for j, g in enumerate(ms_grad)),
        }
    return out


@register("G2", "MaxSup vs label smoothing: LS extra term alpha(z_gt - mean z), its split, "
          "MaxSup's alpha(z_max - mean z) >= it, gradient signs (symbolic)")
def check_g2_symbolic(full: bool = False) -> CheckResult:
    ks = range(2, 13) if full else (2, 3, 4, 6)
    ev = {"split lemma max(x,0)+min(x,0)=x": split_lemma()}
    ok = ev["split lemma max(x,0)+min(x,0)=x"]
    spot = 0.0
    for k in ks:
        main, grad = ls_extra_identity(k)
        spot = max(spot, main[2], grad[2])
        split = split_identity(k)
        facts = sign_facts(k)
        ok &= main.proved and grad.proved and split and all(facts.values())
        ev[f"K={k} LS - CE = alpha(z_gt - mean)"] = main[1]
        ev[f"K={k} split + sign facts (all ranks, ties)"] = bool(split and all(facts.values()))
        g = gradient_facts(k)
        c, m = g["correct"], g["misclassified"]
        grads_ok = (c["branch Max(z) = z_a"] and m["branch Max(z) = z_a"]
                    and c["LS pushes z_gt down"] and c["MaxSup pushes z_gt down"]
                    and m["LS pushes z_gt down"] and m["MaxSup pushes z_gt up"]
                    and m["MaxSup pushes top wrong logit down"]
                    and c["LS = alpha(delta - 1/K)"] and m["MaxSup = alpha(delta_a - 1/K)"]
                    and c["MaxSup = alpha(delta_a - 1/K)"]
                    and sp.simplify(c["d LS / d z_gt"] - c["d MaxSup / d z_gt"]) == 0)
        ok &= grads_ok
        ev[f"K={k} gradient signs as docs/theory.md §6 (G2)"] = bool(grads_ok)
        if k == 3:
            ev["K=3 misclassified: d LS/d z_gt"] = str(m["d LS / d z_gt"])
            ev["K=3 misclassified: d MaxSup/d z_gt"] = str(m["d MaxSup / d z_gt"])
    ev["max 50-digit spot error"] = spot
    # Spot errors at 50 digits of O(1..100) quantities are ~1e-48.
    ok = bool(ok and spot < 1e-40)
    return CheckResult("G2", "LS extra term, split, MaxSup >= LS, gradient signs (symbolic)",
                       ev, "symbolic proofs for each K; sign facts for every rank of z_gt "
                       "among sorted logits with gaps >= 0 (ties); |spot error| < 1e-40 at "
                       "50 digits", ok,
                       note="'zero iff z_gt is the max' follows from the sandwich for "
                            "alpha > 0; at alpha = 0 every extra term vanishes.")
