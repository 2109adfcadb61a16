r"""Compile: NumPy and mpmath functions ``lambdify``-ed from the derivations of
:mod:`theory` (loss, derivatives, stationarity, targets), on stable primitives."""
