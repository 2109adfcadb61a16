"""The sweep engine: kill -9 and resume, determinism, failures, database safety,
concurrent writers, spec validation, CLI exit codes, exports."""

import json
import math
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from logitreg.cli import main
from numerics.sweep import (Param, SweepSpec, describe, export_csv, export_parquet, load_spec,
                            open_store, register_experiment, run_sweep)
from numerics.sweep.experiments import REQUIRED
from numerics.sweep.store import APPLICATION_ID
from core.errors import InvalidParameterError, InvalidTypeError

ROOT = Path(__file__).resolve().parents[1]


@register_experiment("tests.test_sweep:slow_point",
                     params=(Param("x", "int", REQUIRED, draw=True),
                             Param("delay", "float", 0.0, lower=0.0)),
                     outputs=("value",), family="test")
def slow_point(config, draw_seed, outputs):
    """A point that takes ``delay`` seconds (timing independent of machine load) and
    returns a value drawn from its own seed."""
    time.sleep(config["delay"])
    return {"value": config["x"] + float(np.random.default_rng(draw_seed).normal())}


@register_experiment("tests.test_sweep:crash_point",
                     params=(Param("x", "int", REQUIRED, draw=True),), outputs=("value",),
                     family="test")
def crash_point(config, draw_seed, outputs):
    """Kills its worker process at x = 3 (like a segfault or the OOM killer would)."""
    if config["x"] == 3:
        os._exit(1)
    time.sleep(0.02)
    return {"value": config["x"]}


def _slow_spec(n=30, delay=0.05, seeds=2):
    return {"name": "slow", "experiment": "tests.test_sweep:slow_point", "seeds": seeds,
            "grid": {"x": {"range": [0, n, 1]}, "delay": delay}}


#: Tiny real experiments: B10 points (alpha=0 is max-margin) and solver accuracies,
#: including newton at alpha=0 on separable data (N < d), which must fail.
REAL = {"name": "real", "experiment": "benefit", "seeds": 2,
        "outputs": ["accuracy", "accuracy_unregularised", "alignment"],
        "grid": {"n": 40, "lam": 0.7, "sigma_f": [0.5], "sigma_n": [0.3, 1.0, 3.0],
                 "alpha": [0.0, 0.4]}}
FAILING = {"name": "failing", "experiment": "accuracy", "seeds": 2,
           "grid": {"n": 20, "d": 30, "solver": ["newton", "weight_decay"], "alpha": 0.0}}


def _results(db):
    with open_store(db, create=False) as store:
        return {r["key"]: (r["status"], r["result"], r["error"] and r["error"].split(" (at")[0])
                for r in store.rows()}


# ------------------------------------------------------------------ kill -9 and resume
def test_sigkill_midway_then_resume_gives_every_point_once_equal_to_uninterrupted(tmp_path):
    spec_file = tmp_path / "slow.toml"
    spec_file.write_text(
        'name = "slow"\nexperiment = "tests.test_sweep:slow_point"\nseeds = 2\n'
        '[grid]\nx = {range = [0, 30, 1]}\ndelay = 0.1\n')
    db = tmp_path / "killed.sqlite"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "logitreg", "sweep", str(spec_file), "--workers", "2",
         "--out", str(db), "--no-progress"], cwd=tmp_path, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    done_at_kill = 0
    try:
        while time.monotonic() < deadline:
            if db.exists():
                try:
                    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                    done_at_kill = con.execute("SELECT COUNT(*) FROM points").fetchone()[0]
                    con.close()
                except sqlite3.OperationalError:  # schema not created yet
                    pass
            if done_at_kill >= 8 or proc.poll() is not None:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # what `kill -9 PID` does
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # reap orphaned pool workers
        except ProcessLookupError:
            pass
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    with open_store(db, create=False) as store:  # intact: opens, passes quick_check
        after_kill = store.count()
        runs = store.runs()
    assert 8 <= after_kill < 60  # really midway
    assert runs[0]["status"] == "running"  # the killed run never finished
    report = run_sweep(spec_file, db, workers=2, resume=True, progress=False)
    assert (report.skipped, report.computed, report.failed) == (after_kill, 60 - after_kill, 0)
    ref = tmp_path / "ref.sqlite"
    run_sweep(spec_file, ref, workers=1, progress=False)
    resumed, reference = _results(db), _results(ref)
    assert len(resumed) == 60 and resumed == reference
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM points").fetchone() == (60, 60)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


