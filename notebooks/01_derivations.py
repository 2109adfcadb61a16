# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Derivations of every built-in logit regulariser and the proofs of docs/theory.md §2
#
# Per-sample loss $\ell(t) = (1-\alpha)\,\mathrm{softplus}(-t) + \alpha f(t)$. The
# stationarity condition $\ell'(t)=0$ is linear in $\alpha$, so
# $\alpha(t^*) = \ell_{CE}'(t^*) / (\ell_{CE}'(t^*) - f'(t^*))$. Part 1 prints (as LaTeX) each
# derived expression of `theory.derive_binary`; part 2 walks through the proofs of §2
# (B2, B3, B4, B5, B9, B13) step by step with the machine checks of `proofs_check/`,
# each with a negative control that must fail. Every cell asserts what it shows (the
# notebook runs in CI as a script, ~10 s).

# %%
import sys

import sympy as sp

from numerics import compile_binary, compile_multiclass
from theory import ALPHA, T, derive_binary, derive_multiclass, list_regularizers, properties


def show(label, expr):
    r"""Render ``label: expr`` as LaTeX in Jupyter, print the LaTeX source as a script."""
    tex = expr if isinstance(expr, str) else sp.latex(expr)
    if "ipykernel" in sys.modules:
        from IPython.display import Math, display
        display(Math(rf"\text{{{label}: }}\ {tex}"))
    else:
        print(f"  {label}: {tex}")
    return tex


# %% [markdown]
# ## Part 1. Loss, stationarity and target of every built-in regulariser
#
# For each regulariser: $f$, $\ell$, the stationarity condition $\ell'(t)=0$, the closed
# form $\alpha(t^*)$, and $t^*(\alpha)$ when SymPy finds it. Asserted: $\ell'$ is affine in
# $\alpha$; $\alpha(t^*)$ solves $\ell'(t^*)=0$ identically (for $t>0$); the compiled target
# (bracketing solver, never the closed form) is a zero of the compiled $\ell'$; and for the
# convex regularisers $t^*$ is a strict minimum of $\ell$.

# %%
t_pos = sp.Symbol("t", positive=True)
for name in list_regularizers():
    d = derive_binary(name)
    print(f"== {name}")
    show("f(t)", d.f)
    show("loss", r"\ell(t) = " + sp.latex(d.loss))
    show("stationarity", d.stationarity)
    show("alpha(t*)", r"\alpha(t^*) = " + sp.latex(d.alpha_of_target.subs(T, sp.Symbol("t^*"))))
    show("t*(alpha)", sp.latex(d.target_closed_form) if d.target_closed_form is not None
         else r"\text{implicit (monotone inverse of } \alpha(t^*))")
    props = properties(name)
    for key, prop in props.items():
        print(f"  {key}: {prop.value} ({prop.how})")
    assert sp.diff(d.dloss, ALPHA, 2) == 0                       # affine in alpha
    on_branch = d.dloss.subs(ALPHA, d.alpha_of_target).subs(T, t_pos)
    assert sp.simplify(on_branch) == 0                           # alpha(t*) solves l' = 0
    comp = compile_binary(name)
    for a in (0.05, 0.2, 0.45):
        ts = comp.target(a)
        assert abs(comp.dloss(ts, a)) < 1e-10
        if props["convex"].value:
            assert comp.loss(ts, a) < min(comp.loss(ts - 1e-3, a), comp.loss(ts + 1e-3, a))
assert properties("confidence_penalty")["convex"].value is False  # reported as non-convex

# %% [markdown]
# ## Closed forms SymPy finds: label smoothing and MaxSup
# Label smoothing: $t^* = \log((2-\alpha)/\alpha)$; MaxSup: $t^* = \log((2-3\alpha)/\alpha)$
# for $\alpha < 1/2$, pinned at $t^*=0$ above (the kink of $|t|/2$).

# %%
assert sp.simplify(derive_binary("label_smoothing").target_closed_form
                   - sp.log((2 - ALPHA) / ALPHA)) == 0
assert sp.simplify(derive_binary("maxsup").target_closed_form - sp.log(2 / ALPHA - 3)) == 0
assert derive_binary("maxsup").alpha_max == sp.Rational(1, 2)
assert compile_binary("maxsup").target(0.6) == 0.0

# %% [markdown]
# ## The quadratic target has no closed form; docs/theory.md §1 quotes $t^*(0.2) \approx 0.674832$

# %%
t_q = compile_binary("quadratic").target(0.2)
print(t_q)
assert abs(t_q - 0.674832) < 5e-7

# %% [markdown]
# ## Multiclass simplex targets (M1)
# Reduced to the gap $g = q_{high} - q_{low}$; for label smoothing
# $g^* = \log(1 + K(1-\alpha)/\alpha)$.

