r"""Numerics compiled from :mod:`theory`: loss functions, data, solvers, experiments.

Everything numeric is ``lambdify`` of a SymPy expression derived in ``theory``.
``numerics.solve.binary.gradient_descent`` (the paper's recipe, returning a
:class:`Solution`; estimator back-end) and ``numerics.solve.gradient_descent.gradient_descent``
(recorded training dynamics) are distinct; the latter is re-exported here as
:func:`train_gradient_descent`.
"""

from core.lazy import lazy_attributes

# Public names resolve lazily (PEP 562): `import numerics` stays cheap, so the command line
# (e.g. `logitreg theory accuracy`) does not pay for scikit-learn or clarabel it never uses.
_LAZY = {
    "numerics.solve._mpsolve": ("MPSolution", "certify_binary", "minimize_binary_mp"),
    "numerics.compile.compiled": ("T_MAX", "CompiledBinary", "CompiledMulticlass", "compile_binary",
                                  "compile_multiclass", "lambdify_mpmath", "lambdify_numpy"),
    "numerics.models.signal_noise": ("BinaryDataset", "binary_signal_noise"),
    "numerics.models.multiclass": ("MulticlassDataset", "multiclass_signal_noise",
                                   "simplex_means"),
    "numerics.models.gaussian": ("GaussianPopulation", "gaussian_population"),
    "numerics.solve.gradient_descent": ("Trajectory", "log_epoch_grid"),
    "numerics.solve.multiclass_gradient_descent": ("MulticlassTrajectory",
                                                   "multiclass_gradient_descent"),
    "numerics.solve.estimator": ("LogitRegularizedClassifier", "MaxMarginClassifier"),
    "numerics.solve.separability": ("cover_probability", "is_linearly_separable",
                                    "is_multiclass_separable"),
    "numerics.solve.max_margin": ("max_margin_direction",),
    "numerics.solve.multiclass_max_margin": ("multiclass_max_margin",),
    "numerics.solve.logistic_mle": ("unregularized_mle",),
    "numerics.solve.population": ("population_loss", "population_loss_mp", "population_minimizer"),
    "numerics.solve.solution": ("Solution",),
    "numerics.solve.binary": ("minimize_binary",),
    "numerics.solve.multiclass": ("minimize_multiclass",),
    "numerics.solve.squared": ("minimize_squared", "minimize_squared_multiclass"),
    "numerics.solve.weight_decay": ("minimize_weight_decay",),
}
_WHERE = {name: (module, name) for module, names in _LAZY.items() for name in names}
_WHERE["train_gradient_descent"] = ("numerics.solve.gradient_descent", "gradient_descent")
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _WHERE)


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
