r"""Models: the data distributions of the theory as seeded samplers: ``signal_noise``
(binary signal plus noise), ``multiclass`` (simplex means plus noise), ``gaussian``
(Gaussian populations)."""
