r"""First module imported by the worker pool's fork server (:mod:`core.pool`), never by an
ordinary process: one thread per numeric library before the server imports any of them.

The fork server is a fresh interpreter whose workers inherit its environment and its
loaded libraries. OpenBLAS, OpenMP and rayon read their thread counts once, when they
load or first build their pools, so the variables must be set here, before the other
preloaded modules import NumPy or SciPy; the server then stays single-threaded, which is
what makes forking workers from it safe.
"""

import os

from core.pool import THREAD_VARIABLES

for _name in THREAD_VARIABLES:
    os.environ[_name] = "1"
