r"""scikit-learn compatible classifiers built on the exact solvers.

* :class:`LogitRegularizedClassifier` -- minimises the logit-regularised loss
  :math:`\frac1N\sum_i (1-\alpha)\ell_{CE} + \alpha f` exactly (binary: signed logit
  :math:`t_i = y_i(S\cdot x_i + b)`, claims B1-B13; :math:`K \ge 3`: the multiclass loss
  of docs/theory.md §4, claims M1-M7), or the squared per-sample loss (claims B4, M3, M4).
* :class:`MaxMarginClassifier` -- the hard-margin SVM that gradient descent on
  cross-entropy converges to in direction (:math:`\alpha = 0`, claims B7, G1); on
  non-separable data it falls back to the soft margin with a large ``C``.

``LogitRegularizedClassifier`` takes a built-in name, a :class:`theory.Regularizer` or a
binary expression string, fits a bias by default, and accepts ``sample_weight`` (the
weighted mean of the per-sample loss, :mod:`numerics.solve.weighted`).

Both declare their parameters in ``_parameter_constraints`` (scikit-learn's convention,
checked by :func:`core.validation.validate` at ``fit``) and validate their data with
scikit-learn's ``validate_data``; every failure is raised as this project's
:class:`core.errors.InvalidParameterError` / :class:`core.errors.InvalidTypeError`
(subclasses of ``ValueError`` / ``TypeError``), quoting the bad value.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse, special
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from theory import Regularizer, from_expression, list_regularizers
from core.errors import ConvergenceError, InvalidParameterError, InvalidTypeError
from core.validation import (ALPHA_RANGE, COUNT, POSITIVE, Boolean, InstanceOf, Options,
                             _Predicate, validate)

from numerics.solve.binary import gradient_descent, minimize_binary
from numerics.solve.multiclass import gradient_descent_multiclass, minimize_multiclass
from numerics.solve.solution import Solution
from numerics.solve.squared import minimize_squared, minimize_squared_multiclass
from numerics.solve.weighted import (minimize_binary_weighted, minimize_multiclass_weighted,
                                     minimize_squared_weighted)

__all__ = ["LogitRegularizedClassifier", "MaxMarginClassifier"]


#: A regulariser given as a binary expression (anything but a plain name): parsed by
#: :func:`theory.from_expression` at ``fit``, whose error names what is wrong (not even, ...).
_EXPRESSION = _Predicate("a binary expression in t such as 't**4 + t**2'",
                         lambda v: isinstance(v, str) and not v.isidentifier())


def _resolve_regularizer(value):
    """A built-in name or a :class:`theory.Regularizer` as is; an expression parsed."""
    if isinstance(value, str) and value not in list_regularizers():
        return from_expression(value)
    return value


def _validate_params(est):
    """Check the constructor parameters against ``_parameter_constraints``."""
    for name, constraints in est._parameter_constraints.items():
        validate(name, getattr(est, name), constraints, type(est).__name__)


def _validate_X(est, X, *, reset):
    try:
        return validate_data(est, X, reset=reset, dtype=np.float64)
    except TypeError as err:
        raise InvalidTypeError(str(err)) from err
    except ValueError as err:
        raise InvalidParameterError(str(err)) from err


def _validate_Xy(est, X, y):
    try:
        X, y = validate_data(est, X, y, dtype=np.float64)
        check_classification_targets(y)
    except TypeError as err:
        raise InvalidTypeError(str(err)) from err
    except ValueError as err:
        raise InvalidParameterError(str(err)) from err
    classes, y_idx = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise InvalidParameterError(
            f"{type(est).__name__} needs samples of at least 2 classes; got 1 class "
            f"({classes[0]!r}) instead.")
    return X, y_idx, classes


class _LinearClassifier(ClassifierMixin, BaseEstimator):
    """Shared prediction code: ``coef_`` (n_outputs, d), ``intercept_`` (n_outputs,)."""

    def decision_function(self, X):
        r"""Logits :math:`Xw + b`: shape ``(n,)`` for two classes (positive means
        ``classes_[1]``), ``(n, K)`` otherwise."""
        check_is_fitted(self)
        X = _validate_X(self, X, reset=False)
        z = X @ self.coef_.T + self.intercept_
        return z[:, 0] if z.shape[1] == 1 else z

    def predict(self, X):
        """Class labels: sign of the logit (binary) or its arg-max."""
        z = self.decision_function(X)
        idx = (z > 0).astype(int) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]

    def _set_coef(self, coef, intercept):
        self.coef_ = np.atleast_2d(np.asarray(coef, dtype=float))
        self.intercept_ = np.atleast_1d(np.asarray(intercept, dtype=float)).copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class LogitRegularizedClassifier(_LinearClassifier):
    r"""Linear classifier minimising the logit-regularised loss exactly.

    .. math::
        L = \frac1N\sum_{i}\Bigl[(1-\alpha)\log\bigl(1+e^{-t_i}\bigr) + \alpha f(t_i)\Bigr],
        \qquad t_i = y_i(S\cdot x_i + b)

    for two classes (claims B1-B13), and
    :math:`(1-\alpha)(\operatorname{lse}(z_i) - z_{i,y_i}) + \alpha f(z_i)`,
    :math:`z_i = Wx_i + b`, for :math:`K \ge 3` (claims M1-M7).

    Parameters
    ----------
    regularizer : str or theory.Regularizer, default="quadratic"
        A name from :func:`theory.list_regularizers`, a user-defined
        :class:`theory.Regularizer`, or a binary expression such as ``"log(cosh(t))"``
        (parsed by :func:`theory.from_expression`; binary problems only, unless the
        ``Regularizer`` carries a multiclass form).
    alpha : float in [0, 1), default=0.2
        Regularisation strength; 0 is plain cross-entropy (no minimiser on separable
        data: :class:`theory.ConvergenceError`).
    loss : {"logit_regularized", "squared"}, default="logit_regularized"
        ``"squared"``: the per-sample loss :math:`(t - t^*)^2` (binary) or
        :math:`\|z - q e_c\|^2` (multiclass) with :math:`t^* = q =` ``target``, solved in
        closed form (claims B4, B5, M3, M4); ``regularizer``, ``alpha`` and ``solver``
        are then unused.
    target : float > 0, default=1.0
        :math:`t^*` / :math:`q` of the squared loss. The direction does not depend on it.
    fit_intercept : bool, default=True
        Fit a bias, as scikit-learn's linear classifiers do (on iris with standardised
        features and label smoothing at alpha=0.01, 5-fold accuracy 0.980 with the bias
        against 0.827 without). The theory has none (docs/theory.md §1): pass
        ``fit_intercept=False`` for the claims' setting. With a bias, the minimum-norm
        solution is taken over :math:`(S, b)` jointly.
    solver : {"newton", "gd", "mpmath"}, default="newton"
        ``"newton"``: exact (gradient norm <= ``tol``); ``"gd"``: the paper's full-batch
        gradient descent from zero, ``max_iter`` epochs at ``learning_rate`` (a
        ``ConvergenceWarning`` if the gradient norm is still above ``tol``);
        ``"mpmath"``: binary only, Newton at 50 digits started from the float64 solution.
    tol : float > 0, default=1e-10
        Gradient-norm tolerance.
    max_iter : int >= 1, default=100
        Newton steps, or GD epochs.
    learning_rate : float > 0, default=0.1
        GD step size (``solver="gd"`` only).

    Attributes
    ----------
    coef_ : ndarray of shape (1, d) or (K, d)
    intercept_ : ndarray of shape (1,) or (K,)
    classes_ : ndarray of shape (K,)
    n_iter_ : int
        Newton steps (summed over stages for MaxSup), GD epochs, or 1 for the closed-form
        squared loss.
    gradient_norm_ : float
    solution_ : numerics.solve.solution.Solution

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.choice([-1, 1], 200)
    >>> X = y[:, None] * np.array([1.0, 0.0]) + rng.normal(size=(200, 2))
    >>> clf = LogitRegularizedClassifier(alpha=0.2).fit(X, y)
    >>> clf.score(X, y) > 0.8, clf.gradient_norm_ <= 1e-10
    (True, True)
    """

    _parameter_constraints = {
        "regularizer": [Options(str, list_regularizers()), InstanceOf(Regularizer),
                        _EXPRESSION],
        "alpha": [ALPHA_RANGE],
        "loss": [Options(str, ("logit_regularized", "squared"))],
        "target": [POSITIVE],
        "fit_intercept": [Boolean()],
        "solver": [Options(str, ("newton", "gd", "mpmath"))],
        "tol": [POSITIVE],
        "max_iter": [COUNT],
        "learning_rate": [POSITIVE],
    }

    def __init__(self, regularizer="quadratic", alpha=0.2, loss="logit_regularized",
                 target=1.0, fit_intercept=True, solver="newton", tol=1e-10, max_iter=100,
                 learning_rate=0.1):
        self.regularizer = regularizer
        self.alpha = alpha
        self.loss = loss
        self.target = target
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.learning_rate = learning_rate

    def fit(self, X, y, sample_weight=None):
        r"""Fit to ``X`` (n, d) and labels ``y`` (two or more classes).

        ``sample_weight`` (n,), non-negative: minimise the weighted mean
        :math:`\sum_i w_i \ell_i / \sum_i w_i` of the per-sample loss (an integer weight
        is a repetition, 0 drops the sample; :mod:`numerics.solve.weighted`). Equal
        weights are the unweighted fit, bit for bit.
        """
        _validate_params(self)
        X, y_idx, self.classes_ = _validate_Xy(self, X, y)
        k = self.classes_.size
        if k > 2 and self.solver == "mpmath":
            raise InvalidParameterError(
                f"solver='mpmath' supports two classes only. Got {k} classes instead.")
        alpha, tol = float(self.alpha), float(self.tol)
        self._reg = _resolve_regularizer(self.regularizer)
        w = self._weights(sample_weight, X)
        if w is not None:
            return self._fit_weighted(X, y_idx, k, w, alpha, tol)
        if k == 2:
            d = X.shape[1]
            Xa = np.hstack([X, np.ones((X.shape[0], 1))]) if self.fit_intercept else X
            U = np.where(y_idx == 1, 1.0, -1.0)[:, None] * Xa
            sol = self._fit_binary(U, alpha, tol)
            coef, b = sol.coef[:d], (sol.coef[d] if self.fit_intercept else 0.0)
            self._set_coef(coef[None, :], [b])
        else:
            sol = self._fit_multiclass(X, y_idx, k, alpha, tol)
            self._set_coef(sol.coef, sol.intercept)
        return self._finish(sol)

    def _finish(self, sol):
        self.solution_ = sol
        self.n_iter_ = max(int(sol.iterations), 1)  # 1 for a closed form (one solve)
        self.gradient_norm_ = float(sol.gradient_norm)
        return self

    def _weights(self, sample_weight, X):
        """Validated weights, or ``None`` when they are absent or all equal (then the
        unweighted solvers run: the same minimiser, the same bits)."""
        if sample_weight is None:
            return None
        try:
            w = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                     ensure_non_negative=True)
        except ValueError as err:
            raise InvalidParameterError(str(err)) from err
        if not w.sum() > 0:
            raise InvalidParameterError(
                f"sample_weight must have a positive sum. Got {sample_weight!r} instead.")
        if np.all(w == w[0]):
            return None
        if self.solver != "newton":
            raise InvalidParameterError(
                f"sample_weight needs solver='newton'. Got solver={self.solver!r} instead.")
        return w

    def _fit_weighted(self, X, y_idx, k, w, alpha, tol):
        keep = w > 0
        X, y_idx, w = X[keep], y_idx[keep], w[keep]
        d, fit_b = X.shape[1], bool(self.fit_intercept)
        if k == 2:
            s = np.where(y_idx == 1, 1.0, -1.0)
            Xa = np.hstack([X, np.ones((X.shape[0], 1))]) if fit_b else X
            if self.loss == "squared":
                sol = minimize_squared_weighted(s[:, None] * Xa, np.full(len(s), float(
                    self.target)), w)
            else:
                sol = minimize_binary_weighted(s[:, None] * Xa, self._reg, alpha, w, tol=tol,
                                               max_iter=self.max_iter)
            self._set_coef(sol.coef[None, :d], [sol.coef[d] if fit_b else 0.0])
        elif self.loss == "squared":
            sol = minimize_squared_weighted(X, float(self.target) * np.eye(k)[y_idx], w,
                                            fit_intercept=fit_b)
            self._set_coef(sol.coef[:d].T, sol.coef[d] if fit_b else np.zeros(k))
        else:
            sol = minimize_multiclass_weighted(X, y_idx, self._reg, alpha, w, n_classes=k,
                                               fit_intercept=fit_b, tol=tol,
                                               max_iter=self.max_iter)
            self._set_coef(sol.coef, sol.intercept)
        return self._finish(sol)

    def _fit_binary(self, U, alpha, tol):
        if self.loss == "squared":
            return minimize_squared(U, float(self.target))
        if self.solver == "newton":
            return minimize_binary(U, self._reg, alpha, tol=tol, max_iter=self.max_iter)
        if self.solver == "gd":
            sol = gradient_descent(U, self._reg, alpha, lr=float(self.learning_rate),
                                   epochs=self.max_iter)
            self._warn_gd(sol, tol)
            return sol
        from numerics.solve._mpsolve import minimize_binary_mp

        start = minimize_binary(U, self._reg, alpha, tol=tol, max_iter=self.max_iter)
        mp = minimize_binary_mp(U, self._reg, alpha, start=start)
        return Solution(mp.coef, 0.0, start.loss, float(mp.gradient_norm),
                                start.iterations + mp.iterations, "mpmath", start.rank)

    def _fit_multiclass(self, X, y_idx, k, alpha, tol):
        fit_b = bool(self.fit_intercept)
        if self.loss == "squared":
            return minimize_squared_multiclass(X, y_idx, float(self.target), n_classes=k,
                                               fit_intercept=fit_b)
        if self.solver == "gd":
            sol = gradient_descent_multiclass(
                X, y_idx, self._reg, alpha, n_classes=k, fit_intercept=fit_b,
                lr=float(self.learning_rate), epochs=self.max_iter)
            self._warn_gd(sol, tol)
            return sol
        return minimize_multiclass(X, y_idx, self._reg, alpha, n_classes=k,
                                   fit_intercept=fit_b, tol=tol, max_iter=self.max_iter)

    @staticmethod
    def _warn_gd(sol, tol):
        if sol.gradient_norm > tol:
            warnings.warn(f"gradient descent stopped after {sol.iterations} epochs at gradient "
                          f"norm {sol.gradient_norm:.3e} > tol {tol:g}; use solver='newton' "
                          f"for the exact minimiser", ConvergenceWarning, stacklevel=3)

    def predict_proba(self, X):
        r"""Softmax of the logits (:math:`\sigma(z)` for two classes). With
        :math:`\alpha > 0` the logits cluster at the target (claim B1), so these are
        *not* calibrated probabilities."""
        z = self.decision_function(X)
        if z.ndim == 1:
            p = special.expit(z)
            return np.column_stack([1 - p, p])
        return special.softmax(z, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably."""
        z = self.decision_function(X)
        if z.ndim == 1:
            return np.column_stack([special.log_expit(-z), special.log_expit(z)])
        return special.log_softmax(z, axis=1)


