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
# # Derivations of every built-in logit regulariser (THEORY.md §1, §4)
#
# Per-sample loss $\ell(t) = (1-\alpha)\,\mathrm{softplus}(-t) + \alpha f(t)$. The
# stationarity condition $\ell'(t)=0$ is linear in $\alpha$, so
# $\alpha(t^*) = \ell_{CE}'(t^*) / (\ell_{CE}'(t^*) - f'(t^*))$. This notebook prints each
# derived expression and asserts what it shows (it runs in CI as a script).

# %%
import sympy as sp

from numerics import compile_binary, compile_multiclass
from theory import ALPHA, derive_binary, derive_multiclass, list_regularizers, properties

for name in list_regularizers():
    d = derive_binary(name)
    print(f"== {name}")
    sp.pprint(sp.Eq(sp.Symbol("l"), d.loss))
    sp.pprint(sp.Eq(sp.Symbol("alpha"), d.alpha_of_target))
    print("t*(alpha) =", d.target_closed_form or "implicit (monotone inverse of alpha(t*))")
    for key, prop in properties(name).items():
        print(f"  {key}: {prop.value} ({prop.how})")

# %% [markdown]
# ## Closed forms SymPy finds: label smoothing and MaxSup
# Label smoothing: $t^* = \log((2-\alpha)/\alpha)$; MaxSup: $t^* = \log((2-3\alpha)/\alpha)$
# for $\alpha < 1/2$, pinned at $t^*=0$ above (the kink of $|t|/2$).

# %%
assert sp.simplify(derive_binary("label_smoothing").target_closed_form
                   - sp.log((2 - ALPHA) / ALPHA)) == 0
assert derive_binary("maxsup").alpha_max == sp.Rational(1, 2)
assert compile_binary("maxsup").target(0.6) == 0.0

# %% [markdown]
# ## The quadratic target has no closed form; THEORY.md quotes $t^*(0.2) \approx 0.674832$

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
    sp.pprint(sp.Eq(sp.Symbol("g*"), m.gap_closed_form))
    assert sp.simplify(m.gap_closed_form - sp.log(1 + k * (1 - ALPHA) / ALPHA)) == 0
    qh, ql = compile_multiclass("quadratic", k).targets(0.2)
    print(f"quadratic K={k}: q_high={qh:.6f}, q_low={ql:.6f}")
    assert abs(qh + (k - 1) * ql) < 1e-14
