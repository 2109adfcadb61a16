"""``logitreg verify --f EXPR``: every claim about a general regulariser, for a user's f.

Expected numbers come from routes independent of the toolkit: the stationarity condition
written out by hand and solved with mpmath at 50 digits, and a plain damped Newton
written here (no SymPy, no compiled functions).
"""

import json

import mpmath
import numpy as np
import pytest

from logitreg.cli import main
from logitreg.verify import run_verify
from logitreg.verify_regularizer import RegularizerSpec, spec_from_flags

#: f'(t) by hand for the expressions below (the SymPy derivation is not used).
F_PRIME = {
    "t**4 + t**2": lambda t: 4 * t**3 + 2 * t,
    "log(cosh(t))": mpmath.tanh,
    "cosh(t)": mpmath.sinh,
}


def mp_target(expr: str, alpha: float):
    r"""50-digit root of :math:`\ell'(t) = -(1-\alpha)/(1+e^t) + \alpha f'(t)` on t > 0."""
    fp = F_PRIME[expr]
    with mpmath.workdps(50):
        a = mpmath.mpf(alpha)
        dl = lambda t: -(1 - a) / (1 + mpmath.exp(t)) + a * fp(t)  # noqa: E731
        # l' < 0 at 0 and > 0 at large t (f' grows): bisection-safe bracket, then polish.
        hi = mpmath.mpf(1)
        while dl(hi) < 0:
            hi *= 2
        return mpmath.findroot(dl, (mpmath.mpf(0), hi), solver="illinois")


def _run(tmp_path, f, claims, multiclass=None):
    out = tmp_path / "r.json"
    code = run_verify(claims, json_file=out, workers=1,
                      regularizer=spec_from_flags(None, f, multiclass))
    return code, json.loads(out.read_text())


@pytest.mark.parametrize("expr", sorted(F_PRIME))
def test_d1_targets_match_a_hand_derived_50_digit_root(tmp_path, expr):
    code, payload = _run(tmp_path, expr, ["D1"])
    (rec,) = payload["results"]
    assert rec["verdict"] == "held" and code == 0
    targets = {k: v for k, v in rec["evidence"].items() if k.startswith("custom t*(")}
    assert len(targets) == 5  # every alpha of the check
    for key, value in targets.items():
        alpha = float(key[len("custom t*("):-1])
        # float64 root of a well-conditioned equation: a few ulps (t* ~ 0.1-10).
        assert value == pytest.approx(float(mp_target(expr, alpha)), rel=1e-13, abs=1e-15)
    hyps = payload["regularizer"]["hypotheses"]["binary"]
    assert hyps["convex"]["value"] is True and hyps["even"]["value"] is True


def test_b4_quadratic_loss_is_centred_on_the_regularisers_own_targets():
    """B4's quadratic-loss half ("whatever the target") run on cosh's own targets."""
    from proofs_check.fisher import check_b4
    from theory import from_expression

    r = check_b4(regularizer=from_expression("cosh(t)"))
    text = r.evidence["targets t*(0.05, 0.2, 0.5) of f (50 digits)"]
    got = [float(x) for x in text.split(",")]
    want = [float(mp_target("cosh(t)", a)) for a in (0.05, 0.2, 0.5)]
    # printed with 15 significant digits
    assert got == pytest.approx(want, rel=1e-14)
    assert r.passed


def test_b12_s1_at_sigma_f_zero_is_the_target_over_mu_f(tmp_path):
    code, payload = _run(tmp_path, "cosh(t)", ["B12"])
    (rec,) = payload["results"]
    assert rec["verdict"] == "held" and code == 0
    want = float(mp_target("cosh(t)", 0.4))  # B12 runs at alpha = 0.4, mu_f = 1
    rows = [v for k, v in rec["evidence"].items() if k.endswith("S1(0) vs t*/mu_f")]
    assert rows
    for text in rows:
        s1, target = (float(x) for x in text.split(" vs "))
        # printed with 6 decimals; sigma_f = 0 and N > d give S1 = t*/mu_f exactly (B7)
        assert s1 == pytest.approx(want, abs=1e-6) and target == pytest.approx(want, abs=1e-6)


def _own_newton(U, alpha, fp, fpp, iters=60):
    r"""Damped Newton on :math:`\frac1N\sum_i \ell(u_i\cdot S)` with hand-written
    :math:`\ell'`, :math:`\ell''` (the independent route)."""
    n, d = U.shape
    S = np.zeros(d)
    for _ in range(iters):
        t = U @ S
        sig = 1.0 / (1.0 + np.exp(t))  # sigma(-t)
        g1 = -(1 - alpha) * sig + alpha * fp(t)
        g2 = (1 - alpha) * sig * (1 - sig) + alpha * fpp(t)
        grad = U.T @ g1 / n
        if np.linalg.norm(grad) < 1e-13:
            break
        S = S - np.linalg.solve(U.T @ (U * g2[:, None]) / n, grad)
    return S


def test_own_newton_confirms_the_sigma_f_zero_minimiser_b7_and_b12_rest_on():
    """log cosh: N >= d and sigma_f = 0 give S = (t*/mu_f) e1 exactly (B7's step, B12's
    S1(0)); our own Newton on one draw of the model, against the 50-digit target."""
    from numerics.models.signal_noise import binary_signal_noise

    ds = binary_signal_noise(40, 30, sigma_f=0.0, sigma_n=1.0, seed=3)
    S = _own_newton(ds.u, 0.2, np.tanh, lambda t: 1 / np.cosh(t) ** 2)
    t_star = float(mp_target("log(cosh(t))", 0.2))
    # Newton to |grad| < 1e-13 on O(1) data: S is good to ~1e-12.
    assert S[0] == pytest.approx(t_star / 1.0, rel=1e-10)
    assert np.linalg.norm(S[1:]) < 1e-10 * abs(S[0])


