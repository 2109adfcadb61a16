r"""``logitreg verify --f EXPR`` / ``--regularizer NAME``: every claim about a general
regulariser, run for one regulariser, with the theory's hypotheses deciding visibly.

Each claim's :class:`core.claims.Scope` says whether its statement is about a general
:math:`f` and which hypotheses of docs/theory.md §1 it assumes (``f`` even, convex, and
:math:`\ell(t) = (1-\alpha)\,\mathrm{softplus}(-t) + \alpha f(t)` with a finite attained
minimum). The hypotheses are read from :func:`theory.properties`; for the multiclass
claims (§4) convexity is that of the K-class form (:func:`theory.check_convex_multiclass`
at ``K = 3``). Verdicts, claim by claim and check by check:

* ``held`` / ``failed``: the hypotheses hold and the check measured the claim;
* ``not applicable: <why>``: the claim is about something else (label smoothing, the
  quadratic loss, weight decay, ...), or the check verifies a regulariser-free step, or
  the multiclass form was not given; nothing is run;
* ``hypothesis fails: <hypothesis>: <counterexample>; measured: held|failed``: the
  theory does not promise the claim, the check still runs and reports what it measured.

The exit code is 0 iff no check whose hypotheses hold failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.claims import HYPOTHESES, SCOPE, claim_scope, takes_regularizer

__all__ = ["RegularizerSpec", "spec_from_flags", "hypotheses", "plan", "verdict", "counts",
           "claim_verdicts", "report_lines"]


@dataclass(frozen=True)
class RegularizerSpec:
    r"""What the user asked for, small and picklable (sent to pool workers, which parse
    it again): a built-in ``name``, or the binary form ``f`` (and optional K-class form
    ``multiclass``) as text, parsed by the safe parser of :mod:`theory._parse`."""

    name: str | None = None
    f: str | None = None
    multiclass: str | None = None

    def resolve(self):
        """The ``theory.Regularizer`` (a non-even ``f`` is refused here, naming a point)."""
        import theory

        if self.f is not None:
            return theory.from_expression(self.f, self.multiclass)
        return theory.get_regularizer(self.name)

    def describe(self) -> dict:
        reg = self.resolve()
        out = {"name": reg.name, "f": str(reg.binary)}
        out["multiclass"] = self.multiclass if self.f is not None else (
            "built-in" if reg.has_multiclass else None)
        return out


def spec_from_flags(name=None, f=None, multiclass=None):
    """The :class:`RegularizerSpec` of ``verify --regularizer NAME`` / ``--f EXPR
    [--multiclass EXPR]``, or ``None`` (no flag: every claim as catalogued). The
    expressions are parsed here, so a bad one is refused before anything runs."""
    from core.errors import InvalidParameterError

    if name is not None and f is not None:
        raise InvalidParameterError(
            f"give either --regularizer {name!r} or --f {f!r}, not both")
    if multiclass is not None and f is None:
        raise InvalidParameterError(
            f"--multiclass {multiclass!r} needs the binary form --f as well")
    if name is None and f is None:
        return None
    spec = RegularizerSpec(name=name, f=f, multiclass=multiclass)
    spec.resolve()
    return spec


def hypotheses(spec: RegularizerSpec) -> dict:
    r"""``{"binary": {hyp: {value, how, evidence}}, "multiclass": {...} or None}`` for the
    hypotheses of :data:`core.claims.HYPOTHESES`; multiclass convexity at ``K = 3``
    (the binary ``even`` and ``finite_minimum`` stand for the K-class form: the
    symmetric simplex target of §4 is a one-dimensional minimisation of the same kind)."""
    import theory

    reg = spec.resolve()
    props = theory.properties(reg)
    binary = {k: _as_dict(v) for k, v in props.items()}
    multi = None
    if reg.has_multiclass:
        z = theory.logit_symbols(3)
        conv = theory.check_convex_multiclass(reg.multiclass(3), z)
        multi = dict(binary, convex=_as_dict(conv))
        multi["convex"]["evidence"] = f"K=3: {multi['convex']['evidence']}"
    return {"binary": binary, "multiclass": multi}


def _as_dict(prop) -> dict:
    if hasattr(prop, "as_dict"):
        return prop.as_dict()
    return {"value": getattr(prop, "value", None), "how": getattr(prop, "how", "?"),
            "evidence": getattr(prop, "evidence", "")}


def plan(claim: str, fn, has_multiclass: bool) -> str | None:
    """``None`` when the check runs for the user's regulariser; otherwise the
    ``"not applicable: ..."`` verdict saying why it is skipped."""
    scope = claim_scope(claim)
    if not scope.general:
        return f"not applicable: {scope.why}"
    if scope.form == "multiclass" and not has_multiclass:
        return "not applicable: no K-class form given (--multiclass EXPR)"
    if not takes_regularizer(fn):
        name = getattr(fn, "__qualname__", "check")
        from logitreg.collect import registry

        if not any(takes_regularizer(other) for _, other in registry().get(claim, [])):
            # (M7: its GD certificate is built on the quadratic f's Hessian 2I.)
            return (f"not applicable: not generalised yet, {name} runs its built-in f only "
                    "(it takes no regulariser)")
        return (f"not applicable: {name} checks a regulariser-free step (a symbolic "
                "identity); the claim's other check runs for f")
    return None


def failing_hypotheses(claim: str, hyps: dict) -> list:
    """``[(hypothesis, text)]`` for the claim's hypotheses that are false or unproved."""
    scope = SCOPE[claim]
    table = hyps["multiclass"] if scope.form == "multiclass" and hyps["multiclass"] else \
        hyps["binary"]
    out = []
    for h in scope.needs:
        if h not in table and h not in HYPOTHESES:
            continue  # an optional refinement this version of theory.properties lacks
        p = table.get(h, {"value": None, "how": "missing", "evidence": "not established"})
        if p["value"] is not True:
            state = "false" if p["value"] is False else "unknown"
            out.append((h, f"{h} {state} ({p['how']}): {p['evidence']}"))
    return out


