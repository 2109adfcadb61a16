r"""Numerics compiled from :mod:`theory`: loss functions, data, solvers, experiments.

Everything numeric is ``lambdify`` of a SymPy expression derived in ``theory``.
``numerics.solvers.gradient_descent`` (estimator back-end) and
``numerics.dynamics.gradient_descent`` (recorded training dynamics) are distinct; the
latter is re-exported here as :func:`train_gradient_descent`.
"""

from ._mpsolve import MPSolution, certify_binary, minimize_binary_mp
from .compiled import (T_MAX, CompiledBinary, CompiledMulticlass, compile_binary,
                       compile_multiclass, lambdify_mpmath, lambdify_numpy)
from .data import (BinaryDataset, GaussianPopulation, MulticlassDataset, binary_signal_noise,
                   gaussian_population, multiclass_signal_noise, simplex_means)
from .dynamics import Trajectory, MulticlassTrajectory, log_epoch_grid, multiclass_gradient_descent
from .dynamics import gradient_descent as train_gradient_descent
from .estimator import LogitRegularizedClassifier, MaxMarginClassifier
from .maxmargin import (cover_probability, is_linearly_separable, is_multiclass_separable,
                        max_margin_direction, multiclass_max_margin, unregularized_mle)
from .population import population_loss, population_loss_mp, population_minimizer
from .solvers import (Solution, minimize_binary, minimize_multiclass, minimize_squared,
                      minimize_squared_multiclass, minimize_weight_decay)

__all__ = [
    "T_MAX", "CompiledBinary", "CompiledMulticlass", "compile_binary", "compile_multiclass",
    "lambdify_mpmath", "lambdify_numpy",
    "BinaryDataset", "MulticlassDataset", "GaussianPopulation", "binary_signal_noise",
    "multiclass_signal_noise", "gaussian_population", "simplex_means",
    "Trajectory", "MulticlassTrajectory", "log_epoch_grid", "train_gradient_descent",
    "multiclass_gradient_descent",
    "LogitRegularizedClassifier", "MaxMarginClassifier",
    "cover_probability", "is_linearly_separable", "is_multiclass_separable",
    "max_margin_direction", "multiclass_max_margin", "unregularized_mle",
    "population_loss", "population_loss_mp", "population_minimizer",
    "Solution", "minimize_binary", "minimize_multiclass", "minimize_squared",
    "minimize_squared_multiclass", "minimize_weight_decay",
    "MPSolution", "certify_binary", "minimize_binary_mp",
]
