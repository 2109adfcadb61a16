r"""The measurable experiments a sweep spec can name (claims B7, B10 and a generic one).

An experiment is a pure function ``(config, draw_seed, outputs) -> {output: value}`` plus
the declaration of its parameters (type, default, domain) and outputs. The declarations
drive spec validation (:mod:`numerics.sweep.spec`): a bad grid value is refused before
anything runs, with a message naming the parameter and the value.

Random draws. Every experiment on the binary signal-plus-noise model (docs/theory.md §3)

.. math::
    x = y\,\mu_f e_1 + \sigma_f \xi_f e_1 + \sigma_n \xi_\perp

draws the *standardised* variables :math:`(y, \xi_f, \xi_\perp)` from a seed that depends
only on ``(n, d, seed)`` (the ``draw`` parameters; :mod:`numerics.models.seeding`), never
on the amplitudes :math:`\mu_f, \sigma_f, \sigma_n`, on :math:`\alpha` or on the grid
order. So points that differ only in amplitudes see the same draw rescaled (common random
numbers, as in :func:`numerics.claims.benefit.benefit_diagram`): along :math:`\sigma_n`
the regularised accuracy is then flat to solver precision (B9/B10), and the curves show
the dependence itself, not draw-to-draw noise.

Experiments
-----------
``benefit`` (B10)
    Exact Gaussian test accuracy (Eq. 5) of the :math:`\alpha`-minimiser (Newton; at
    :math:`\alpha = 0` the gradient-descent limit: max-margin if separable, else the MLE)
    and of the unregularised direction: :func:`numerics.claims.benefit.benefit_point`.
``threshold`` (B7)
    :math:`\sigma_f = 0`: 1 if the solver generalises perfectly (:math:`S_\perp = 0`),
    else 0: :func:`numerics.claims.threshold.threshold_outcome`.
``accuracy``
    Accuracy of one named solver (``newton``, ``max_margin``, ``unregularised``, ``mle``,
    ``weight_decay``, ``gd``, ``squared``) on one draw.

The defaults of ``benefit`` and ``threshold`` are the claims' (``alpha``, ``gamma``, the
model: :data:`numerics.claims.benefit.ALPHA`, :data:`numerics.claims.threshold.GAMMA`, ...),
typed here as literals only so that importing the sweep package stays cheap (no
SciPy/SymPy); a test checks they agree.

User experiments: decorate a function with :func:`register_experiment` in an importable
module and name it in the spec as ``"package.module:attribute"``.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import numbers
import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from core.errors import InvalidParameterError, InvalidTypeError

from numerics.models.seeding import BINARY_FAMILY
from numerics.sweep.regularizers import normalise_regularizer, regularizer_of

__all__ = ["Param", "Experiment", "REQUIRED", "register_experiment", "get_experiment",
           "list_experiments"]

REQUIRED = object()


def _is_regularizer_value(v) -> bool:
    return isinstance(v, (str, dict))


def _regularizer_constraint():
    from core.validation import _Predicate

    return _Predicate("a regulariser name or a table {f = EXPR[, multiclass = EXPR]}",
                      _is_regularizer_value)


_REGULARIZER_VALUE = _regularizer_constraint()
_KINDS = {"int": int, "float": float, "str": str}


@dataclass(frozen=True)
class Param:
    r"""Declaration of one experiment parameter: kind, default and domain.

    The domain is a :mod:`core.validation` constraint (:attr:`constraint`): an
    :class:`~core.validation.Interval` of ints or finite floats between ``lower`` and
    ``upper`` (open where asked), the ``choices``, or any string; ``check`` is an extra
    test raising ``ValueError``/``TypeError`` (e.g. a known regulariser name).
    ``draw=True`` marks the parameters that key the random draw (see module docstring).
    """

    name: str
    kind: str
    default: object = REQUIRED
    lower: float | None = None
    upper: float | None = None
    lower_open: bool = False
    upper_open: bool = False
    choices: tuple = ()
    draw: bool = False
    check: Callable | None = None
    help: str = ""

    @property
    def constraint(self):
        """The declared domain as a :mod:`core.validation` constraint."""
        from numbers import Integral, Real

        from core.validation import InstanceOf, Interval, Options

        if self.kind == "regularizer":
            return _REGULARIZER_VALUE
        kind = {"int": Integral, "float": Real, "str": str}[self.kind]
        if self.choices:
            return Options(kind, self.choices)
        if kind is str:
            return InstanceOf(str)
        return Interval.bounds(kind, self.lower, self.upper, lower_open=self.lower_open,
                               upper_open=self.upper_open)

    def validate(self, value, where: str):
        """Return ``value`` normalised to the declared kind, or raise our error naming it
        ("The 'n' parameter of <where> must be an int >= 1. Got 2.5 instead.")."""
        from core.validation import validate

        value = validate(self.name, value, self.constraint, where)
        if self.kind == "regularizer":
            try:
                value = normalise_regularizer(value)
            except (ValueError, TypeError) as exc:
                raise InvalidParameterError(
                    f"The {self.name!r} parameter of {where} is not valid: {exc}") from None
        if self.check is not None:
            try:
                self.check(value)
            except (ValueError, TypeError) as exc:
                raise InvalidParameterError(
                    f"The {self.name!r} parameter of {where} is not valid: {exc}") from None
        return value


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: ``function(config, draw_seed, outputs) -> dict``."""

    name: str
    function: Callable = field(repr=False)
    params: tuple
    outputs: tuple
    default_outputs: tuple
    family: str
    description: str = ""
    validate: Callable | None = field(default=None, repr=False)
    prepare: Callable | None = field(default=None, repr=False)

    def param(self, name):
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def draw_params(self) -> tuple:
        return tuple(p.name for p in self.params if p.draw)

    def run(self, config: dict, draw_seed: int, outputs) -> dict:
        """Compute the requested ``outputs`` at one grid point (plain Python values)."""
        result = self.function(config, draw_seed, tuple(outputs))
        return {k: _plain(result.get(k)) for k in outputs}


