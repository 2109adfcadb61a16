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
# # Proportional-limit theory of logit regularisation (claims A0-A5)
#
# Theory: docs/theory.md §7 (A0, A1, A2, A3, A4, A5); the data model and κ in §3.
#
# After the reduction A0 ($v = \kappa e_1 + g$, $\kappa = \mu_f/\sigma_f$) the minimiser
# solves unregularised M-estimation $\min_w \frac1N\sum_i \ell(w\cdot v_i)$. Gordon's
# comparison (CGMT) reduces it to the scalar game
# $\min_{\mu,a}\max_{\gamma} \mathbb E[\mathcal M_\ell(\kappa\mu + \sigma Z;\gamma)] - \lambda a^2/2\gamma$,
# whose stationarity conditions are (E1)-(E3). SymPy derives what they need from $\ell$.

# %%
import math

import sympy as sp

from numerics.asymptotics import predict, separability_threshold
from theory.asymptotics import (KAPPA, LAM, asymptotic_loss, fixed_point_equations,
                                positive_part_moment, prox_condition, square_loss_solution)

loss = asymptotic_loss("quadratic")
print("prox condition:", prox_condition(loss))
for eq in fixed_point_equations(loss):
    sp.pprint(eq)

# %% [markdown]
# ## Square loss: closed form solved symbolically from (E1)-(E3)
# $\rho^2 = \kappa^2(1-\lambda)/(\kappa^2+\lambda)$, the random-matrix result for the FLD.

# %%
sol = square_loss_solution()
print(sol)
assert sp.simplify(sol["rho2"] - KAPPA**2 * (1 - LAM) / (KAPPA**2 + LAM)) == 0

# %% [markdown]
# ## Separability threshold $\lambda_{sep}(\kappa) = \min_c P_2(c\kappa)/(1-c^2)$

# %%
print("P2(m) =", positive_part_moment())
table = {k: separability_threshold(k) for k in (0.0, 0.5, 1.0, 2.0, 4.0)}
print(table)
assert table[0.0] == 0.5 and abs(table[1.0] - 0.270268) < 1e-6

# %% [markdown]
# ## Reference point $\kappa = 2$, $\lambda = 0.5$, $\alpha = 0.2$ (quadratic)
# The fixed point is certified at 30 digits; the square loss is not beaten (A5).

# %%
p = predict("quadratic", 0.2, 0.5, 2.0)
sq = math.sqrt(4 * 0.5 / 4.5)
print(p.cosine, p.accuracy, p.certificate["residual_mp"])
assert p.certificate["certified"]
assert p.cosine <= sq + 1e-12
