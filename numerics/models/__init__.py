r"""Models: the data distributions of the theory (signal plus noise, Gaussian
populations, multiclass simplex means) as seeded samplers."""
