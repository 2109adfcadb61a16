r"""``logitreg verify``: run claim checks, print a table, write JSON and a Markdown report.

A claim (B7, M3, ...) may have several checks (a symbolic and a numeric one); the table
has one row per check, the summary counts claims (a claim passes iff all its checks pass)
and checks. ``--list`` prints the catalogue (:data:`core.claims.CATALOGUE`): every
claim's statement, paper reference, theory section and the ``module:function`` of each
check. Exit code 0 iff every selected check passes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.claims import (CATALOGUE, CheckResult, check_location, claim_info, claim_scope,
                         run_check)
from core.errors import InvalidParameterError
from core.files import atomic_write_text
from logitreg.collect import registry

__all__ = ["run_verify", "list_claims", "summary_line"]

#: What the pool's fork server imports once for all workers (the check modules).
_PRELOAD = ("numerics.claims", "proofs_check")


def _short(evidence: dict, width: int = 60) -> str:
    parts = []
    for key, value in evidence.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.3g}")
        else:
            parts.append(f"{key}={value}")
    text = "; ".join(parts)
    return text if len(text) <= width else text[: width - 3] + "..."


def _run_indexed(claim, index, full, report_dir, spec=None):
    """Worker body: run one check (and draw its figures for a report). Never raises: an
    error while drawing is a failed check, reported with the evidence measured. ``spec``
    (a :class:`~logitreg.verify_regularizer.RegularizerSpec`) runs it for that regulariser."""
    statement, fn = registry()[claim][index]
    reg = spec.resolve() if spec is not None else None
    result = run_check(claim, statement, fn, full=full, regularizer=reg)
    if report_dir is not None and result.data:
        try:
            from numerics.figures.claim_figures import draw_claim_figures

            result.figures = draw_claim_figures(result, report_dir)
        except Exception as exc:  # a drawer's bug must not hide the other checks
            result.passed = False
            result.evidence["error"] = f"drawing failed: {type(exc).__name__}: {exc}"
    result.data = {}  # drawn (or not asked for): nothing to send back between processes
    return result


def _run_pool(selected, workers, full, report_dir, bar, spec=None):
    """Results in ``selected`` order (:func:`core.pool.run_ordered`); checks are
    independent and deterministic (explicit seeds), so the verdicts do not depend on
    ``workers``."""
    from core.pool import run_ordered

    def crashed(i, message):
        claim, index = selected[i]
        statement, fn = registry()[claim][index]
        result = CheckResult(claim, statement, {"error": message}, "-", False)
        result.check = check_location(fn)
        return result

    def progress(i, result):
        bar.set_postfix_str(selected[i][0])
        bar.update()

    return run_ordered(_run_indexed, [(c, i, full, report_dir, spec) for c, i in selected],
                       workers=workers, progress=progress, on_crash=crashed,
                       preload=_PRELOAD)


def list_claims(claims=None) -> str:
    """The catalogue as text: per claim its statement, paper reference, theory section,
    its scope for a user's regulariser (:data:`core.claims.SCOPE`) and the
    ``module:function`` of every registered check."""
    reg = registry()
    lines = []
    for cid in dict.fromkeys(claims or CATALOGUE):
        info = claim_info(cid)
        lines.append(f"{cid:<4} {info.statement}")
        lines.append(f"     paper:  {info.reference}")
        lines.append(f"     theory: {info.section}")
        scope = claim_scope(cid)
        lines.append("     for f:  " + (
            f"any {scope.form} regulariser (verify --f"
            f"{' --multiclass' if scope.form == 'multiclass' else ''}); assumes "
            f"{', '.join(scope.needs)}"
            if scope.general else f"not applicable ({scope.why})"))
        for statement, fn in reg.get(cid, []):
            lines.append(f"     check:  {check_location(fn)}  ({statement})")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _claim_verdicts(results) -> dict:
    verdicts = {}
    for r in results:
        verdicts[r.claim] = verdicts.get(r.claim, True) and r.passed
    return verdicts


def summary_line(results) -> str:
    """``"3 claims: 3 passed, 0 failed (4 checks)"``; failed checks are counted too."""
    verdicts = _claim_verdicts(results)
    ok = sum(verdicts.values())
    checks = len(results)
    failed_checks = sum(not r.passed for r in results)
    detail = f"{checks} check{'s' * (checks != 1)}"
    if failed_checks:
        detail += f", {failed_checks} failed"
    return (f"{len(verdicts)} claim{'s' * (len(verdicts) != 1)}: {ok} passed, "
            f"{len(verdicts) - ok} failed ({detail})")


def _records(results, full) -> dict:
    records = []
    for r in results:
        rec = r.as_dict()
        info = CATALOGUE.get(r.claim)
        rec["reference"] = info.reference if info else None
        rec["theory_section"] = info.section if info else None
        records.append(rec)
    verdicts = _claim_verdicts(results)
    return {"full": full, "results": records,
            "summary": {"claims": len(verdicts), "claims_passed": sum(verdicts.values()),
                        "checks": len(results), "checks_passed": sum(r.passed for r in results),
                        "claim_verdicts": verdicts}}


def _cell(value) -> str:
    """A Markdown table cell: a ``|`` in the text (``|S_perp|``) would split the cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _check_name(r) -> str:
    return r.check.rpartition(":")[2] if r.check else ""