# ------------------------------------------------------------------ determinism
def test_results_do_not_depend_on_worker_count_or_order(tmp_path):
    one = run_sweep(REAL, tmp_path / "one.sqlite", workers=1, progress=False)
    assert one.failed == 0
    run_sweep(REAL, tmp_path / "two.sqlite", workers=2, progress=False)
    # Another order: the second half of the grid first, then resume the whole.
    spec = SweepSpec.from_dict(REAL)
    half = dict(REAL, grid=dict(REAL["grid"], sigma_n=[3.0, 1.0]))
    run_sweep(half, tmp_path / "order.sqlite", workers=2, progress=False)
    run_sweep(spec, tmp_path / "order.sqlite", workers=1, resume=True, progress=False)
    a, b, c = (_results(tmp_path / f) for f in ("one.sqlite", "two.sqlite", "order.sqlite"))
    assert len(a) == spec.size == 12
    assert a == b == c  # bit-identical floats


def test_benefit_points_show_b9_invariance_and_b10_contrast(tmp_path):
    """Independent check of what the points measure: with the draw shared across sigma_n
    (common random numbers), the alpha>0 minimiser is sigma_n-equivariant (Prop. 6.1), so
    its Gaussian accuracy is the same at every sigma_n; the max-margin one is not."""
    run_sweep(REAL, tmp_path / "b.sqlite", progress=False)
    with open_store(tmp_path / "b.sqlite", create=False) as store:
        rows = store.rows()
    for seed in (0, 1):
        reg = [r["result"]["accuracy"] for r in rows
               if r["seed"] == seed and r["config"]["alpha"] == 0.4]
        mm = [r["result"]["accuracy"] for r in rows
              if r["seed"] == seed and r["config"]["alpha"] == 0.0]
        unreg = [r["result"]["accuracy_unregularised"] for r in rows
                 if r["seed"] == seed and r["config"]["alpha"] == 0.4]
        # Newton stops at |grad| <= 1e-10: predictions agree to ~1e-9 relative.
        assert max(reg) - min(reg) < 1e-8
        assert max(mm) - min(mm) > 1e-3  # max-margin moves with sigma_n
        assert sorted(mm) == sorted(unreg)  # alpha=0 accuracy IS the unregularised one


def test_threshold_points_follow_prop_5_1(tmp_path):
    """B7: the regularised minimiser is perfect iff N >= d (exact step)."""
    spec = {"experiment": "threshold", "seeds": 3,
            "grid": {"d": 12, "ratio": [0.5, 0.9, 1.0, 1.5], "alpha": 0.2}}
    run_sweep(spec, tmp_path / "t.sqlite", progress=False)
    with open_store(tmp_path / "t.sqlite", create=False) as store:
        rows = store.rows()
    assert len(rows) == 12
    for r in rows:
        assert r["result"]["perfect"] == int(r["config"]["n"] >= r["config"]["d"]), r


# ------------------------------------------------------------------ failures
def test_failing_points_are_recorded_and_do_not_stop_the_sweep(tmp_path):
    db = tmp_path / "f.sqlite"
    report = run_sweep(FAILING, db, workers=2, progress=False)
    assert (report.computed, report.failed) == (4, 2)
    with open_store(db, create=False) as store:
        rows = store.rows()
    for r in rows:
        if r["config"]["solver"] == "newton":  # alpha=0 on separable data: no minimiser
            assert r["status"] == "error" and r["error"].startswith("ConvergenceError")
            assert r["result"] is None
        else:
            assert r["status"] == "ok" and 0.5 < r["result"]["accuracy"] <= 1.0
    # --resume retries failed points only (they fail again, deterministically).
    again = run_sweep(FAILING, db, workers=1, resume=True, progress=False)
    assert (again.skipped, again.computed, again.failed) == (2, 2, 2)
    assert "failed [" in describe(db) and "ConvergenceError" in describe(db)


