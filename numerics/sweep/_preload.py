"""Imported once by the local pool's fork server, so that every worker forked from it
starts with the numerics imported and the default regulariser compiled (a worker then
starts in milliseconds instead of re-importing SciPy/SymPy and re-running lambdify).

Nothing here is required: a failure only means the workers do the same work lazily at
their first point, where a genuine error is recorded with that point.
"""

import importlib

for _module in ("numerics.sweep", "numerics.models.signal_noise", "numerics.solve.binary",
                "numerics.solve.separability",
                "numerics.claims.invariance", "numerics.claims.threshold"):
    try:
        importlib.import_module(_module)
    except Exception:  # noqa: BLE001 - see module docstring
        pass

try:
    from numerics.sweep.experiments import _warm

    _warm("quadratic")
except Exception:  # noqa: BLE001
    pass
