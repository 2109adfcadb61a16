"""``logitreg verify --estimate`` (logitreg/verify_estimate.py): recorded timings and the
LPT makespan; expected values worked out by hand."""

import json

from logitreg.verify_estimate import estimate_table, makespan, recorded_seconds


def test_makespan_lpt_by_hand():
    # LPT on 2 machines: 7 -> A, 5 -> B, 4 -> B (9), 3 -> A (10), 2 -> B (11): makespan 11.
    assert makespan([3, 7, 2, 5, 4], 2) == 11
    assert makespan([3, 7, 2], 1) == 12
    assert makespan([], 2) == 0.0


def _record(path, full, rows):
    path.write_text(json.dumps({"full": full, "results": [
        {"claim": c, "statement": s, "seconds": t} for c, s, t in rows]}))


def test_recorded_seconds_sums_checks_and_respects_mode(tmp_path):
    _record(tmp_path / "a.json", True, [("B8", "x", 100.0), ("B8", "y", 20.0), ("M7", "z", 5.0)])
    _record(tmp_path / "b.json", False, [("B8", "x", 1.0)])
    _record(tmp_path / "c.json", True, [("M7", "z", 7.0)])  # later file wins
    assert recorded_seconds([tmp_path], full=True) == {"B8": 120.0, "M7": 7.0}
    assert recorded_seconds([tmp_path], full=False) == {"B8": 1.0}


def test_estimate_table_lists_missing_claims(tmp_path):
    _record(tmp_path / "a.json", True, [("B8", "x", 600.0), ("M7", "z", 1200.0)])
    text = estimate_table(["B8", "M7", "A1"], full=True, workers=2, paths=(tmp_path,))
    assert "A1" in text and "no record" in text
    assert "recorded claims: 2/3" in text
    assert "on 2 worker(s) >= 20.0 min" in text  # max(600, 1200) s


def test_cli_estimate_runs_nothing(tmp_path, capsys):
    from logitreg.cli import main

    _record(tmp_path / "a.json", False, [("B7", "x", 6.5)])
    assert main(["verify", "--estimate", "--claims", "B7", "--timings", str(tmp_path)]) == 0
    assert "B7" in capsys.readouterr().out