def test_a_worker_crash_fails_only_the_point_that_caused_it(tmp_path):
    spec = {"experiment": "tests.test_sweep:crash_point", "grid": {"x": {"range": [0, 12, 1]}}}
    report = run_sweep(spec, tmp_path / "c.sqlite", workers=2, progress=False)
    assert (report.computed, report.failed) == (12, 1)
    with open_store(tmp_path / "c.sqlite", create=False) as store:
        rows = {r["config"]["x"]: r for r in store.rows()}
    assert rows[3]["status"] == "error" and "worker process died" in rows[3]["error"]
    assert all(rows[x]["status"] == "ok" and rows[x]["result"] == {"value": x}
               for x in range(12) if x != 3)


# ------------------------------------------------------------------ database safety
def _small_db(path, n=40):
    run_sweep(_slow_spec(n=n, delay=0.0, seeds=5), path, progress=False)
    return path


def test_foreign_and_corrupted_files_are_refused(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, not a database\n" * 20)
    with pytest.raises(InvalidParameterError, match="not an SQLite file"):
        open_store(text)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(InvalidParameterError, match="not created by logitreg sweep"):
        run_sweep(_slow_spec(), other, resume=True, progress=False)
    assert other.read_bytes() == before  # refused before writing (no WAL switch either)
    app = tmp_path / "app.sqlite"
    con = sqlite3.connect(app)
    con.execute("PRAGMA application_id = 1234")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(InvalidParameterError, match="another application"):
        open_store(app)
    newer = _small_db(tmp_path / "newer.sqlite", n=3)
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(InvalidParameterError, match="schema version 99"):
        open_store(newer)
    # Corrupted: garbage over the B-tree pages of a real sweep database.
    bad = _small_db(tmp_path / "bad.sqlite", n=60)
    data = bytearray(bad.read_bytes())
    assert len(data) >= 4 * 4096 and int.from_bytes(data[68:72], "big") == APPLICATION_ID
    rng = np.random.default_rng(0)
    data[4096:len(data) - 100] = rng.integers(0, 256, len(data) - 4196, dtype=np.uint8).tobytes()
    bad.write_bytes(bytes(data))
    with pytest.raises(InvalidParameterError, match="corrupted"):
        open_store(bad)
    short = _small_db(tmp_path / "short.sqlite", n=60)
    short.write_bytes(short.read_bytes()[:3 * 4096 + 17])
    with pytest.raises(InvalidParameterError, match="corrupted"):
        open_store(short)


def _concurrent_writer(db, spec, queue):
    try:
        report = run_sweep(spec, db, workers=1, resume=True, progress=False)
        queue.put(("ok", report.computed))
    except BaseException as exc:  # report to the parent instead of dying silently
        queue.put(("error", repr(exc)))


def test_concurrent_runs_on_one_database_do_not_corrupt_it(tmp_path):
    db = tmp_path / "shared.sqlite"
    spec = _slow_spec(n=30, delay=0.01, seeds=1)
    # forkserver: this process may have run clarabel, whose thread pool makes fork unsafe.
    ctx = multiprocessing.get_context("forkserver")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_concurrent_writer, args=(db, spec, queue)) for _ in range(3)]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(status == "ok" for status, _ in outcomes), outcomes
    assert sum(n for _, n in outcomes) >= 30  # each point by at least one writer
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM points "
                       "WHERE status = 'ok'").fetchone() == (30, 30)
    assert con.execute("SELECT COUNT(*) FROM runs WHERE status = 'finished'").fetchone() == (3,)
    con.close()
    ref = tmp_path / "ref.sqlite"
    run_sweep(spec, ref, progress=False)
    assert _results(db) == _results(ref)


