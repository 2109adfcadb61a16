r"""A disk cache for symbolic derivations.

Deriving a regulariser (limits, simplifications, closed-form inversion) costs 0.5-3 s of
SymPy per form, paid again by every command-line call. The results are pure functions of
the regulariser's definition and of this package's source code, so they are cached as
pickles keyed by both: any edit to a file of :mod:`theory` invalidates every entry.

Location: ``$LOGITREG_CACHE_DIR`` or ``$XDG_CACHE_HOME/logitreg`` (default
``~/.cache/logitreg``); ``LOGITREG_CACHE_DIR=off`` disables it. A missing, unwritable or
corrupted cache is never an error: the derivation is simply recomputed (and an unreadable
entry replaced). Entries are written atomically, so concurrent processes are safe.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import sympy as sp

__all__ = ["disk_cached", "cache_dir", "CODE_VERSION"]


def _code_version() -> str:
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update(sp.__version__.encode())
    return h.hexdigest()[:16]


#: Hash of this package's sources and the SymPy version: part of every cache key.
CODE_VERSION = _code_version()


def cache_dir() -> Path | None:
    """The cache directory, or ``None`` when caching is disabled."""
    env = os.environ.get("LOGITREG_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "logitreg"


def _key_part(value) -> str:
    # A Regularizer is identified by its definition, not by its name alone.
    if hasattr(value, "binary") and hasattr(value, "source"):
        return repr(("Regularizer", value.name, sp.srepr(value.binary), value.source))
    if isinstance(value, sp.Basic):
        return sp.srepr(value)
    return repr(value)


def disk_cached(fn):
    """Cache ``fn(*args)`` on disk (see module docstring); ``fn`` must be pure."""

    @functools.wraps(fn)
    def wrapper(*args):
        directory = cache_dir()
        if directory is None:
            return fn(*args)
        key = "|".join([fn.__module__, fn.__qualname__, CODE_VERSION]
                       + [_key_part(a) for a in args])
        path = directory / CODE_VERSION / (hashlib.sha256(key.encode()).hexdigest() + ".pkl")
        try:
            stored_key, result = pickle.loads(path.read_bytes())
            if stored_key == key:
                return result
        except Exception:  # missing, truncated, foreign or stale: recompute
            pass
        result = fn(*args)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((key, result), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
            try:
                os.unlink(tmp)
            except (OSError, NameError):
                pass
        return result

    return wrapper
