r"""Solve: exact minimisers (Newton with analytic Hessians, certified by residuals),
max-margin solvers, gradient-descent dynamics, population minimisers, the estimator."""
