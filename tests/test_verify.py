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
