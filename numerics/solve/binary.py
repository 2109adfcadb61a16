r"""Exact minimiser of the empirical binary logit-regularised loss (claims B1, B6, B7, B9),
and the paper's gradient-descent recipe on it.

Binary, no bias (docs/theory.md §1), with :math:`u_i = y_i x_i` the rows of ``U``:

.. math::
    L(S) = \frac1N\sum_{i=1}^N \ell(S\cdot u_i),\qquad
    \nabla L = \tfrac1N U^\top \ell'(US),\qquad
    \nabla^2 L = \tfrac1N U^\top \operatorname{diag}(\ell''(US))\,U .

:func:`minimize_binary` runs Newton's method globalised by Levenberg--Marquardt damping
with an Armijo-type acceptance test (:func:`numerics.solve._newton.damped_newton`) on the
compiled :math:`\ell', \ell''` until :math:`\|\nabla L\|_2 \le 10^{-10}` (and the
estimated remaining Newton step is below :math:`10^{-11}(1+\|S\|)`). :math:`L` only
sees :math:`S` through :math:`US`, so its minimisers form an affine set
:math:`S_0 + \ker U` whenever ``U`` lacks full column rank (always when :math:`N < d`).
We solve in the row space, :math:`S = Q\beta` with :math:`Q` an orthonormal basis of
:math:`\operatorname{row}(U)`, and return the **minimum-norm** minimiser -- the limit
of gradient descent started from zero, whose iterates
:math:`S_{k+1} = S_k - \eta U^\top\ell'(US_k)/N` stay in the row space.

Non-smooth ``f`` (MaxSup) is handed to the kink active-set method of
:mod:`numerics.solve.binary_kink`.
"""

from __future__ import annotations

import numpy as np

from theory import get_regularizer
from core.validation import COUNT, POSITIVE, validate_params

from numerics.compile.compiled import compile_binary
from numerics.solve._inputs import ALPHA, DESIGN, lift, reduce_to_row_space
from numerics.solve._objectives import BinaryObjective, newton
from numerics.solve.binary_kink import solve_kinked
from numerics.solve.gradient_descent import gradient_descent as _run_gd
from numerics.solve.solution import Solution

__all__ = ["minimize_binary", "gradient_descent"]


@validate_params({"U": DESIGN, "alpha": ALPHA, "tol": [POSITIVE], "max_iter": [COUNT]})
def minimize_binary(U, regularizer="quadratic", alpha=0.2, *, tol: float = 1e-10,
                    max_iter: int = 100) -> Solution:
    r"""Exact minimiser of :math:`L(S) = \frac1N\sum_i \ell(S\cdot u_i)` (claims B1, B6, B7).

    Parameters
    ----------
    U : array_like, shape (N, d)
        Rows :math:`u_i = y_i x_i` (labels absorbed).
    regularizer : str or theory.Regularizer
    alpha : float in [0, 1)
        :math:`\alpha = 0` is plain cross-entropy: on separable data there is no
        minimiser and :class:`theory.ConvergenceError` is raised.
    tol : float
        Gradient-norm tolerance (distance to the subdifferential for a kinked ``f``).
    max_iter : int
        Newton steps per stage.

    Returns
    -------
    Solution
        ``coef`` is the minimum-norm minimiser (in the row space of ``U``).

    Raises
    ------
    theory.ConvergenceError
        When no point meeting ``tol`` is found (never returns an unconverged point).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> U = rng.normal(size=(3, 5)) + 1.0           # N < d: every logit reaches t*
    >>> sol = minimize_binary(U, "quadratic", 0.2)
    >>> np.allclose(U @ sol.coef, 0.674832, atol=1e-6), sol.gradient_norm <= 1e-10
    (True, True)
    """
    comp = compile_binary(get_regularizer(regularizer))
    V, Q, rank = reduce_to_row_space(U)
    if not comp.derivation.smooth:
        beta, iters, gnorm, details = solve_kinked(V, comp, alpha, tol, max_iter)
        S = lift(Q, beta)
        obj = BinaryObjective(U, comp.loss, comp.dloss, comp.d2loss, alpha)
        return Solution(S, 0.0, obj.value(S), gnorm, iters, "newton+kink-active-set",
                        rank, details)
    obj = BinaryObjective(V, comp.loss, comp.dloss, comp.d2loss, alpha)
    res = newton(obj, np.zeros(V.shape[1]), tol, max_iter, f"minimize_binary({comp.name!r})")
    return Solution(lift(Q, res.x), 0.0, res.value, res.gradient_norm, res.iterations,
                    "newton", rank)


@validate_params({"U": DESIGN, "alpha": ALPHA, "lr": [POSITIVE], "epochs": [COUNT]})
def gradient_descent(U, regularizer="quadratic", alpha=0.2, *, lr: float = 0.1,
                     epochs: int = 20000, start=None) -> Solution:
    r"""The paper's recipe: full-batch gradient descent
    :math:`S_{k+1} = S_k - \eta\,\nabla L(S_k)` from :math:`S_0 = 0`, a fixed number of
    epochs. A baseline, not a solver: it returns after ``epochs`` steps whatever the
    gradient norm (reported in the result) and never raises for lack of convergence (only,
    via :func:`numerics.solve.gradient_descent.gradient_descent`, if the logits become
    non-finite).
    """
    comp = compile_binary(get_regularizer(regularizer))
    # One GD engine for the project: the recorded dynamics, asked only for the last epoch.
    # Weight-space iteration, as in the paper: the logit-space ("gram") variant is faster
    # but its rounding drifts ~1e-11 from the weight-space iterates over 20,000 epochs.
    traj = _run_gd(U, loss=lambda t: comp.loss(t, alpha), dloss=lambda t: comp.dloss(t, alpha),
                   epochs=epochs, lr=lr, record_at=np.array([epochs]), init=start,
                   method="primal")
    S = np.array(traj.final_weights, dtype=float)
    obj = BinaryObjective(U, comp.loss, comp.dloss, comp.d2loss, alpha)
    g, _ = obj.grad(S)
    return Solution(S, 0.0, obj.value(S), float(np.linalg.norm(g)), epochs, "gd", -1)
