r"""Atomic file output: a file is either fully written or untouched (no partial files).

Every file the project writes (figures, reports, exports, JSON, sweep exports, the
derivation cache) goes through :func:`atomic_write_bytes`: the bytes go to a temporary
file in the target's directory, are flushed to disk, and the temporary file is renamed
over the target (``os.replace``, atomic on POSIX). A reader sees the old file or the new
one, never half of one; an error or Ctrl-C leaves no temporary file behind.

Permissions are those of ``open(path, "w")``: ``0o666 & ~umask`` (0644 under the usual
umask 022, 0600 under 077). :func:`tempfile.mkstemp` creates its file 0600 whatever the
umask, so the mode is set explicitly before the rename.
"""

from __future__ import annotations

import errno
import os
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_write_text", "atomic_write_bytes", "current_umask", "default_file_mode"]

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    r"""The process umask, read without changing it where the system allows.

    Linux reports it in ``/proc/self/status`` (``Umask:\t0022``, since 4.7). Elsewhere the
    only portable way is to set a umask and restore it (:func:`os.umask` returns the old
    value); between the two calls another thread creating a file would get the temporary
    umask, so the fallback sets the most restrictive value (0o077) and holds a lock.
    """
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def default_file_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file: ``0o666 & ~umask``."""
    return 0o666 & ~current_umask()


def _parent(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def atomic_write_bytes(path, data: bytes, *, fsync: bool = True) -> None:
    r"""Write ``data`` to ``path`` atomically, with the permissions ``open()`` would give.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace; its directory must exist.
    data : bytes
        The complete contents.
    fsync : bool
        Flush the data to disk before the rename (default). A cache that may lose an
        entry in a power cut can skip it.

    Raises
    ------
    FileNotFoundError
        The directory does not exist (the error names ``path``, not a temporary file).
    OSError
        The directory is not writable, the disk is full, ...; nothing is left behind.
    """
    path = Path(path)
    parent = _parent(path)
    if not parent.is_dir():
        # Name the user's path, not the temporary file we would have created.
        raise FileNotFoundError(errno.ENOENT, "directory does not exist", str(path))
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), default_file_mode())
            else:  # pragma: no cover - Windows before Python 3.13
                os.chmod(tmp, default_file_mode())
            handle.write(data)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path, text: str) -> None:
    """:func:`atomic_write_bytes` of ``text`` encoded as UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"))