# %%
for k in (3, 10):
    m = derive_multiclass("label_smoothing", k)
    show(f"K={k} gap g*", m.gap_closed_form)
    assert sp.simplify(m.gap_closed_form - sp.log(1 + k * (1 - ALPHA) / ALPHA)) == 0
    qh, ql = compile_multiclass("quadratic", k).targets(0.2)
    print(f"quadratic K={k}: q_high={qh:.6f}, q_low={ql:.6f}")
    assert abs(qh + (k - 1) * ql) < 1e-14

# %% [markdown]
# ## Part 2. The proofs of §2, step by step
#
# Each proof step is a function of `proofs_check/` returning `(proved, route, 50-digit spot
# error)`; the same functions back `logitreg verify --claims B2,B3,B4,B5,B9,B13`.
#
# ### B2: label smoothing is a logit regulariser
# Binary: $(1-\varepsilon)\log(1+e^{-t}) + \varepsilon\log(1+e^t) = (1-2\varepsilon)\ell_{CE}(t)
# + \varepsilon\log(2+2\cosh t)$, because $(1+e^{-t})(1+e^{t}) = 2 + 2\cosh t$; so
# $\alpha = 2\varepsilon$, $f = \tfrac12\log(2+2\cosh t)$. Multiclass with targets
# $(1-\varepsilon)e_y + \varepsilon/K$: $\ell_{LS} = (1-\varepsilon)CE +
# \varepsilon(\mathrm{lse}(z) - \bar z) = CE + \varepsilon(z_y - \bar z)$.

# %%
from proofs_check import label_smoothing as b2  # noqa: E402

key_step = sp.expand((1 + sp.exp(-T)) * (1 + sp.exp(T))) - (2 + 2 * sp.cosh(T)).rewrite(sp.exp)
print("(1+e^-t)(1+e^t) - (2+2cosh t) =", sp.simplify(key_step))
assert sp.simplify(key_step) == 0
proof = b2.binary_identity()
print("binary identity:", proof[1], f"(spot error {proof[2]:.1e})")
assert proof.proved and proof[2] < 1e-40
for k in (3, 5):
    full_form, gt_form = b2.multiclass_identities(k)
    print(f"K={k}:", full_form[1], "|", gt_form[1])
    assert full_form.proved and gt_form.proved
assert b2.target_form()                          # t* = log((2 - alpha)/alpha)

# %% [markdown]
# ### B3: the population minimiser minimises the coefficient of variation (Prop. 3.1)
# For $x\sim N(\mu,\Sigma)$, $S\cdot x = \mu(S)(1 + r(S)Y)$, and with
# $Q(r) = \min_\mu E[\ell(\mu(1+rY))]$:
# $$\frac{dQ}{dr} = r\,\mu^*(r)^2\,E[\ell''(\mu^*(1+rY))] > 0 .$$
# (a) Stein's identity $E[Yg(Y)] = E[g'(Y)]$, checked at 50 digits for $g = \ell'(m+sY)$; for
# the kinked MaxSup the jump $J$ of $\ell'$ adds a Dirac term $J\varphi(y_0)$ -- dropping it
# must fail. (b) The derivative identity for a *generic* $\ell$ (SymPy differentiates under
# the integral; the envelope term vanishes at $\mu^*$; the boundary term needs polynomial
# growth of $\ell'$, certified). Claiming $\mu^{*3}$ instead of $\mu^{*2}$ must fail.
# (c) Lemma C.1: $\lambda\mapsto E[g(\lambda X)]$ is non-decreasing for convex $g$ and
# $E[X]=0$; without the zero mean the proof must fail.

# %%
from proofs_check import cv_minimisation as b3  # noqa: E402

stein = {name: b3.stein_numeric(name, "0.3", 0.7, 1.3) for name in ("quadratic", "maxsup")}
stein_no_jump = b3.stein_numeric("maxsup", "0.3", 0.7, 1.3, include_jumps=False)
print("(a) Stein |E[Yg] - E[g']| at 50 digits:", stein, "| MaxSup without the Dirac term:",
      stein_no_jump)
assert max(stein.values()) < 1e-40 and stein_no_jump > 1e-3
deriv, deriv_wrong = b3.derivative_identity_symbolic(), b3.derivative_identity_symbolic(power=3)
print("(b)", deriv[1], "| control mu*^3:", deriv_wrong.proved)
assert deriv.proved and not deriv_wrong.proved
growth = {n: b3.growth_degree(derive_binary(n).dloss) for n in ("quadratic", "label_smoothing")}
print("    |l'(t)| <= C(1+|t|)^k, k =", growth)
assert growth == {"quadratic": 1, "label_smoothing": 0}
lemma, lemma_wrong = b3.lemma_c1_symbolic(), b3.lemma_c1_symbolic(zero_mean=False)
print("(c)", lemma[1], "| control E[X] != 0:", lemma_wrong.proved)
assert lemma.proved and not lemma_wrong.proved