def _plain(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


_REGISTRY: dict = {}


def register_experiment(name, *, params, outputs, default_outputs=None, family=None,
                        validate=None, prepare=None, description=""):
    """Decorator turning ``fn(config, draw_seed, outputs) -> dict`` into an
    :class:`Experiment` registered under ``name`` (returns the Experiment).

    ``validate(config)`` raises ``ValueError`` for a bad combination of parameters;
    ``prepare(configs)`` imports and compiles what the points need, once, in the parent
    process before a pool forks (so workers start warm).
    """
    def wrap(fn):
        exp = Experiment(name, fn, tuple(params), tuple(outputs),
                         tuple(default_outputs or outputs), family or name,
                         description or (fn.__doc__ or "").strip().split("\n")[0], validate,
                         prepare)
        _REGISTRY[name] = exp
        return exp
    return wrap


def get_experiment(name) -> Experiment:
    """The built-in experiment ``name``, or ``"module:attribute"`` imported on demand."""
    if isinstance(name, Experiment):
        return name
    if not isinstance(name, str):
        raise InvalidTypeError(f"experiment must be a string name. Got {name!r} instead.")
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise InvalidParameterError(f"experiment {name!r} cannot be imported: {exc}") from None
        if not isinstance(obj, Experiment):
            raise InvalidParameterError(
                f"experiment {name!r} is not decorated with register_experiment")
        # Stored and sent to workers under its import path, so any process can find it.
        return obj if obj.name == name else dataclasses.replace(obj, name=name)
    raise InvalidParameterError(
        f"unknown experiment {name!r}; choose one of {', '.join(sorted(_REGISTRY))} "
        "or 'package.module:attribute'")


def list_experiments() -> list:
    return sorted(_REGISTRY)


# ---------------------------------------------------------------------- shared pieces
def _check_regularizer(value):
    from theory import get_regularizer

    get_regularizer(regularizer_of(value))


_COMPILE_LOCK = threading.Lock()


def _warm(regularizer):
    """Compile (lambdify) under a lock: Dask runs points in threads, and SymPy's first
    compilation is not thread-safe; afterwards the compiled functions are cached."""
    from numerics.compile.compiled import compile_binary
    from theory import get_regularizer

    with _COMPILE_LOCK:  # the same cache entry as the solvers' compile_binary(reg)
        compile_binary(get_regularizer(regularizer_of(regularizer)))


def _prepare_binary(configs):
    for module in ("numerics.claims.benefit", "numerics.claims.threshold",
                   "numerics.solve.separability", "numerics.solve.binary"):
        importlib.import_module(module)
    for reg in {json.dumps(c.get("regularizer", "quadratic"), sort_keys=True)
                for c in configs}:
        _warm(json.loads(reg))


def _data_params(sigma_f_default=0.5):
    return (
        Param("n", "int", REQUIRED, lower=1, draw=True, help="samples N"),
        Param("d", "int", REQUIRED, lower=2, draw=True, help="dimension d"),
        Param("mu_f", "float", 1.0, help="signal mean"),
        Param("sigma_f", "float", sigma_f_default, lower=0.0, help="signal-direction noise"),
        Param("sigma_n", "float", 1.0, lower=0.0, lower_open=True, help="orthogonal noise"),
    )


_REG = Param("regularizer", "regularizer", "quadratic", check=_check_regularizer,
             help="built-in name or {f = EXPR[, multiclass = EXPR]}")


def _draw(config, draw_seed, *, sigma_f=None):
    from numerics.models.signal_noise import binary_signal_noise

    return binary_signal_noise(
        config["n"], config["d"], mu_f=config["mu_f"],
        sigma_f=config["sigma_f"] if sigma_f is None else sigma_f,
        sigma_n=config["sigma_n"], label_noise=config.get("label_noise", 0.0), seed=draw_seed)


def _accuracy(S, config):
    from numerics.models.accuracy import gaussian_accuracy

    return gaussian_accuracy(S, mu_f=config["mu_f"], sigma_f=config["sigma_f"],
                             sigma_n=config["sigma_n"])


def _unregularised(U):
    from numerics.claims.invariance import unregularised_direction

    return unregularised_direction(U)


# ---------------------------------------------------------------------- B10
@register_experiment(
    "benefit",
    params=_data_params() + (Param("alpha", "float", 0.4, lower=0.0, upper=1.0, upper_open=True),
                             _REG),
    outputs=("accuracy", "accuracy_unregularised", "alignment", "separable"),
    default_outputs=("accuracy", "accuracy_unregularised"),
    family=BINARY_FAMILY, prepare=_prepare_binary)
def benefit_point(config, draw_seed, outputs):
    r"""B10 point: exact Gaussian accuracy (Eq. 5) of the :math:`\alpha`-minimiser and of
    the unregularised (gradient-descent limit) direction on one draw --
    :func:`numerics.claims.benefit.benefit_point`, the function ``check_b10`` calls.

    ``accuracy`` at :math:`\alpha > 0` is the Newton minimiser of the logit-regularised
    loss; at :math:`\alpha = 0` it is the unregularised direction itself (max-margin if
    separable, else the MLE), so a grid over ``alpha = [0, 0.4]`` with
    ``outputs = ["accuracy"]`` gives both B10 curves without solving any max-margin QP
    twice. ``alignment`` is :math:`\rho = S_1/\|S\|` of that solution.
    """
    from numerics.claims.benefit import benefit_point as point

    if config["alpha"] != 0.0:
        _warm(config["regularizer"])
    return point(config["n"], config["d"], draw_seed, sigma_f=config["sigma_f"],
                 sigma_n=config["sigma_n"], alpha=config["alpha"], mu_f=config["mu_f"],
                 regularizer=regularizer_of(config["regularizer"]), outputs=outputs)


# ---------------------------------------------------------------------- B7
def _threshold_valid(config):
    if config["solver"] == "regularised" and config["alpha"] == 0.0:
        raise InvalidParameterError(
            "threshold: solver='regularised' needs alpha > 0 (alpha=0.0 is solver='max_margin')")


@register_experiment(
    "threshold",
    params=(Param("n", "int", REQUIRED, lower=1, draw=True),
            Param("d", "int", REQUIRED, lower=2, draw=True),
            Param("mu_f", "float", 1.0),
            Param("sigma_n", "float", 1.0, lower=0.0, lower_open=True),
            Param("alpha", "float", 0.2, lower=0.0, upper=1.0, upper_open=True),
            _REG,
            Param("solver", "str", "regularised",
                  choices=("regularised", "max_margin", "weight_decay")),
            Param("gamma", "float", 0.2, lower=0.0, lower_open=True)),
    outputs=("perfect", "s_perp_ratio"),
    family=BINARY_FAMILY, validate=_threshold_valid, prepare=_prepare_binary)
def threshold_point(config, draw_seed, outputs):
    r"""B7 point (:math:`\sigma_f = 0`): ``perfect`` = 1 if the solution has
    :math:`\|S_\perp\| \le 10^{-8}|S_1|` and :math:`S_1 > 0` (perfect generalisation), else 0;
    ``s_perp_ratio`` is :math:`\|S_\perp\|/S_1` (``None`` if :math:`S_1 \le 0`); both from
    :mod:`numerics.claims.threshold`.

    ``max_margin``: perfect iff the noise parts :math:`u_{i,\perp}` are not linearly
    separable (then the max-margin direction is :math:`e_1`); ``s_perp_ratio`` is not
    computed for it (``None``).
    """
    from numerics.claims.threshold import threshold_outcome

    ds = _draw(dict(config, sigma_f=0.0), draw_seed)
    if config["solver"] == "regularised":
        _warm(config["regularizer"])
    return threshold_outcome(ds.u, config["solver"], alpha=config["alpha"],
                             gamma=config["gamma"],
                             regularizer=regularizer_of(config["regularizer"]))


# ---------------------------------------------------------------------- generic
_SOLVERS = ("newton", "max_margin", "unregularised", "mle", "weight_decay", "gd", "squared")


def _solve(solver, U, config):
    """``(S, gradient_norm or None)`` of the named solver."""
    from numerics.solve import binary, logistic_mle, max_margin, squared, weight_decay

    if solver == "newton":
        _warm(config["regularizer"])
        sol = binary.minimize_binary(U, regularizer_of(config["regularizer"]), config["alpha"])
    elif solver == "gd":
        _warm(config["regularizer"])
        sol = binary.gradient_descent(U, regularizer_of(config["regularizer"]), config["alpha"],
                                      lr=config["eta"], epochs=config["epochs"])
    elif solver == "weight_decay":
        sol = weight_decay.minimize_weight_decay(U, config["gamma"])
    elif solver == "squared":
        sol = squared.minimize_squared(U)
    elif solver == "mle":
        res = logistic_mle.unregularized_mle(U)
        return res.weights, res.gradient_norm
    elif solver == "max_margin":
        return max_margin.max_margin_direction(U).direction, None
    else:
        return _unregularised(U), None
    return sol.coef, sol.gradient_norm


@register_experiment(
    "accuracy",
    params=_data_params(1.0) + (
        Param("label_noise", "float", 0.0, lower=0.0, upper=0.5, upper_open=True),
        Param("solver", "str", "newton", choices=_SOLVERS),
        Param("alpha", "float", 0.2, lower=0.0, upper=1.0, upper_open=True),
        _REG,
        Param("gamma", "float", 0.2, lower=0.0, lower_open=True, help="weight decay"),
        Param("eta", "float", 0.1, lower=0.0, lower_open=True, help="GD learning rate"),
        Param("epochs", "int", 1000, lower=1, help="GD epochs"),
        Param("n_test", "int", 0, lower=0, help="fresh test samples (0: none)")),
    outputs=("accuracy", "train_accuracy", "test_accuracy", "gradient_norm", "S1", "norm"),
    default_outputs=("accuracy", "train_accuracy", "gradient_norm"),
    family=BINARY_FAMILY, prepare=_prepare_binary)
def accuracy_point(config, draw_seed, outputs):
    r"""Accuracy of one solver on one draw: ``accuracy`` is the exact Gaussian population
    accuracy (Eq. 5), ``train_accuracy`` the fraction of :math:`S\cdot u_i > 0`,
    ``test_accuracy`` the same on ``n_test`` fresh samples (``None`` if ``n_test = 0``).
    Solver failures (e.g. ``newton`` at ``alpha = 0`` on separable data) raise, and the
    engine records the point as failed.
    """
    ds = _draw(config, draw_seed)
    S, gnorm = _solve(config["solver"], ds.u, config)
    out = {"accuracy": _accuracy(S, config),
           "train_accuracy": float(np.mean(ds.u @ S > 0)),
           "gradient_norm": gnorm, "S1": float(S[0]), "norm": float(np.linalg.norm(S))}
    if "test_accuracy" in outputs and config["n_test"] > 0:
        test = ds.fresh(config["n_test"], seed=np.random.default_rng([draw_seed, 1]))
        out["test_accuracy"] = float(np.mean(test.u @ S > 0))
    return out
