r"""Claims B4 (Cor. 3.3) and B5 (App. C.4): Fisher alignment, machine-checked.

**B4, population.** By B3 the Gaussian minimiser minimises
:math:`r(S)^2 = S^\top\Sigma S/(\mu^\top S)^2`. With :math:`\Sigma = LL^\top`,
:math:`a = L^\top S`, :math:`b = L^{-1}\mu` this is :math:`|a|^2/(a\cdot b)^2`, and
Lagrange's identity

.. math::
    |a|^2|b|^2 - (a\cdot b)^2 = \sum_{i<j}(a_ib_j - a_jb_i)^2 \ge 0

gives :math:`r^2 \ge 1/(\mu^\top\Sigma^{-1}\mu)` with equality iff :math:`a \parallel b`,
i.e. :math:`S \propto \Sigma^{-1}\mu`, for *any* convex :math:`\ell`.

**B4, finite data.** For the per-sample loss :math:`a(t - t^*)^2`,
:math:`L(S) = \frac aN\sum_i(S\cdot u_i - t^*)^2`, the normal equations and
:math:`U^\top U = N(\hat\Sigma + \hat\mu\hat\mu^\top)`, :math:`U^\top\mathbf 1 = N\hat\mu`
(:math:`\hat\Sigma` the centred 1/N covariance) give
:math:`(\hat\Sigma + \hat\mu\hat\mu^\top)S = t^*\hat\mu`, solved by Sherman-Morrison:

.. math::
    S_{\min} = \frac{t^*}{1 + \hat\mu^\top\hat\Sigma^{-1}\hat\mu}\,\hat\Sigma^{-1}\hat\mu
    \;\propto\; \hat\Sigma^{-1}\hat\mu\quad\text{for every } t^* > 0,

unique because :math:`\det U^\top U = N^d\det\hat\Sigma\,(1 + \hat\mu^\top\hat\Sigma^{-1}
\hat\mu) > 0` when :math:`\hat\Sigma` is non-singular, which needs :math:`N > d`.

**B5.** Along a unit direction with projected moments :math:`\hat\mu, \hat\sigma` and
norm :math:`g`: :math:`E[(gv - a)^2] = (g\hat\mu - a)^2 + g^2\hat\sigma^2`, minimised at
:math:`g^* = a\hat\mu/(\hat\mu^2 + \hat\sigma^2)`, mean logit :math:`a/(1 + r^2)`, minimum
:math:`a^2/(1 + 1/r^2)`, strictly increasing in :math:`r = \hat\sigma/\hat\mu`.

>>> from proofs_check.fisher import sherman_morrison_general
>>> sherman_morrison_general().proved
True
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp

from core.claims import CheckResult, register

from proofs_check._identity import Proof

__all__ = ["sherman_morrison_general", "normal_equations_symbolic", "population_fld_symbolic",
           "singular_when_n_le_d", "random_data", "fld_direction_numeric", "fld_residual",
           "quadratic_explicit",
           "quadratic_explicit_numeric", "check_b4", "check_b5"]


def _zero(expr) -> bool:
    """A polynomial (or rational) expression vanishes identically."""
    return sp.expand(sp.together(sp.expand(expr))) == 0


def sherman_morrison_general() -> Proof:
    r"""Dimension-free (``MatrixSymbol`` of symbolic size ``n``):
    :math:`(A + mm^\top)A^{-1}m = m\,(1 + m^\top A^{-1}m)`, so
    :math:`S = t^*A^{-1}m/(1+m^\top A^{-1}m)` solves :math:`(A + mm^\top)S = t^*m`."""
    n = sp.Symbol("n", integer=True, positive=True)
    A = sp.MatrixSymbol("A", n, n)
    m = sp.MatrixSymbol("m", n, 1)
    residual = sp.expand((A + m * m.T) * A.I * m - m - m * (m.T * A.I * m))
    ok = residual == 0 or residual == sp.ZeroMatrix(n, 1)
    return Proof((ok, "MatrixSymbol algebra: expand((A + m m^T) A^-1 m - m - m (m^T A^-1 m)) = 0",
                  0.0))


def _moments(U):
    """Empirical mean (column) and centred 1/N covariance of the rows of ``U``."""
    n = U.rows
    mean = sp.Matrix([sum(U[i, j] for i in range(n)) / n for j in range(U.cols)])
    centred = U - sp.ones(n, 1) * mean.T
    return mean, centred.T * centred / n


def normal_equations_symbolic(n: int, d: int, *, rational_seed: int | None = None,
                              direction: str = "fld") -> Proof:
    r"""B4 on data :math:`u_1..u_N \in \mathbb R^d` with symbolic entries (or exact random
    rationals when ``rational_seed`` is given), symbolic :math:`a > 0` and :math:`t^*`:

    1. :math:`\nabla L = \frac{2a}N(U^\top US - t^*U^\top\mathbf 1)` (SymPy gradient);
    2. :math:`U^\top U = N(\hat\Sigma + \hat\mu\hat\mu^\top)`, :math:`U^\top\mathbf 1 = N\hat\mu`;
    3. :math:`\nabla L(S_c) = 0` at :math:`S_c = t^*\operatorname{adj}(\hat\Sigma)\hat\mu /
       (\det\hat\Sigma + \hat\mu^\top\operatorname{adj}(\hat\Sigma)\hat\mu)` (this is
       :math:`t^*\hat\Sigma^{-1}\hat\mu/(1+\hat\mu^\top\hat\Sigma^{-1}\hat\mu)`), a
       polynomial identity after clearing the denominator;
    4. :math:`\det U^\top U = N^d(\det\hat\Sigma + \hat\mu^\top\operatorname{adj}
       (\hat\Sigma)\hat\mu)` (matrix determinant lemma): the Hessian is non-singular iff
       the denominator of :math:`S_c` is non-zero, so :math:`S_c` is the unique minimiser;
    5. :math:`S_c/t^*` does not contain :math:`t^*`;
    6. line test, any data: the minimiser of :math:`L` on the line :math:`\mathbb R w`
       is a global one iff :math:`(\tilde\Sigma w)(\hat\mu^\top w) - (w^\top\tilde\Sigma w)
       \hat\mu = 0`, :math:`\tilde\Sigma = U^\top U/N`; proved for
       :math:`w = \operatorname{adj}(\hat\Sigma)\hat\mu` (``direction="fld"``).
       ``direction="mean"`` (:math:`w = \hat\mu`) is a negative control that must fail.
    """
    a = sp.Symbol("a", positive=True)
    ts = sp.Symbol("t_star", real=True)
    if rational_seed is None:
        U = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"u{i}{j}", real=True))
    else:
        rng = random.Random(rational_seed)
        U = sp.Matrix(n, d, lambda i, j: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5)))
    S = sp.Matrix(sp.symbols(f"s1:{d + 1}", real=True))
    loss = a / n * sum(((U.row(i) * S)[0] - ts) ** 2 for i in range(n))
    grad = sp.Matrix([sp.diff(loss, s) for s in S])
    gram, ones = U.T * U, sp.ones(n, 1)
    step1 = all(_zero(e) for e in grad - 2 * a / n * (gram * S - ts * U.T * ones))
    mean, cov = _moments(U)
    step2 = all(_zero(e) for e in gram - n * (cov + mean * mean.T)) and \
        all(_zero(e) for e in U.T * ones - n * mean)
    w = cov.adjugate() * mean
    den = cov.det() + (mean.T * w)[0]
    # den * grad(S_c) with S_c = t* w / den, i.e. (2a/N) t* (U^T U w - den U^T 1):
    step3 = all(_zero(e) for e in gram * w - den * U.T * ones)
    step4 = _zero(gram.det() - n**d * den)
    s_c = ts * w / den
    step5 = not any(sp.cancel(e / ts).has(ts) for e in s_c)
    if direction == "mean":
        w = mean
    elif direction != "fld":
        raise ValueError(f"direction must be 'fld' or 'mean'. Got {direction!r} instead.")
    line = gram / n * w * (mean.T * w)[0] - (w.T * gram / n * w)[0] * mean
    step6 = all(_zero(e) for e in line)
    ok = step1 and step2 and step3 and step4 and step5 and step6
    what = "symbolic" if rational_seed is None else f"exact rationals (seed {rational_seed})"
    return Proof((ok, f"N={n}, d={d}, {what}: gradient {step1}, moments {step2}, "
                      f"grad(S_c)=0 {step3}, det lemma {step4}, t*-free {step5}, "
                      f"line test ({direction}) {step6}", 0.0))


def singular_when_n_le_d(n: int, d: int) -> bool:
    r""":math:`\det\hat\Sigma \equiv 0` for symbolic data with ``n <= d`` (the centred
    data span at most ``n - 1`` dimensions): why B4 needs :math:`N > d`."""
    U = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"u{i}{j}", real=True))
    return _zero(_moments(U)[1].det())


def population_fld_symbolic(d: int, direction: str = "fld") -> Proof:
    r"""B4, Gaussian population, any convex loss: the minimiser of :math:`r(S)` is
    :math:`\propto \Sigma^{-1}\mu`. With a symbolic lower-triangular :math:`L` (positive
    diagonal; :math:`\Sigma = LL^\top` is a generic SPD matrix) and symbolic :math:`\mu`:

    1. Lagrange's identity :math:`|a|^2|b|^2 - (a\cdot b)^2 = \sum_{i<j}(a_ib_j-a_jb_i)^2`
       for symbolic vectors (so :math:`r^2 \ge 1/\mu^\top\Sigma^{-1}\mu`);
    2. :math:`S^\top\Sigma S = |L^\top S|^2` and :math:`\mu^\top S = (L^{-1}\mu)\cdot(L^\top S)`;
    3. at :math:`S = \Sigma^{-1}\mu` every :math:`a_ib_j - a_jb_i` vanishes (equality).

    ``direction="mean"`` tests :math:`S = \mu` instead (a negative control: must fail).
    """
    av = sp.symbols(f"a1:{d + 1}", real=True)
    bv = sp.symbols(f"b1:{d + 1}", real=True)
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
    lagrange = sum(x**2 for x in av) * sum(x**2 for x in bv) - sum(x * y for x, y in zip(av, bv))**2
    step1 = _zero(lagrange - sum((av[i] * bv[j] - av[j] * bv[i])**2 for i, j in pairs))
    L = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"l{i}{j}", positive=True) if i == j else
                  (sp.Symbol(f"l{i}{j}", real=True) if i > j else 0))
    mu = sp.Matrix(sp.symbols(f"mu1:{d + 1}", real=True))
    S = sp.Matrix(sp.symbols(f"s1:{d + 1}", real=True))
    sigma = L * L.T
    a, b = L.T * S, L.inv() * mu
    step2 = _zero((S.T * sigma * S)[0] - (a.T * a)[0]) and _zero((mu.T * S)[0] - (b.T * a)[0])
    s_opt = sigma.inv() * mu if direction == "fld" else mu
    a_opt = L.T * s_opt
    step3 = all(sp.simplify(a_opt[i] * b[j] - a_opt[j] * b[i]) == 0 for i, j in pairs)
    ok = step1 and step2 and step3
    return Proof((ok, f"d={d}: Lagrange identity {step1}, whitening {step2}, "
                      f"equality at {'Sigma^-1 mu' if direction == 'fld' else 'mu'} {step3}", 0.0))


def random_data(seed: int, n: int = 9, d: int = 3, shift: float = 1.0):
    """Seeded random data rows ``u_i`` (mpmath, 50 digits), mean shifted along e1."""
    rng = random.Random(seed)
    with mpmath.workdps(50):
        return mpmath.matrix([[mpmath.mpf(rng.gauss(0, 1)) + (shift if j == 0 else 0)
                               for j in range(d)] for _ in range(n)])


def _fld(U):
    r""":math:`\hat\Sigma^{-1}\hat\mu` (mpmath) for data rows ``U``."""
    n, d = U.rows, U.cols
    mean = mpmath.matrix([sum(U[i, j] for i in range(n)) / n for j in range(d)])
    cov = mpmath.matrix(d, d)
    for i in range(n):
        c = mpmath.matrix([U[i, j] - mean[j] for j in range(d)])
        cov += c * c.T / n
    return mpmath.lu_solve(cov, mean)


def fld_direction_numeric(U, t_star, a=1) -> float:
    r"""50 digits: solve the normal equations of :math:`\frac aN\sum(S\cdot u_i - t^*)^2`
    (``lu_solve``) and return :math:`\|S/\|S\| - \operatorname{sign}(t^*)w/\|w\|\|`,
    :math:`w = \hat\Sigma^{-1}\hat\mu`."""
    with mpmath.workdps(50):
        ones = mpmath.matrix([1] * U.rows)
        s = mpmath.lu_solve(a * U.T * U, a * mpmath.mpf(t_star) * (U.T * ones))
        w = _fld(U) * mpmath.sign(t_star)
        return float(mpmath.norm(s / mpmath.norm(s) - w / mpmath.norm(w)))


def fld_residual(dloss, U, direction=None) -> float:
    r"""50 digits: :math:`\|\nabla L(cw)\|` with :math:`L(S) = \frac1N\sum\ell(S\cdot u_i)`,
    ``w = direction`` (default :math:`\hat\Sigma^{-1}\hat\mu`) and ``c`` the 1-D minimiser
    along it (``findroot``). For convex :math:`\ell` this vanishes iff the minimiser lies on
    the line :math:`\mathbb R w`; ``dloss`` is an mpmath callable :math:`\ell'`."""
    with mpmath.workdps(50):
        w = _fld(U) if direction is None else mpmath.matrix(direction)
        w = w / mpmath.norm(w)
        proj = [sum(U[i, j] * w[j] for j in range(U.cols)) for i in range(U.rows)]
        slope = lambda c: mpmath.fsum(dloss(c * p) * p for p in proj)  # noqa: E731
        c = mpmath.findroot(slope, (mpmath.mpf(1), mpmath.mpf(2)))
        grad = [mpmath.fsum(dloss(c * p) * U[i, j] for i, p in enumerate(proj)) / U.rows
                for j in range(U.cols)]
        return float(mpmath.norm(mpmath.matrix(grad)))


def quadratic_explicit(claimed_min=None) -> dict:
    r"""B5, symbolic: moment reduction on a symbolic sample of size 4, then
    ``solve``/``simplify`` for :math:`g^*`, :math:`\mu^*`, the minimum and its monotonicity
    in :math:`r`. ``claimed_min(a, r)`` replaces the paper's minimum
    :math:`a^2/(1+1/r^2)` (a wrong one must make that entry ``False``)."""
    a = sp.Symbol("a", real=True, nonzero=True)
    m, s, r = sp.symbols("mu_hat sigma_hat r", positive=True)
    g = sp.Symbol("g", real=True)
    v = sp.symbols("v1:5", real=True)
    n = len(v)
    vbar = sum(v) / n
    var = sum((x - vbar) ** 2 for x in v) / n
    out = {}
    sample = sum((g * x - a) ** 2 for x in v) / n
    out["E[(gv-a)^2] = (g mu - a)^2 + g^2 sigma^2"] = \
        _zero(sample - (g * vbar - a) ** 2 - g**2 * var)
    loss = (g * m - a) ** 2 + g**2 * s**2
    sols = sp.solve(sp.diff(loss, g), g)
    g_star = sols[0] if len(sols) == 1 else None
    out["g* = a mu/(mu^2+sigma^2) (unique stationary point)"] = \
        g_star is not None and sp.simplify(g_star - a * m / (m**2 + s**2)) == 0
    out["d2/dg2 > 0"] = bool(sp.diff(loss, g, 2).is_positive)
    on_r = {s: r * m}
    out["mu* = a/(1+r^2)"] = g_star is not None and \
        sp.simplify((g_star * m).subs(on_r) - a / (1 + r**2)) == 0
    min_loss = sp.simplify(loss.subs(g, g_star).subs(on_r)) if g_star is not None else sp.nan
    claimed = a**2 / (1 + 1 / r**2) if claimed_min is None else claimed_min(a, r)
    out["min loss = a^2/(1+1/r^2) = a^2 r^2/(1+r^2)"] = \
        sp.simplify(min_loss - claimed) == 0 and \
        sp.simplify(claimed - a**2 * r**2 / (1 + r**2)) == 0
    slope = sp.simplify(sp.diff(min_loss, r))
    out["d(min loss)/dr = 2a^2 r/(1+r^2)^2 > 0"] = \
        sp.simplify(slope - 2 * a**2 * r / (1 + r**2) ** 2) == 0 and bool(slope.is_positive)
    return out


def quadratic_explicit_numeric(seed: int, n: int = 7) -> dict:
    r"""B5 at 50 digits on a random sample :math:`v_i`: :math:`g^*` by ``findroot`` on the
    derivative of :math:`\frac1N\sum(gv_i - a)^2` (``mpmath.diff``) versus the formula,
    and the minimum versus :math:`a^2r^2/(1+r^2)`; returns the absolute errors."""
    rng = random.Random(seed)
    with mpmath.workdps(50):
        v = [mpmath.mpf(rng.gauss(1, 0.7)) for _ in range(n)]
        a = mpmath.mpf(rng.uniform(0.5, 3))
        loss = lambda g: mpmath.fsum((g * x - a) ** 2 for x in v) / n  # noqa: E731
        g_num = mpmath.findroot(lambda g: mpmath.diff(loss, g), mpmath.mpf(1))
        mu = mpmath.fsum(v) / n
        sigma = mpmath.sqrt(mpmath.fsum((x - mu) ** 2 for x in v) / n)
        r = sigma / mu
        return {"g*": float(abs(g_num - a * mu / (mu**2 + sigma**2))),
                "min loss": float(abs(loss(g_num) - a**2 * r**2 / (1 + r**2))),
                "r": float(r)}


def _mp_targets(regularizer, alphas=("0.05", "0.2", "0.5")) -> list:
    r"""50-digit roots :math:`t^*(\alpha)` of :math:`\ell'` (``findroot`` from 1) of a
    ``theory.Regularizer`` -- the targets the quadratic loss is then centred on."""
    from theory import ALPHA, T, derive_binary, to_elementary

    d = derive_binary(regularizer)
    out = []
    for a in alphas:
        dl = sp.lambdify(T, to_elementary(d.dloss.subs(ALPHA, sp.Rational(a))), "mpmath")
        with mpmath.workdps(50):
            out.append(mpmath.findroot(dl, mpmath.mpf(1)))
    return out


@register("B4", "FLD alignment: minimiser ∝ Σ⁻¹μ (population) and exactly ∝ Σ̂⁻¹μ̂ "
                "for quadratic loss on any data with N>d")
def check_b4(full: bool = False, regularizer=None) -> CheckResult:
    r"""Claim B4 (Cor. 3.3): symbolic proofs (module docstring) plus 50-digit residuals.
    With ``regularizer`` (a ``theory.Regularizer``) the quadratic loss is centred on that
    regulariser's 50-digit targets :math:`t^*(\alpha)`, :math:`\alpha \in
    \{0.05, 0.2, 0.5\}` ("whatever the target")."""
    proofs = {"Sherman-Morrison (any d)": sherman_morrison_general(),
              "normal equations N=3,d=2": normal_equations_symbolic(3, 2),
              "normal equations N=5,d=3": normal_equations_symbolic(5, 3, rational_seed=1),
              "population r(S) minimised at Sigma^-1 mu, d=2": population_fld_symbolic(2),
              "population r(S) minimised at Sigma^-1 mu, d=3": population_fld_symbolic(3)}
    if full:  # (fully symbolic 4x3 data would take minutes of polynomial expansion)
        proofs["normal equations N=4,d=2"] = normal_equations_symbolic(4, 2)
        proofs["normal equations N=7,d=4"] = normal_equations_symbolic(7, 4, rational_seed=2)
    ev = {k: p[1] for k, p in proofs.items()}
    ok = all(p.proved for p in proofs.values())
    ev["det Sigma_hat = 0 identically for N=d=2 (why N>d)"] = singular_when_n_le_d(2, 2)
    ok &= ev["det Sigma_hat = 0 identically for N=d=2 (why N>d)"]
    worst_dir, worst_res = 0.0, 0.0
    targets = ("0.5", "2", "-1.5") if regularizer is None else _mp_targets(regularizer)
    if regularizer is not None:
        ev["targets t*(0.05, 0.2, 0.5) of f (50 digits)"] = ", ".join(
            mpmath.nstr(t, 15) for t in targets)
    for seed in range(4 if full else 2):
        U = random_data(seed)
        for t_star in targets:
            worst_dir = max(worst_dir, fld_direction_numeric(U, t_star, a=3))
        for ts in ([mpmath.mpf("0.75")] if regularizer is None else targets):
            worst_res = max(worst_res, fld_residual(lambda t: 2 * 3 * (t - ts), U))
    ev["normal-equation direction vs Sigma^-1 mu, max error (50 digits)"] = worst_dir
    ev["quadratic loss: |grad L| on the FLD line, max (50 digits)"] = worst_res
    ok &= worst_dir < 1e-40 and worst_res < 1e-40
    return CheckResult(
        "B4", "FLD alignment (Sherman-Morrison, normal equations, Cauchy-Schwarz)", ev,
        "symbolic proofs; 50-digit LU solve of a well-conditioned 3x3 system and the "
        "gradient on the FLD line < 1e-40 (round-off ~1e-48)", bool(ok))


@register("B5", "quadratic case: g* = a mu/(mu^2+sigma^2), mu* = a/(1+r^2), "
                "min loss a^2/(1+1/r^2) increasing in r")
def check_b5(full: bool = False) -> CheckResult:
    r"""Claim B5 (App. C.4): :func:`quadratic_explicit` plus 50-digit random samples."""
    ev = dict(quadratic_explicit())
    ok = all(ev.values())
    errs = [quadratic_explicit_numeric(seed) for seed in range(6 if full else 3)]
    ev["50-digit g* error, max"] = max(e["g*"] for e in errs)
    ev["50-digit min-loss error, max"] = max(e["min loss"] for e in errs)
    ok &= ev["50-digit g* error, max"] < 1e-40 and ev["50-digit min-loss error, max"] < 1e-40
    return CheckResult("B5", "quadratic case explicit (solve/simplify)", ev,
                       "symbolic identities; findroot on mpmath.diff at 50 digits "
                       "vs closed forms < 1e-40", bool(ok))