def _report(results, payload, out_dir, full) -> None:
    lines = ["# logitreg verification report", "",
             f"Mode: {'full (paper sizes)' if full else 'default (reduced sizes)'}", "",
             summary_line(results), "",
             "| ID | check | verdict | seconds | claim | reference | tolerance |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        info = CATALOGUE.get(r.claim)
        lines.append(f"| {r.claim} | `{_check_name(r)}` | {'PASS' if r.passed else 'FAIL'} | "
                     f"{r.seconds:.1f} | {_cell(r.statement)} | "
                     f"{_cell(info.reference if info else '')} | {_cell(r.tolerance)} |")
    seen = set()
    for r in results:
        if r.claim not in seen:
            seen.add(r.claim)
            info = CATALOGUE.get(r.claim)
            if info is not None:
                lines += ["", f"## {r.claim}: {info.statement}", "",
                          f"Paper: {info.reference}. Theory: {info.section}."]
        lines += ["", f"### {r.claim} `{r.check}`: {r.statement}", "",
                  f"Verdict: {'PASS' if r.passed else 'FAIL'}. Tolerance: {r.tolerance}", "",
                  "| evidence | value |", "|---|---|"]
        lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in r.evidence.items()]
        if r.note:
            lines += ["", r.note]
        lines += [f"![{r.claim}]({Path(fig).name})" for fig in r.figures]
    atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")
    atomic_write_text(out_dir / "results.json", json.dumps(payload, indent=2, default=str))


def run_verify(claims=None, *, full=False, json_file=None, report_dir=None,
               workers: int = 1, regularizer=None) -> int:
    """Run the selected checks (all when ``claims`` is None) in ``workers`` processes
    (1: in this process); return the exit code. ``regularizer`` (a
    :class:`~logitreg.verify_regularizer.RegularizerSpec`): run every claim about a
    general regulariser for that one (:mod:`logitreg.verify_regularizer`)."""
    from tqdm import tqdm

    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InvalidParameterError(f"workers must be an integer >= 1, got {workers!r}")
    if workers > 1:
        from core.pool import prestart

        prestart(_PRELOAD)  # the fork server imports the checks while we do
    reg = registry()
    if claims is not None:
        unknown = [c for c in claims if c not in reg]
        if unknown:
            raise InvalidParameterError(
                f"unknown claim ID(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(reg))}")
        claims = list(dict.fromkeys(claims))  # a repeated ID runs once
    selected = [(c, i) for c in (claims or sorted(reg)) for i in range(len(reg[c]))]
    if regularizer is not None:
        from logitreg.verify_regularizer import plan

        has_multi = regularizer.resolve().has_multiclass  # a bad expression fails here
        skipped = {(c, i): plan(c, reg[c][i][1], has_multi) for c, i in selected}
        every, selected = selected, [key for key in selected if skipped[key] is None]
    out_dir = Path(report_dir) if report_dir else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(selected), desc="verify", unit="check", file=sys.stderr, disable=None)
    try:
        if workers == 1 or len(selected) == 1:
            from threadpoolctl import threadpool_limits

            # One BLAS thread, as in a pool worker: multithreaded reductions change the
            # last bits, and a check must give the same numbers whatever --workers is.
            results = []
            with threadpool_limits(limits=1):
                for claim, index in selected:
                    bar.set_postfix_str(claim)
                    results.append(_run_indexed(claim, index, full, out_dir, regularizer))
                    bar.update()
        elif selected:
            results = _run_pool(selected, min(workers, len(selected)), full, out_dir, bar,
                                regularizer)
        else:
            results = []
    finally:
        bar.close()
    if regularizer is not None:
        return _finish_regularizer(regularizer, every, selected, skipped, results, full,
                                   json_file, out_dir)

    print(f"{'ID':<5} {'check':<28} {'verdict':<7} {'sec':>7}  {'claim':<44} evidence")
    for r in results:
        verdict = "PASS" if r.passed else "FAIL"
        print(f"{r.claim:<5} {_check_name(r)[:28]:<28} {verdict:<7} {r.seconds:7.1f}  "
              f"{r.statement[:44]:<44} {_short(r.evidence)}")
    print(summary_line(results))

    payload = _records(results, full)
    if json_file:
        atomic_write_text(json_file, json.dumps(payload, indent=2, default=str))
    if out_dir is not None:
        _report(results, payload, out_dir, full)
    return 0 if all(r.passed for r in results) else 1