# ------------------------------------------------------------------ spec validation
@pytest.mark.parametrize("change, bad", [
    ({"grid": {"n": 20, "d": 10, "sigma_n": [1.0, -1.0]}}, "-1.0"),
    ({"grid": {"n": 20, "d": 10, "alpha": 1.5}}, "1.5"),
    ({"grid": {"n": 20, "d": 10, "sigma": 1.0}}, "'sigma'"),
    ({"grid": {"n": 20, "d": 10, "regularizer": "nope"}}, "'nope'"),
    ({"grid": {"n": 20, "d": 10, "solver": "sgd"}}, "'sgd'"),
    ({"grid": {"n": 20, "d": 10, "sigma_n": {"linspace": [0.1, 1.0, 0]}}}, "num=0"),
    ({"grid": {"n": 20, "d": 10, "sigma_n": {"geomspace": [0.0, 1.0, 3]}}}, "geomspace"),
    ({"grid": {"n": 20, "d": 10, "sigma_n": {"logspace": [0, 1, 3]}}}, "'logspace'"),
    ({"grid": {"n": 20, "d": 10, "sigma_n": [1.0, 1.0]}}, "1.0"),
    ({"grid": {"n": 20, "d": 10, "lam": 0.5}}, "lam=0.5"),
    ({"grid": {"n": 20, "lam": -0.5}}, "lam=-0.5"),
    ({"grid": {"n": 20}}, "'d'"),
    ({"seeds": 0}, "seeds=0"),
    ({"seeds": [1, 1]}, "seeds=[1, 1]"),
    ({"outputs": ["speed"]}, "'speed'"),
    ({"experiment": "nope"}, "'nope'"),
    ({"colour": "red"}, "'colour'"),
])
def test_bad_spec_values_raise_our_errors_naming_the_value(change, bad):
    data = {"experiment": "accuracy", "grid": {"n": 20, "d": 10}}
    data.update(change)
    with pytest.raises(InvalidParameterError) as info:
        SweepSpec.from_dict(data)
    assert bad in str(info.value)


def test_bad_spec_types_raise_type_errors():
    with pytest.raises(InvalidTypeError, match=r"'n' parameter of sweep spec .* Got 2\.5 instead"):
        SweepSpec.from_dict({"experiment": "accuracy", "grid": {"n": 2.5, "d": 10}})
    with pytest.raises(InvalidParameterError, match="alpha=0.0"):  # cross-parameter check
        SweepSpec.from_dict({"experiment": "threshold", "grid": {"n": 20, "d": 10,
                                                                 "alpha": [0.2, 0.0]}})


def test_example_specs_load_with_the_documented_sizes():
    b10 = load_spec(ROOT / "sweeps" / "b10_phase_diagram.toml")
    assert b10.size == 25 * 4 * 2 * 3 == len(b10.points())
    grid = dict(b10.axes)
    assert (grid["n"], grid["d"]) == ([2000], [1400])
    assert grid["sigma_n"][0] == 0.1 and grid["sigma_n"][-1] == 6.0
    assert all(math.isclose(b / a, (6.0 / 0.1) ** (1 / 24), rel_tol=1e-9)
               for a, b in zip(grid["sigma_n"], grid["sigma_n"][1:]))
    small = load_spec(ROOT / "sweeps" / "small_example.toml")
    assert {p.config["d"] for p in small.points()} == {70}


