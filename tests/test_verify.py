"""``logitreg verify``: worker processes change the wall time, never the results."""

import json

import pytest

from logitreg.cli import main
from logitreg.verify import run_verify
from theory import InvalidParameterError

#: cheap, deterministic checks (symbolic / 50-digit), a few seconds together
CLAIMS = ["B5", "B2"]


def test_two_workers_give_the_same_results_in_the_same_order(tmp_path, capsys):
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert run_verify(CLAIMS, json_file=one, workers=1) == 0
    assert run_verify(CLAIMS, json_file=two, workers=2) == 0
    a, b = (json.loads(p.read_text())["results"] for p in (one, two))
    assert [r["claim"] for r in b] == CLAIMS  # selection order, not completion order
    for ra, rb in zip(a, b):
        assert ra["passed"] == rb["passed"]
        assert ra["evidence"] == rb["evidence"]  # explicit seeds: bit-identical evidence
    assert "2 passed, 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_worker_counts_are_refused(bad):
    with pytest.raises(InvalidParameterError, match="workers"):
        run_verify(CLAIMS, workers=bad)


def test_cli_workers_flag_names_the_bad_value(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--claims", "B5", "--workers", "zero"])
    assert exc.value.code == 2
    assert "'zero'" in capsys.readouterr().err


def _result(claim, passed):
    from core.claims import CheckResult

    return CheckResult(claim, "s", {}, "-", passed)


@pytest.mark.parametrize("verdicts, line", [
    ([("D1", True), ("B5", True), ("B4", True), ("B4", True)],
     "3 claims: 3 passed, 0 failed (4 checks)"),
    ([("B4", True), ("B4", False), ("B5", True)],
     "2 claims: 1 passed, 1 failed (3 checks, 1 failed)"),
    ([("B5", True)], "1 claim: 1 passed, 0 failed (1 check)"),
])
def test_summary_counts_claims_and_checks(verdicts, line):
    from logitreg.verify import summary_line

    assert summary_line([_result(c, p) for c, p in verdicts]) == line


def test_a_claim_with_two_checks_counts_once_and_lists_both(tmp_path, capsys):
    out_json, report = tmp_path / "r.json", tmp_path / "report"
    assert main(["verify", "--claims", "B13,B5", "--workers", "1", "--json", str(out_json),
                 "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "2 claims: 2 passed, 0 failed (3 checks)" in out
    rows = [line for line in out.splitlines() if line.startswith("B13 ")]
    assert len(rows) == 2
    assert sorted(row.split()[1] for row in rows) == ["check_b13", "check_b13_numeric"]
    payload = json.loads(out_json.read_text())
    assert payload["summary"] == {"claims": 2, "claims_passed": 2, "checks": 3,
                                  "checks_passed": 3,
                                  "claim_verdicts": {"B13": True, "B5": True}}
    for rec in payload["results"]:  # the old fields stay, new ones are added
        assert {"claim", "statement", "evidence", "tolerance", "passed", "seconds",
                "figures", "note"} <= rec.keys()
        assert rec["check"].count(":") == 1 and rec["theory_section"] == "docs/theory.md §2"
    assert payload["results"][2]["reference"] == "App. C.4"
    text = (report / "report.md").read_text()
    assert "App. C.4" in text and "App. E.4, Fig. 18" in text and "docs/theory.md §2" in text
    assert "proofs_check.fisher:check_b5" in text
    import re

    for table in text.split("\n\n"):  # every row of a table has its header's cells
        rows = [ln for ln in table.splitlines() if ln.startswith("|")]
        widths = {len(re.findall(r"(?<!\\)\|", ln)) for ln in rows}
        assert len(widths) <= 1, table


def test_list_prints_statement_reference_section_and_check_locations(capsys):
    from core.claims import CATALOGUE, check_location
    from logitreg.collect import registry

    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    for cid, info in CATALOGUE.items():
        assert f"{cid:<4} {info.statement}" in out
        assert f"paper:  {info.reference}" in out
        for _, fn in registry()[cid]:
            assert f"check:  {check_location(fn)}" in out
    assert "theory: docs/theory.md §7" in out
    assert main(["verify", "--list", "--claims", "B4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("B4 ") and "Cor. 3.3" in out and "B5" not in out
    assert "numerics.claims.population_check:check_b4_population" in out
    assert "proofs_check.fisher:check_b4" in out


def test_list_refuses_run_options(capsys):
    assert main(["verify", "--list", "--full"]) == 2
    assert "--full" in capsys.readouterr().err
