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


# --- user regularisers: theory accuracy | separability | phase --f EXPR ---------------

def _cli_json(capsys, *args):
    from logitreg.cli import main

    code = main(["theory", *args, "--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def _own_fixed_point(dl, lam, kappa, start):
    r"""(E1)-(E3) of docs/theory.md §7 solved here: 160-node Gauss-Hermite, prox by brentq
    on v + gamma l'(v) = x, fsolve in (mu, log a, log gamma); returns the accuracy."""
    import numpy as np
    from scipy import optimize, special

    z, w = np.polynomial.hermite_e.hermegauss(160)
    w = w / w.sum()

    def prox(x, g):
        return optimize.brentq(lambda v: v + g * dl(v) - x, x - 60 - 60 * g, x + 60 + 60 * g,
                               xtol=1e-15, rtol=1e-15)

    def eqs(v):
        mu, a, g = v[0], np.exp(v[1]), np.exp(v[2])
        s = np.hypot(mu, a)
        lp = np.array([dl(prox(kappa * mu + s * zi, g)) for zi in z])
        return [kappa * w @ lp + lam * mu / g, w @ (z * lp) - lam * s / g,
                w @ lp**2 - lam * a**2 / g**2]
    mu, la, lg = optimize.fsolve(eqs, [start[0], np.log(start[1]), np.log(start[2])],
                                 xtol=1e-13)
    assert max(abs(np.array(eqs([mu, la, lg])))) < 1e-10
    rho = mu / np.hypot(mu, np.exp(la))
    return special.ndtr(kappa * rho)


def test_accuracy_of_a_user_form_matches_an_independent_fixed_point(capsys):
    from scipy import special

    # (a polynomial form: SymPy derives it in well under a second)
    rec = _cli_json(capsys, "accuracy", "--f", "t**4/4 + t**2", "--alpha", "0.2", "--lam",
                    "0.5", "--kappa", "2")
    assert rec["regularizer"] == "t**4/4 + t**2"
    assert rec["hypotheses"]["finite_minimum"]["value"] is True

    def dl(v):   # l'(v) = -(1-alpha) sigma(-v) + alpha (v^3 + 2 v), written out by hand
        return -0.8 * special.expit(-v) + 0.2 * (v**3 + 2 * v)
    # start 10% off the toolkit's root: fsolve must find the root on its own
    acc = _own_fixed_point(dl, 0.5, 2.0, [1.1 * rec["mu"], 1.1 * rec["a"], 1.1 * rec["gamma"]])
    # both sides: Gauss-Hermite with >= 160 nodes on a smooth integrand (error << 1e-10)
    # and roots to ~1e-13; 1e-8 leaves room for the prox tolerances
    assert abs(acc - rec["accuracy"]) < 1e-8


def test_f_of_a_builtin_form_equals_the_named_builtin(capsys):
    named = _cli_json(capsys, "accuracy", "--regularizer", "quadratic", "--alpha", "0.3",
                      "--lam", "0.4", "--kappa", "1.5")
    user = _cli_json(capsys, "accuracy", "--f", "t**2", "--alpha", "0.3", "--lam", "0.4",
                     "--kappa", "1.5")
    # the same l' compiled by two routes (generated-source cache vs live lambdify): the
    # fixed point agrees to the root finder's tolerance ~1e-13
    assert abs(named["accuracy"] - user["accuracy"]) < 1e-12


def test_phase_point_crossing_and_separability_note(capsys):
    rec = _cli_json(capsys, "phase", "--regularizer", "quadratic", "--alpha", "0.4", "--lam",
                    "0.7", "--sigma-f", "0.5", "--sigma-n", "0.5", "3")
    # docs/theory.md §7 (A4): crossing sigma_n* = 1.216 at sigma_f = 0.5, lam = 0.7
    assert abs(rec["sigma_n_star"] - 1.216) < 5e-4
    assert rec["separable"] is True
    lo, hi = rec["accuracy_unregularized"]
    assert lo > rec["accuracy_regularized"] > hi     # helps only above the crossing
    user = _cli_json(capsys, "phase", "--f", "t**4 + t**2", "--alpha", "0.4", "--lam", "0.7",
                     "--sigma-f", "0.5")
    assert user["sigma_n_star"] > 0 and user["hypotheses"]["convex"]["value"] is True
    sep = _cli_json(capsys, "separability", "--kappa", "1", "--f", "t**4")
    plain = _cli_json(capsys, "separability", "--kappa", "1")
    assert sep["lam_sep"] == plain["lam_sep"] and "kappa only" in sep["note"]


def test_f_failing_a_hypothesis_is_refused_with_the_witness(capsys):
    from logitreg.cli import main

    code = main(["theory", "accuracy", "--f", "sin(t)**2", "--alpha", "0.2", "--lam", "0.5",
                 "--kappa", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "hypothesis" in err and "not attained" in err


def test_fast_growing_user_form_emits_no_runtime_warning():
    import warnings

    from numerics.asymptotics import predict

    import numpy as np

    from numerics.asymptotics import compiled_loss, prox

    with warnings.catch_warnings():
        warnings.simplefilter("error")      # any RuntimeWarning fails the test
        p = predict("cosh(t)", 0.2, 0.5, 2.0, certify=False)
        loss = compiled_loss("cosh(t)", 0.2)
        x = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])   # l'(x) = 0.2 sinh(x) overflows
        v = prox(loss, x, 2.0)
    assert 0.5 < p.accuracy < 1 and p.residual < 1e-12
    # the prox solves v + gamma l'(v) = x; l' typed by hand: -0.8 sigma(-v) + 0.2 sinh(v)
    resid = v + 2.0 * (-0.8 / (1 + np.exp(v)) + 0.2 * np.sinh(v)) - x
    assert np.all(np.abs(resid) <= 1e-12 * (1 + np.abs(x)))   # prox tolerance 1e-14 (1+|x|)