# ------------------------------------------------------------------ CLI and exports
def _cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_run_resume_show_export_and_exit_codes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "tiny.toml"
    spec.write_text('experiment = "benefit"\nseeds = 1\noutputs = ["accuracy"]\n'
                    '[grid]\nn = 30\nd = 20\nsigma_n = [0.5, 2.0]\nalpha = [0.0, 0.4]\n')
    code, out, _ = _cli(capsys, "sweep", str(spec), "--workers", "1")
    assert code == 0 and "4 computed, 0 failed" in out
    assert (tmp_path / "tiny.sqlite").exists()  # default --out: spec stem
    code, _, err = _cli(capsys, "sweep", str(spec), "--workers", "1")
    assert code == 2 and err.count("\n") == 1 and "--resume" in err
    assert err.startswith("logitreg: error: ")
    code, out, _ = _cli(capsys, "sweep", str(spec), "--resume", "--workers", "2")
    assert code == 0 and "4 already done, 0 computed" in out
    code, out, _ = _cli(capsys, "sweep", "show", "tiny.sqlite")
    assert code == 0 and "points: 4 (4 ok, 0 failed)" in out and "mean accuracy" in out
    code, _, _ = _cli(capsys, "sweep", "export", "tiny.sqlite", "--to", "csv", "-o", "t.csv")
    assert code == 0
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert len(lines) == 5 and lines[0].startswith("key,experiment,status,seed,n,d,mu_f,sigma_f,sigma_n,alpha,regularizer,accuracy,error")
    failing = tmp_path / "failing.toml"
    failing.write_text('experiment = "accuracy"\n[grid]\nn = 10\nd = 20\nalpha = 0.0\n')
    code, out, _ = _cli(capsys, "sweep", str(failing), "--workers", "1")
    assert code == 1 and "1 point(s) failed" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('experiment = "benefit"\n[grid]\nn = 30\nd = 20\nsigma_n = -2.0\n')
    for argv, needle in [
        ((str(bad),), "must be a finite float > 0.0. Got -2.0 instead."),
        ((str(tmp_path / "missing.toml"),), "does not exist"),
        (("show", "nothing.sqlite"), "does not exist"),
        (("show", str(spec)), "not an SQLite file"),
        (("export", "tiny.sqlite", "--to", "csv"), "-o FILE"),
        (("show", "tiny.sqlite", "--resume"), "--resume"),
        ((str(spec), "--to", "csv"), "--to"),
        ((str(spec), "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"), "--workers"),
    ]:
        code, _, err = _cli(capsys, "sweep", *argv)
        assert code == 2 and err.count("\n") == 1 and needle in err, (argv, err)
    code, _, err = _cli(capsys, "sweep", str(spec), "--workers", "0")
    assert code == 2 and "workers must be >= 1" in err


