"""Every file the project writes honours the umask, like ``open(path, "w")``: mode
``0o666 & ~umask`` (0644 under umask 022, 0600 under 077), although it is written
atomically through a temporary file (which ``tempfile.mkstemp`` creates 0600)."""

import os
import stat

import pytest

from core import files
from logitreg.cli import main

UMASKS = [0o022, 0o077, 0o002]


@pytest.fixture(params=UMASKS, ids=lambda m: f"umask{m:03o}")
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _run(*argv):
    try:
        return main(list(argv))
    except SystemExit as exc:
        return exc.code


def test_current_umask_is_read_without_changing_it(umask):
    assert files.current_umask() == umask
    assert files.current_umask() == umask  # reading did not change it
    assert files.default_file_mode() == 0o666 & ~umask


def test_atomic_write_gives_the_mode_open_gives(tmp_path, umask):
    ours, plain = tmp_path / "ours.txt", tmp_path / "plain.txt"
    files.atomic_write_text(ours, "x")
    with open(plain, "w") as handle:
        handle.write("x")
    assert _mode(ours) == _mode(plain) == 0o666 & ~umask
    files.atomic_write_bytes(ours, b"replaced", fsync=False)  # replacing: same rule
    assert _mode(ours) == 0o666 & ~umask and ours.read_bytes() == b"replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.txt", "plain.txt"]


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600)])
def test_cli_outputs(tmp_path, capsys, mask, expected):
    old = os.umask(mask)
    try:
        fig = tmp_path / "fig.png"
        assert _run("figure", "11", "--size", "test", "-o", str(fig)) == 0
        report = tmp_path / "report"
        assert _run("verify", "--claims", "B5", "--workers", "1", "--report", str(report),
                    "--json", str(tmp_path / "verify.json")) == 0
        assert _run("export", "label_smoothing", "--to", "c", "-o",
                    str(tmp_path / "ls.c")) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    written = [fig, fig.with_suffix(".svg"), fig.with_suffix(".json"),
               report / "report.md", report / "results.json", tmp_path / "verify.json",
               tmp_path / "ls.c"]
    assert {p.name: oct(_mode(p)) for p in written} == {p.name: oct(expected) for p in written}


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600)])
def test_sweep_exports(tmp_path, mask, expected):
    pytest.importorskip("pyarrow")
    from numerics.sweep import export_csv, export_parquet, run_sweep

    db = tmp_path / "s.sqlite"
    spec = {"name": "modes", "experiment": "accuracy",
            "grid": {"n": 20, "d": 10, "solver": "weight_decay", "alpha": 0.0}}
    run_sweep(spec, db, workers=1, progress=False)
    old = os.umask(mask)
    try:
        assert export_csv(db, tmp_path / "s.csv") == 1
        assert export_parquet(db, tmp_path / "s.parquet") == 1
    finally:
        os.umask(old)
    assert _mode(tmp_path / "s.csv") == _mode(tmp_path / "s.parquet") == expected


def test_derivation_cache_entries(tmp_path, monkeypatch, umask):
    import theory

    monkeypatch.setenv("LOGITREG_CACHE_DIR", str(tmp_path))
    theory.derive_binary.__wrapped__("quadratic")  # past the in-memory cache, to disk
    (entry,) = tmp_path.rglob("*.pkl")
    assert _mode(entry) == 0o666 & ~umask
