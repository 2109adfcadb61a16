"""The fast path of ``logitreg theory accuracy``: opt-in certificate, a SymPy-free warm
call, and the generated-source cache behind it (numerics.compile._generated)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import numerics.compile._generated as gen
from numerics.asymptotics import _loss, _separability
from theory import _cache

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["theory", "accuracy", "--regularizer", "maxsup", "--alpha", "0.2", "--lam", "0.5",
        "--kappa", "2", "--json"]

#: Runs the command line in a fresh interpreter and reports which heavy modules it loaded.
_PROBE = """
import json, sys
from logitreg.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "sympy": "sympy" in sys.modules}), file=sys.stderr)
"""


def _run(cache_dir, *args):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LOGITREG_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), json.loads(out.stderr.strip().splitlines()[-1])


def test_warm_call_does_not_import_sympy_and_agrees_with_cold(tmp_path):
    cold, cold_info = _run(tmp_path, *ARGS)
    warm, warm_info = _run(tmp_path, *ARGS)
    assert cold_info == {"code": 0, "sympy": True}     # derived and generated
    assert warm_info == {"code": 0, "sympy": False}    # read back, exec'd, solved
    for key in ("accuracy", "cosine", "mu", "a", "gamma", "lam_sep", "residual"):
        assert warm[key] == cold[key]                  # the same code: bit for bit
    assert warm["certificate"] is None


def test_certify_is_opt_in_and_no_certify_is_accepted(tmp_path):
    rec, _ = _run(tmp_path, *ARGS, "--certify")
    assert rec["certificate"]["certified"] is True and rec["certificate"]["residual_mp"] < 1e-12
    plain, _ = _run(tmp_path, *ARGS, "--no-certify")
    assert plain["certificate"] is None and plain["accuracy"] == rec["accuracy"]
    text = subprocess.run([sys.executable, "-m", "logitreg.cli", *ARGS[:-1], "--certify"],
                          cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                               "LOGITREG_CACHE_DIR": str(tmp_path)})
    assert text.returncode == 0 and "certified True (30-digit residual" in text.stdout
    assert "residual " in text.stdout


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITREG_CACHE_DIR", str(tmp_path))
    return tmp_path


def _entries(root):
    return sorted(p for p in root.rglob("*.pkl") if p.parent.name.startswith("gen-"))


def test_generated_entry_corrupted_is_recomputed(cache):
    first = _separability._p2_artefacts.__wrapped__()
    stored = _separability._p2_artefacts()
    (entry,) = _entries(cache)
    assert stored == first
    entry.write_bytes(b"not a pickle")
    again = _separability._p2_artefacts()
    assert again == first and entry.read_bytes() != b"not a pickle"
    p2 = gen.load(again[0])
    assert abs(p2(0.0) - 0.5) < 1e-15                 # E[Z_+^2] = 1/2


def test_loaded_functions_equal_lambdify(cache):
    live = _loss._live("label_smoothing")
    art = _loss._artefacts("label_smoothing")
    import numpy as np

    t = np.linspace(-40, 40, 101)
    for i, name in enumerate(("dloss", "d2loss")):
        assert np.array_equal(gen.load(art[name])(t, 0.3), live[i](t, 0.3))
    import mpmath

    with mpmath.workdps(30):
        assert gen.load(art["mp_dloss"])(mpmath.mpf("0.7"), mpmath.mpf("0.3")) == \
            live[2](mpmath.mpf("0.7"), mpmath.mpf("0.3"))
    assert _loss.SQUARE == __import__("theory.asymptotics").asymptotics.SQUARE


def test_generator_key_covers_its_sources(monkeypatch, tmp_path):
    gen.generator_version.cache_clear()
    base = gen.generator_version(_loss.__name__)
    for changed in ("compiled.py", "_primitives.py", "_generated.py"):
        real = Path(gen.__file__).parent / changed
        copy = tmp_path / changed
        copy.write_bytes(real.read_bytes() + b"\n# edited\n")
        original = _cache.source_hash

        def edited(paths, *extra, _real=real, _copy=copy, _orig=original):
            return _orig([_copy if Path(p) == _real else p for p in paths], *extra)

        monkeypatch.setattr(_cache, "source_hash", edited)
        gen.generator_version.cache_clear()
        assert gen.generator_version(_loss.__name__) != base, changed
        monkeypatch.setattr(_cache, "source_hash", original)
    monkeypatch.setattr(_cache, "CODE_VERSION", "0" * 16)   # theory sources / SymPy version
    gen.generator_version.cache_clear()
    assert gen.generator_version(_loss.__name__) != base
    gen.generator_version.cache_clear()


def test_disabled_cache_still_works(monkeypatch):
    monkeypatch.setenv("LOGITREG_CACHE_DIR", "off")
    assert _separability._p2_artefacts() == _separability._p2_artefacts.__wrapped__()


def test_uncacheable_object_is_refused():
    import sympy as sp

    x = sp.Symbol("x")
    with pytest.raises(gen.UncacheableError, match="cannot name"):
        gen.generate((x,), sp.Function("mystery")(x), [{"mystery": lambda v: v}, "numpy"],
                     kind="numpy")