class MaxMarginClassifier(_LinearClassifier):
    r"""Hard-margin linear SVM without bias (the :math:`\alpha = 0` limit, claims B7, G1).

    Binary: :math:`\min\|w\|^2` s.t. :math:`y_i w\cdot x_i \ge 1`; :math:`K \ge 3`
    (Crammer--Singer): :math:`\min\|W\|_F^2` s.t.
    :math:`(w_{y_i} - w_k)\cdot x_i \ge 1` for all :math:`k \ne y_i`, solved by
    :func:`numerics.solve.max_margin.max_margin_direction` (clarabel QP, polished on the active
    set) on the label-absorbed samples or on Kesler's vectors.

    **Non-separable data** (no feasible point): the soft margin
    :math:`\min \frac12\|W\|^2 + C\sum_i\xi_i` s.t. margins :math:`\ge 1-\xi_i`,
    :math:`\xi\ge0` with the large ``C`` (default 1e4), which equals the hard margin
    whenever that exists and :math:`C \ge \max_i \lambda_i` (the dual variables).
    ``separable_`` records which case applied.

    Parameters
    ----------
    C : float > 0, default=1e4
        Soft-margin penalty used only on non-separable data.
    fit_intercept : bool, default=False
        Append a constant feature (the bias is then penalised like a weight).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]])
    >>> clf = MaxMarginClassifier().fit(X, [1, 1, 0, 0])
    >>> np.round(clf.coef_, 6).tolist(), clf.separable_
    ([[0.5, 1.0]], True)
    """

    _parameter_constraints = {
        "C": [POSITIVE],
        "fit_intercept": [Boolean()],
    }

    def __init__(self, C=1e4, fit_intercept=False):
        self.C = C
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        """Fit the (hard, or on non-separable data soft) max-margin classifier."""
        _validate_params(self)
        X, y_idx, self.classes_ = _validate_Xy(self, X, y)
        k, d = self.classes_.size, X.shape[1]
        Xa = np.hstack([X, np.ones((X.shape[0], 1))]) if self.fit_intercept else X
        w, self.separable_ = _max_margin(Xa, y_idx, k, float(self.C))
        Wa = w.reshape(1 if k == 2 else k, Xa.shape[1])
        b = Wa[:, d] if self.fit_intercept else np.zeros(Wa.shape[0])
        self._set_coef(Wa[:, :d], b)
        self.n_iter_ = 1
        return self