# %% [markdown]
# ### B4: Fisher alignment (Cor. 3.3)
# *Population, any convex $\ell$*: by B3 the minimiser minimises
# $r^2 = S^\top\Sigma S/(\mu^\top S)^2 = |a|^2/(a\cdot b)^2$ with $a = L^\top S$, $b = L^{-1}\mu$
# ($\Sigma = LL^\top$); Lagrange's identity $|a|^2|b|^2 - (a\cdot b)^2 = \sum_{i<j}(a_ib_j -
# a_jb_i)^2$ gives equality iff $S\propto\Sigma^{-1}\mu$. *Data, quadratic loss
# $a(t-t^*)^2$*: the normal equations are $(\hat\Sigma + \hat\mu\hat\mu^\top)S = t^*\hat\mu$,
# and Sherman--Morrison gives
# $$S_{\min} = \frac{t^*}{1+\hat\mu^\top\hat\Sigma^{-1}\hat\mu}\,\hat\Sigma^{-1}\hat\mu ,$$
# unique iff $\hat\Sigma$ is non-singular, which needs $N > d$.

# %%
from proofs_check import fisher  # noqa: E402

steps = {"Sherman-Morrison (any d)": fisher.sherman_morrison_general(),
         "normal equations N=5, d=3": fisher.normal_equations_symbolic(5, 3, rational_seed=1),
         "population Sigma^-1 mu, d=2": fisher.population_fld_symbolic(2)}
for label, p in steps.items():
    print(f"{label}: {p[1]}")
    assert p.proved
controls = {"data: S along the mean": fisher.normal_equations_symbolic(5, 3, rational_seed=1,
                                                                       direction="mean"),
            "population: S = mu": fisher.population_fld_symbolic(2, direction="mean")}
for label, p in controls.items():
    print(f"control {label}: proved = {p.proved}")
    assert not p.proved
assert fisher.singular_when_n_le_d(2, 2)        # det Sigma_hat = 0 identically when N <= d

# %% [markdown]
# ### B5: the quadratic case explicitly (App. C.4)
# Along a unit direction with projected moments $\hat\mu, \hat\sigma$:
# $E[(gv - a)^2] = (g\hat\mu - a)^2 + g^2\hat\sigma^2$, minimised at
# $g^* = a\hat\mu/(\hat\mu^2+\hat\sigma^2)$, mean logit $\mu^* = a/(1+r^2)$, minimum
# $a^2/(1+1/r^2)$, increasing in $r = \hat\sigma/\hat\mu$. A wrong minimum must fail.

# %%
b5 = fisher.quadratic_explicit()
for label, ok in b5.items():
    print(f"{label}: {ok}")
assert all(b5.values())
wrong = fisher.quadratic_explicit(claimed_min=lambda a, r: a**2 / (1 + r**2))
assert not wrong["min loss = a^2/(1+1/r^2) = a^2 r^2/(1+r^2)"]

# %% [markdown]
# ### B9: the alignment law cancels $\sigma_n$ from the Gaussian accuracy (Eqs. 4-5)
# A unit $S = \rho e_1 + \sqrt{1-\rho^2}e_\perp$ has signed logit
# $N(\rho\mu_f, \rho^2\sigma_f^2 + (1-\rho^2)\sigma_n^2)$, so
# $A = \tfrac12[1+\mathrm{erf}(\rho\mu_f/\sqrt{2(\rho^2\sigma_f^2+(1-\rho^2)\sigma_n^2)})]$;
# with $\rho = 1/\sqrt{1+(C/\sigma_n)^2}$ this is
# $\tfrac12[1+\mathrm{erf}(\mu_f/\sqrt{2(\sigma_f^2+C^2)})]$. A different $\sigma_n$-dependence
# of $\rho$ must not cancel.

# %%
from proofs_check import invariance as b9  # noqa: E402

show("Eq. 5 with Eq. 4", sp.simplify(b9.accuracy_eq5(b9.alignment_law())))
cancel = b9.cancellation()
control = b9.cancellation(1 / sp.sqrt(1 + b9.C / b9.SIGMA_N))
print(cancel[1], f"(spot {cancel[2]:.1e}) | control proved: {control.proved}, "
      f"spot {control[2]:.2e}")
assert cancel.proved and cancel[2] < 1e-45 and not control.proved and control[2] > 1e-6

# %% [markdown]
# ### B13: quadratic logit regularisation is a data-dependent Tikhonov penalty
# $\frac{\alpha}{N}\sum_i(S\cdot x_i)^2 = \alpha S^\top\tilde\Sigma S$,
# $\tilde\Sigma = \frac1N\sum_i x_ix_i^\top$ (non-centred; weight decay is
# $\tilde\Sigma\propto I$). The centred covariance misses $\alpha(S\cdot\hat\mu)^2$.

# %%
from proofs_check import tikhonov  # noqa: E402

tik = tikhonov.tikhonov_identity(3, 2)
print(tik[1])
assert tik.proved and tikhonov.multiclass_identity(3, 2, 3)
assert not tikhonov.tikhonov_identity(3, 2, covariance="centred").proved
print("50-digit relative difference on random data:", tikhonov.tikhonov_numeric(0))
assert tikhonov.tikhonov_numeric(0) < 1e-45