def verdict(claim: str, passed: bool, hyps: dict) -> str:
    """``held``/``failed``, or ``hypothesis fails: ...; measured: held|failed``."""
    measured = "held" if passed else "failed"
    failing = failing_hypotheses(claim, hyps)
    if failing:
        return f"hypothesis fails: {'; '.join(t for _, t in failing)}; measured: {measured}"
    return measured


def kind(v: str) -> str:
    """The verdict's kind: ``held``, ``failed``, ``not applicable``, ``hypothesis fails``."""
    return v.split(":")[0]


def counts(verdicts) -> dict:
    out = {"held": 0, "failed": 0, "not applicable": 0, "hypothesis fails": 0}
    for v in verdicts:
        out[kind(v)] += 1
    return out


def claim_verdicts(pairs) -> dict:
    """Claim ID -> one verdict from its checks' ``(claim, verdict)`` pairs: ``failed`` if a
    check failed; else the ``hypothesis fails`` verdict; else ``held`` if a check ran;
    else the (first) ``not applicable`` reason."""
    rank = {"failed": 0, "hypothesis fails": 1, "held": 2, "not applicable": 3}
    out = {}
    for claim, v in pairs:
        if claim not in out or rank[kind(v)] < rank[kind(out[claim])]:
            out[claim] = v
    return out


def report_lines(desc: dict, hyps: dict) -> list:
    """Markdown lines for the head of the report: the regulariser and its hypotheses."""
    lines = [f"Regulariser: `{desc['name']}`, f(t) = `{desc['f']}`"
             + (f", K-class form `{desc['multiclass']}`" if desc.get("multiclass") else ""),
             "", "| hypothesis (docs/theory.md §1) | value | how | evidence |",
             "|---|---|---|---|"]
    for form in ("binary", "multiclass"):
        table = hyps.get(form) or {}
        for h, p in table.items():
            if form == "multiclass" and h != "convex":
                continue
            evidence = str(p["evidence"]).replace("|", "\\|")
            lines.append(f"| {h} ({form}) | {p['value']} | {p['how']} | {evidence} |")
    return lines + [""]
