"""Fuzzing the command line.

Any argument vector gives exit code 0 or 2 (user error: one line naming the bad value,
no traceback); files are written atomically, so an error or an interrupt leaves no
partial or temporary file behind.
"""

import contextlib
import io
import os

import pytest
from hypothesis import given, strategies as st

from core import files as _io
from logitreg.cli import main

WORDS = ["list", "derive", "export", "verify", "quadratic", "label_smoothing", "maxsup",
         "custom", "nonsense", "--alpha", "0.2", "1.5", "-0.1", "nan", "inf", "abc",
         "--classes", "1", "3", "2.5", "--f", "t**4", "sin(t)", "__import__('os')", "--json",
         "--to", "c", "latex", "cobol", "--multiclass", "sum(z**4)", "z[0]", "--claims",
         "ZZ9", "B2,,", "--full", "--bogus", "-o", "/nonexistent/dir/file.c", "", " ", "é"]


def _run(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse-level errors exit directly
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _run_captured(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@given(st.lists(st.sampled_from(WORDS), max_size=6))
def test_any_argv_exits_cleanly(argv):
    # verify with a valid claim list would run real checks; the fuzz keeps to bad IDs.
    if "verify" in argv and "--claims" not in argv:
        argv = argv + ["--claims", "ZZ9"]
    code, out, err = _run_captured(argv)
    assert code in (0, 2), (argv, code, err)
    assert "Traceback" not in err
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("logitreg"), (argv, err)


@pytest.mark.parametrize("argv, named", [
    (["derive", "quadratic", "--alpha", "1.5"], "1.5"),
    (["derive", "quadratic", "--classes", "1"], "'1'"),
    (["derive", "nonsense"], "nonsense"),
    (["derive", "custom", "--f", "sin(t)"], "sin(t)"),
    (["derive", "custom", "--f=-t**2", "--alpha", "0.2"], "unbounded below"),
    (["export", "quadratic", "--to", "cobol"], "cobol"),
    (["verify", "--claims", "ZZ9"], "ZZ9"),
])
def test_user_errors_name_the_bad_value(capsys, argv, named):
    code, _, err = _run(capsys, argv)
    assert code == 2 and named in err and len(err.strip().splitlines()) == 1


def test_export_error_leaves_no_file(tmp_path, capsys):
    target = tmp_path / "out.c"
    code, _, _ = _run(capsys, ["export", "quadratic", "--to", "cobol", "-o", str(target)])
    assert code == 2 and list(tmp_path.iterdir()) == []


def test_interrupted_write_keeps_old_file(tmp_path, capsys, monkeypatch):
    # An interrupt between writing and renaming: the old file stays whole, no temp file.
    target = tmp_path / "out.c"
    target.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(_io.os, "replace", interrupted)
    code, _, err = _run(capsys, ["export", "quadratic", "--to", "c", "-o", str(target)])
    assert code == 130 and "interrupted" in err
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.c"]


def test_unwritable_directory(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):  # running as root: permissions do not apply
            pytest.skip("directory permissions are not enforced for this user")
        code, _, err = _run(capsys, ["export", "quadratic", "--to", "c", "-o",
                                     str(locked / "x.c")])
        assert code == 2 and "x.c" in err
    finally:
        os.chmod(locked, 0o700)