def test_csv_and_parquet_exports_agree_with_the_database(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    db = tmp_path / "e.sqlite"
    run_sweep(FAILING, db, progress=False)
    assert export_csv(db, tmp_path / "e.csv") == 4
    assert export_parquet(db, tmp_path / "e.parquet") == 4
    table = pq.read_table(tmp_path / "e.parquet").to_pylist()
    import csv
    with open(tmp_path / "e.csv") as handle:
        rows = list(csv.DictReader(handle))
    stored = {r["key"]: r for r in open_store(db, create=False).rows()}
    for rec, row in zip(table, rows):
        assert rec["key"] == row["key"]
        src = stored[rec["key"]]
        assert rec["status"] == src["status"] and rec["n"] == 20 and rec["solver"] in (
            "newton", "weight_decay")
        if src["status"] == "ok":
            # exact float round trip in both formats
            assert rec["accuracy"] == src["result"]["accuracy"] == float(row["accuracy"])
        else:
            assert rec["accuracy"] is None and row["accuracy"] == ""
            assert rec["error"].startswith("ConvergenceError")
    assert json.loads(open_store(db, create=False).runs()[0]["spec"])["name"] == "failing"


def test_claim_experiments_default_to_the_claims_settings():
    """The benefit/threshold experiments' defaults are typed as literals (a cheap import);
    they must be claim B10's and B7's."""
    from numerics.claims import benefit, threshold
    from numerics.sweep import get_experiment

    ben, thr = get_experiment("benefit"), get_experiment("threshold")
    assert ben.param("alpha").default == benefit.ALPHA
    assert ben.param("regularizer").default == benefit.REGULARIZER
    assert ben.param("mu_f").default == benefit.MODEL["mu_f"]
    assert ben.outputs == benefit.OUTPUTS
    assert thr.param("alpha").default == threshold.ALPHA
    assert thr.param("gamma").default == threshold.GAMMA
    assert thr.param("regularizer").default == threshold.REGULARIZER
    assert {k: thr.param(k).default for k in threshold.MODEL} == threshold.MODEL


# --- user regularisers in specs: regularizer = {f = "EXPR"[, multiclass = "EXPR"]} -----

def test_regularizer_tables_are_parsed_canonical_and_keyed_by_the_expression():
    grid = {"n": 40, "d": 10, "alpha": 0.3,
            "regularizer": ["quadratic", {"f": "t ** 4"}, {"f": "t**4"},
                            {"f": "t**4", "multiclass": " sum(z**4) "}, "t**2"]}
    spec = SweepSpec.from_dict({"experiment": "accuracy", "grid": grid})
    assert spec.size == 5 and len(spec.points()) == 4      # t ** 4 and t**4: one point
    grid["regularizer"].pop(1)
    spec = SweepSpec.from_dict({"experiment": "accuracy", "grid": grid})
    regs = [p.config["regularizer"] for p in spec.points()]
    assert regs == ["quadratic", {"f": "t**4"}, {"f": "t**4", "multiclass": "sum(z**4)"},
                    {"f": "t**2"}]
    keys = [p.key for p in spec.points()]
    assert len(set(keys)) == 4          # the expression (and its K-class form) is in the key
    again = SweepSpec.from_dict({"experiment": "accuracy", "grid": dict(
        grid, regularizer={"f": "t ** 4"})})
    assert again.points()[0].key == keys[1]      # spelling does not matter, the form does
    assert SweepSpec.from_dict(spec.as_dict()).points()[1].key == keys[1]   # round trip


@pytest.mark.parametrize("bad, match", [({"f": "t**3"}, "not even"),
                                        ({"g": "t**2"}, "needs the key 'f'"),
                                        ("nope", "unknown regulariser"),
                                        ({"f": "t**2", "multiclass": "z[0]"}, "not allowed"),
                                        (3, "regulariser name or a table")])
def test_bad_regularizer_tables_are_refused_before_running(bad, match):
    with pytest.raises((InvalidParameterError, InvalidTypeError), match=match):
        SweepSpec.from_dict({"experiment": "accuracy",
                             "grid": {"n": 40, "d": 10, "regularizer": bad}})


def test_a_point_with_a_user_form_is_its_exact_minimiser(tmp_path):
    """The stored point is the minimiser of the user's loss: its gradient norm, and its
    accuracy equal to a direct solve of the same draw with the same form."""
    from scipy import special

    from numerics.models.signal_noise import binary_signal_noise
    from numerics.solve.binary import minimize_binary
    from theory import from_expression

    spec = {"experiment": "accuracy", "seeds": 1,
            "outputs": ["accuracy", "gradient_norm", "S1"],
            "grid": {"n": 60, "d": 12, "alpha": 0.3, "regularizer": {"f": "t**4 + t**2"}}}
    run_sweep(spec, tmp_path / "u.sqlite", progress=False)
    with open_store(tmp_path / "u.sqlite", create=False) as store:
        (row,) = store.rows()
    assert row["status"] == "ok" and row["result"]["gradient_norm"] <= 1e-10
    pt = SweepSpec.from_dict(spec).points()[0]
    ds = binary_signal_noise(60, 12, mu_f=1.0, sigma_f=1.0, sigma_n=1.0, seed=pt.draw_seed)
    S = minimize_binary(ds.u, from_expression("t**4 + t**2"), 0.3).coef
    assert row["result"]["S1"] == S[0]           # same draw, same solver: same bits
    t = ds.u @ S                                  # stationarity of the loss typed by hand
    dl = -0.7 * special.expit(-t) + 0.3 * (4 * t**3 + 2 * t)
    assert np.linalg.norm(ds.u.T @ dl) / 60 < 2e-10   # Newton stops at 1e-10