def _max_margin(Xa, y_idx, k, C):
    r"""``(vec W, separable)``: :func:`numerics.solve.max_margin.max_margin_direction` on the
    label-absorbed rows (binary) or Kesler's vectors (:math:`K \ge 3`); when it reports
    them not separable (infeasible QP), :func:`_soft_margin_qp`."""
    from numerics.solve.max_margin import max_margin_direction
    from numerics.solve.separability import kesler_vectors

    n = Xa.shape[0]
    if k == 2:
        rows, owner = np.where(y_idx == 1, 1.0, -1.0)[:, None] * Xa, np.arange(n)
    else:
        rows, owner = kesler_vectors(Xa, y_idx, k), np.repeat(np.arange(n), k - 1)
    try:
        return max_margin_direction(rows).weights, True
    except (InvalidParameterError, ConvergenceError):
        pass  # not separable (the hard-margin QP is infeasible): soft margin
    return _soft_margin_qp(rows, owner, n, C), False


def _soft_margin_qp(rows, owner, n, C):
    r"""Soft margin by clarabel over :math:`(w, \xi)`:
    :math:`\min \frac12\|w\|^2 + C\sum_i\xi_i` s.t. :math:`r_j\cdot w + \xi_{o(j)} \ge 1`,
    :math:`\xi \ge 0` (constraint ``j`` belongs to sample ``owner[j]``)."""
    import clarabel

    m, p = rows.shape
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = 1e-10
    E = sparse.csc_matrix((np.ones(m), (np.arange(m), owner)), shape=(m, n))
    A = sparse.vstack([sparse.hstack([sparse.csc_matrix(-rows), -E]),
                       sparse.hstack([sparse.csc_matrix((n, p)), -sparse.identity(n)])]).tocsc()
    P = sparse.block_diag([sparse.identity(p), sparse.csc_matrix((n, n))], format="csc")
    q = np.concatenate([np.zeros(p), np.full(n, C)])
    b = np.concatenate([-np.ones(m), np.zeros(n)])
    res = clarabel.DefaultSolver(P, q, A, b, [clarabel.NonnegativeConeT(m + n)],
                                 settings).solve()
    if res.status not in (clarabel.SolverStatus.Solved, clarabel.SolverStatus.AlmostSolved):
        raise ConvergenceError(f"soft-margin QP failed: clarabel status {res.status}")
    return np.array(res.x[:p])
