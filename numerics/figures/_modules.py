"""Imports every figure module (each registers its figures on import)."""

from numerics.figures import clustering, plateau, plateau_toy, sigma_f, train_test_spread  # noqa: F401
from numerics.figures import alignment, asymptotics, benefit, benefit_sweeps, grokking, label_noise, threshold, weight_decay  # noqa: F401
from numerics.figures import multiclass  # noqa: F401
from numerics.figures import implicit_bias  # noqa: F401
from numerics.figures import realdata  # noqa: F401
from numerics.figures import probe  # noqa: F401
