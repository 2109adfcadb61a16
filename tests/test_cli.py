"""The ``logitreg`` CLI: derive JSON acceptance, exit codes, one-line errors."""

import json
import subprocess
import sys

import pytest

from logitreg.cli import main
from numerics.claims.targets import mp_minimise_loss
from theory import list_regularizers

REQUIRED = {"name", "alpha", "classes", "f", "loss", "stationarity", "alpha_of_target",
            "target", "target_closed_form", "curvature", "convex", "even", "finite_minimum"}


def _run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse-level errors exit directly
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", list_regularizers())
@pytest.mark.parametrize("alpha", [0.2, 0.45, 0.7])
def test_derive_json_target_is_true_minimiser(capsys, name, alpha):
    code, out, _ = _run(capsys, "derive", name, "--alpha", str(alpha), "--json")
    assert code == 0
    rec = json.loads(out)
    assert REQUIRED <= rec.keys()
    for key in ("convex", "even", "finite_minimum"):
        assert set(rec[key]) >= {"value", "how"} and isinstance(rec[key]["value"], bool)
    ref = float(mp_minimise_loss(name, alpha))
    # the acceptance line: within 1e-12 of the true minimiser (absolute for pinned t*=0)
    assert abs(rec["target"] - ref) <= 1e-12 * max(1.0, abs(ref))


@pytest.mark.parametrize("k", [3, 10])
def test_derive_json_multiclass_keys(capsys, k):
    code, out, _ = _run(capsys, "derive", "label_smoothing", "--alpha", "0.1", "--classes",
                        str(k), "--json")
    rec = json.loads(out)
    assert code == 0 and {"q_high", "q_low", "gap"} <= rec.keys()
    assert abs(rec["q_high"] - rec["q_low"] - rec["gap"]) < 1e-14
    import math
    assert abs(rec["gap"] - math.log1p(k * 0.9 / 0.1)) < 1e-13


def test_derive_without_alpha_has_null_target(capsys):
    code, out, _ = _run(capsys, "derive", "quadratic", "--json")
    assert code == 0 and json.loads(out)["target"] is None


def test_derive_custom(capsys):
    code, out, _ = _run(capsys, "derive", "custom", "--f", "t**4", "--alpha", "0.3", "--json")
    rec = json.loads(out)
    assert code == 0 and rec["convex"]["value"] is True and rec["target"] > 0


@pytest.mark.parametrize("argv,needle", [
    (["derive", "nope"], "'nope'"),
    (["derive", "quadratic", "--alpha", "1.0"], "'1.0'"),
    (["derive", "quadratic", "--alpha", "-0.1"], "'-0.1'"),
    (["derive", "quadratic", "--alpha", "abc"], "'abc'"),
    (["derive", "quadratic", "--classes", "1"], "'1'"),
    (["derive", "custom", "--f", "__import__('os').system('true')"], "__import__"),
    (["derive", "custom", "--f", "t.__class__"], "t.__class__"),
    (["derive", "custom", "--f", "t**3"], "not even"),
    (["derive", "custom", "--f", "t +* 2"], "cannot parse"),
    (["derive", "custom"], "--f"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
    assert "Traceback" not in err


def test_console_entry_point_runs_as_module():
    proc = subprocess.run([sys.executable, "-m", "logitreg", "list"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0
    assert set(list_regularizers()) <= {line.split()[0] for line in proc.stdout.splitlines()}


def test_export_to_missing_directory_names_the_path_and_writes_nothing(capsys, tmp_path):
    target = tmp_path / "missing" / "ls.c"
    code, _, err = _run(capsys, "export", "label_smoothing", "--to", "c", "-o", str(target))
    assert code == 2 and str(target) in err and len(err.strip().splitlines()) == 1
    assert not target.parent.exists()


def test_export_writes_complete_file_atomically(capsys, tmp_path):
    target = tmp_path / "ls.c"
    code, _, _ = _run(capsys, "export", "label_smoothing", "--to", "c", "-o", str(target))
    assert code == 0 and "label_smoothing_target" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["ls.c"]  # no temporary left behind


def test_version(capsys):
    from core.version import __version__

    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"logitreg {__version__}"


def test_derive_at_alpha_zero_says_there_is_no_target(capsys):
    code, out, err = _run(capsys, "derive", "quadratic", "--alpha", "0")
    assert code == 0, err
    (line,) = [ln for ln in out.splitlines() if ln.startswith("target t*")]
    assert "none" in line and "cross-entropy alone" in line and "monoton" in line
    assert "None" not in out and "curvature" not in out  # no target, so no l''(t*)
    code, out, _ = _run(capsys, "derive", "quadratic", "--alpha", "0", "--json")
    rec = json.loads(out)
    assert code == 0 and rec["target"] is None and rec["curvature"] is None
    assert "cross-entropy alone" in rec["target_note"]


@pytest.mark.parametrize("argv", [
    ["derive", "custom", "--f", "-t**2", "--alpha", "0.2"],
    ["derive", "custom", "--f=-t**2", "--alpha", "0.2"],
    ["derive", "custom", "--alpha", "0.2", "--f", "-t**4 + t**2"],
])
def test_concave_f_fails_the_hypotheses_with_one_line(capsys, argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "fails the hypotheses" in line and "not convex" in line
    assert "unbounded below" in line and "Traceback" not in err


def test_expression_options_accept_a_leading_minus(capsys):
    # argparse alone reads "-t**2" as an unknown option.
    code, out, err = _run(capsys, "derive", "custom", "--f", "-t**2")
    assert code == 0, err
    assert "f(t)             -t**2" in out
    assert "hypotheses of the theory fail" in out and "convex           False" in out
    code, out, err = _run(capsys, "derive", "custom", "--f", "-(-t**2)",
                          "--multiclass", "-(-sum(z**2))", "--alpha", "0.3", "--classes",
                          "3", "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["f"] == "t**2" and rec["q_high"] > 0
    code, out, err = _run(capsys, "export", "custom", "--f", "-(-t**2)", "--to", "json")
    assert code == 0 and json.loads(out)["f"]["str"] == "t**2"
    # an option where the value should be is still a missing value
    code, _, err = _run(capsys, "derive", "custom", "--f", "--json")
    assert code == 2 and "--f" in err and "expected one argument" in err