def _finish_regularizer(spec, every, selected, skipped, results, full, json_file, out_dir):
    """Table, JSON and report of a run for one regulariser; every selected check appears,
    skipped ones with their ``not applicable`` reason. Exit 0 iff no check whose
    hypotheses hold failed."""
    from logitreg import verify_regularizer as vr

    hyps = vr.hypotheses(spec)
    desc = spec.describe()
    ran = dict(zip(selected, results))
    reg = registry()
    rows = []  # (claim, check name, verdict, result or None)
    for key in every:
        claim, index = key
        fn = reg[claim][index][1]
        if key in ran:
            r = ran[key]
            rows.append((claim, _check_name(r), vr.verdict(claim, r.passed, hyps), r, r.check))
        else:
            where = check_location(fn)
            rows.append((claim, where.rpartition(":")[2], skipped[key], None, where))
    print(f"regulariser {desc['name']}: f(t) = {desc['f']}"
          + (f"; K-class form {desc['multiclass']}" if desc.get("multiclass") else ""))
    for h, p in hyps["binary"].items():
        print(f"  {h}: {p['value']} ({p['how']})")
    print(f"{'ID':<5} {'check':<28} {'sec':>6}  verdict / evidence")
    for claim, name, v, r, _ in rows:
        sec = f"{r.seconds:6.1f}" if r is not None else f"{'-':>6}"
        print(f"{claim:<5} {name[:28]:<28} {sec}  {v[:100]}")
        if r is not None:
            print(f"{'':<42}{_short(r.evidence, 100)}")
    tally = vr.counts(row[2] for row in rows)
    by_claim = vr.claim_verdicts((row[0], row[2]) for row in rows)
    claim_tally = vr.counts(by_claim.values())
    print("claims: " + ", ".join(f"{n} {k}" for k, n in claim_tally.items()))
    print("checks: " + ", ".join(f"{n} {k}" for k, n in tally.items()))
    records = []
    for claim, name, v, r, where in rows:
        info = CATALOGUE.get(claim)
        rec = r.as_dict() if r is not None else {
            "claim": claim, "statement": info.statement if info else "", "evidence": {},
            "tolerance": "-", "passed": None, "seconds": 0.0, "figures": [], "note": "",
            "check": where}
        rec["verdict"] = v
        rec["reference"] = info.reference if info else None
        rec["theory_section"] = info.section if info else None
        records.append(rec)
    payload = {"full": full, "regularizer": dict(desc, hypotheses=hyps), "results": records,
               "summary": dict(tally, checks=len(rows), claims=dict(claim_tally),
                               claim_verdicts=by_claim)}
    if json_file:
        atomic_write_text(json_file, json.dumps(payload, indent=2, default=str))
    if out_dir is not None:
        lines = ["# logitreg verification report for one regulariser", "",
                 f"Mode: {'full (paper sizes)' if full else 'default (reduced sizes)'}", ""]
        lines += vr.report_lines(desc, hyps)
        lines += ["| claim | verdict | statement |", "|---|---|---|"]
        lines += [f"| {c} | {_cell(v)} | {_cell(CATALOGUE[c].statement)} |"
                  for c, v in by_claim.items()]
        lines += ["", "claims: " + ", ".join(f"{n} {k}" for k, n in claim_tally.items()),
                  "checks: " + ", ".join(f"{n} {k}" for k, n in tally.items()), "",
                  "| ID | check | verdict | seconds | tolerance |", "|---|---|---|---|---|"]
        for claim, name, v, r, _ in rows:
            lines.append(f"| {claim} | `{name}` | {_cell(v)} | "
                         f"{f'{r.seconds:.1f}' if r else '-'} | {_cell(r.tolerance if r else '-')} |")
        for claim, name, v, r, _ in rows:
            if r is None:
                continue
            lines += ["", f"## {claim} `{r.check}`: {r.statement}", "", f"Verdict: {_cell(v)}.",
                      f"Tolerance: {r.tolerance}", "", "| evidence | value |", "|---|---|"]
            lines += [f"| {_cell(k)} | {_cell(val)} |" for k, val in r.evidence.items()]
            if r.note:
                lines += ["", r.note]
            lines += [f"![{claim}]({Path(fig).name})" for fig in r.figures]
        atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")
        atomic_write_text(out_dir / "results.json", json.dumps(payload, indent=2, default=str))
    return 1 if tally["failed"] else 0