def test_non_convex_f_reports_the_failed_hypothesis_and_still_measures(tmp_path):
    # f'' = 2 - 3 cos t < 0 near 0: not convex; coercive and even.
    code, payload = _run(tmp_path, "t**2 + 3*cos(t)", ["B9", "B2"])
    measured = [r for r in payload["results"] if r["verdict"].startswith("hypothesis fails")]
    assert measured, [r["verdict"] for r in payload["results"]]
    for r in measured:
        assert "convex false" in r["verdict"] and "measured: " in r["verdict"]
        assert r["evidence"]  # the check ran and reports what it measured
    b2 = [r for r in payload["results"] if r["claim"] == "B2"]
    assert b2[0]["verdict"].startswith("not applicable: an identity of label smoothing")
    assert payload["regularizer"]["hypotheses"]["binary"]["convex"]["value"] is False
    assert code == 0  # no check whose hypotheses hold failed


def test_claims_not_about_f_and_missing_multiclass_form_are_skipped(tmp_path, capsys):
    code, payload = _run(tmp_path, "t**4 + t**2", ["B5", "B13", "M3", "M6", "G2"])
    by_claim = {}
    for r in payload["results"]:
        by_claim.setdefault(r["claim"], []).append(r["verdict"])
    assert all(v.startswith("not applicable: ") for vs in by_claim.values() for v in vs)
    assert by_claim["M6"] == ["not applicable: no K-class form given (--multiclass EXPR)"]
    assert "quadratic" in by_claim["B5"][0]
    assert payload["summary"]["not applicable"] == len(payload["results"])
    assert code == 0
    assert "not applicable" in capsys.readouterr().out


def test_multiclass_form_runs_the_m_claims(tmp_path):
    code, payload = _run(tmp_path, "t**2", ["M6"], multiclass="sum(z**2)")
    (rec,) = payload["results"]
    assert rec["verdict"] == "held" and code == 0
    # N > d: exact equivariance, only the solver's 1e-10 gradient tolerance remains.
    assert rec["evidence"]["max normalised test-logit difference"] < 1e-7


@pytest.mark.parametrize("argv, needle", [
    (["--workers", "1", "--regularizer", "quadratic", "--f", "t**2"], "not both"),
    (["--workers", "1", "--multiclass", "sum(z**2)"], "needs the binary form"),
    (["--workers", "1", "--f", "t**3"], "not even"),
    (["--workers", "1", "--regularizer", "nope"], "'nope'"),
    (["--f", "t**2", "--list"], "--f does not apply"),
])
def test_bad_regulariser_flags_exit_2_naming_the_value(argv, needle, capsys):
    with pytest.raises(SystemExit) as exc:
        code = main(["verify", "--claims", "D1", *argv])
        raise SystemExit(code)
    assert exc.value.code == 2
    assert needle in capsys.readouterr().err


def test_builtin_name_runs_for_that_builtin_alone(tmp_path):
    out = tmp_path / "r.json"
    assert run_verify(["D1"], json_file=out, workers=1,
                      regularizer=RegularizerSpec(name="maxsup")) == 0
    (rec,) = json.loads(out.read_text())["results"]
    assert rec["verdict"] == "held"
    # MaxSup's target log(2/alpha - 3) (docs/theory.md §6), 0 for alpha >= 1/2
    assert rec["evidence"]["maxsup t*(0.2)"] == pytest.approx(np.log(2 / 0.2 - 3), rel=1e-14)
    assert rec["evidence"]["maxsup t*(0.5)"] == 0.0


def test_a_kinked_f_has_its_alphas_mapped_below_alpha_max():
    r"""f = t^2 + |t|: l'(0+) = -(1-alpha)/2 + alpha >= 0 iff alpha >= 1/3 (by hand), so
    t* = 0 from alpha_max = 1/3 on and the checks' alpha = 0.4 becomes 0.4/3."""
    from numerics.claims._common import admissible_alpha
    from theory import from_expression

    reg = from_expression("t**2 + abs(t)")
    assert admissible_alpha(reg, 0.4) == pytest.approx(0.4 / 3, rel=1e-15)
    assert admissible_alpha(reg, 0.2) == 0.2
    assert admissible_alpha(None, 0.4) == 0.4  # built-in checks: untouched
    assert admissible_alpha(from_expression("log(cosh(t))"), 0.9) == 0.9


def test_every_claim_is_scoped_and_general_claims_run_for_f():
    from core.claims import CATALOGUE, SCOPE, takes_regularizer
    from logitreg.collect import registry

    assert set(SCOPE) == set(CATALOGUE)
    reg = registry()
    untaken = {cid for cid, scope in SCOPE.items() if scope.general
               and not any(takes_regularizer(fn) for _, fn in reg[cid])}
    # M7's GD certificate is built on the quadratic f's Hessian 2I: not generalised yet
    # (reported as "not applicable" with that reason by verify --f).
    assert untaken == {"M7"}
    for cid, scope in SCOPE.items():
        assert scope.general or scope.why  # a skipped claim always says why
