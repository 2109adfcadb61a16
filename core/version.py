r"""Versions: the package version and the code version that keys every cached or stored
result (sweep points), so nothing computed by other code is ever reused."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__all__ = ["__version__", "code_version", "ROOT"]

__version__ = "0.1.0"

#: The repository (or installed source) root holding ``core/``, ``theory/``, ``numerics/``.
ROOT = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``__version__`` plus a hash of the sources of ``core/``, ``theory/`` and
    ``numerics/`` and of the NumPy/SciPy/SymPy versions: the version that enters every
    sweep point key, so a resumed sweep never reuses points computed by different code
    (and a Dask worker running other code is detected)."""
    import numpy
    import scipy
    import sympy

    h = hashlib.sha256()
    for package in ("core", "theory", "numerics"):
        for path in sorted((ROOT / package).rglob("*.py")):
            h.update(path.relative_to(ROOT).as_posix().encode())
            h.update(path.read_bytes())
    for module in (numpy, scipy, sympy):
        h.update(f"{module.__name__}={module.__version__}".encode())
    return f"{__version__}+{h.hexdigest()[:12]}"
