r"""The sweep database: one SQLite file, one row per grid point and seed.

Guarantees
----------
* **Atomic per point.** Each finished point is one ``INSERT`` in its own transaction;
  a kill (``SIGKILL``, power loss with ``synchronous=NORMAL`` aside) leaves either the
  whole row or nothing. The journal is SQLite's write-ahead log (WAL).
* **Never duplicated, never overwritten.** The primary key is the point key (hash of the
  full configuration and code version, :mod:`numerics.sweep.spec`); a successful row is
  never replaced, a failed one is replaced only by a later outcome (``--resume`` retries
  failures).
* **Concurrent writers.** Several processes may write to the same file (two sweeps
  resuming the same database, say): SQLite serialises the writes, ``busy_timeout`` makes
  them wait instead of failing, and the upsert makes a point computed twice harmless.
* **Foreign files refused.** The file carries ``PRAGMA application_id`` = ``LRSW`` and a
  schema version in ``user_version``; a non-SQLite file, another application's database,
  a newer schema or a file failing ``PRAGMA quick_check`` is refused with our error
  before anything is written to it.

WAL needs a local filesystem (it shares memory between processes through the ``-shm``
file); put the database on a local disk, not on NFS.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from pathlib import Path

from core.errors import InvalidParameterError

from numerics.sweep.spec import canonical_json

__all__ = ["SweepStore", "open_store", "APPLICATION_ID", "SCHEMA_VERSION"]

#: ``PRAGMA application_id``: the bytes "LRSW" (logitreg sweep), big-endian.
APPLICATION_ID = int.from_bytes(b"LRSW", "big")
SCHEMA_VERSION = 1
#: Seconds a writer waits for another writer's lock before giving up.
BUSY_TIMEOUT = 60.0
_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, finished REAL,
    status TEXT NOT NULL, spec TEXT NOT NULL, code_version TEXT NOT NULL,
    executor TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL);
CREATE TABLE points (
    key TEXT PRIMARY KEY, experiment TEXT NOT NULL, config TEXT NOT NULL,
    outputs TEXT NOT NULL, seed INTEGER NOT NULL, code_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    result TEXT, error TEXT, seconds REAL, worker TEXT, run_id INTEGER,
    finished REAL NOT NULL);
CREATE INDEX points_status ON points(status);
"""

_UPSERT = """
INSERT INTO points (key, experiment, config, outputs, seed, code_version, status, result,
                    error, seconds, worker, run_id, finished)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET
    status = excluded.status, result = excluded.result, error = excluded.error,
    seconds = excluded.seconds, worker = excluded.worker, run_id = excluded.run_id,
    finished = excluded.finished
WHERE points.status = 'error'
"""


def _refuse(path, why):
    return InvalidParameterError(f"sweep database {str(path)!r} {why}")


def _precheck(path: Path):
    """Cheap header check before SQLite touches the file (it must not write to a foreign
    one). Returns True if the file exists with content."""
    if path.is_dir():
        raise _refuse(path, "is a directory")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size == 0:
        return False
    with open(path, "rb") as handle:
        head = handle.read(100)
    if len(head) < 100 or not head.startswith(_MAGIC):
        raise _refuse(path, "is not a logitreg sweep database (not an SQLite file)")
    app = int.from_bytes(head[68:72], "big")
    if app not in (0, APPLICATION_ID):
        raise _refuse(path, f"belongs to another application (SQLite application_id "
                            f"{app:#010x}, ours is {APPLICATION_ID:#010x}); refusing to write to it")
    return True


class SweepStore:
    """An open sweep database (use :func:`open_store`)."""

    def __init__(self, conn, path):
        self.conn = conn
        self.path = path

    # ----------------------------------------------------------------- writes
    def record(self, point, outcome: dict, run_id=None) -> None:
        """Write one finished point atomically (own transaction)."""
        self.conn.execute(_UPSERT, (
            point.key, point.experiment, canonical_json(point.config),
            canonical_json(list(point.outputs)), point.seed, outcome["code_version"],
            outcome["status"],
            None if outcome.get("result") is None else json.dumps(outcome["result"],
                                                                  sort_keys=True),
            outcome.get("error"), outcome.get("seconds"), outcome.get("worker"), run_id,
            time.time()))

    def begin_run(self, spec_dict, version, executor) -> int:
        cur = self.conn.execute(
            "INSERT INTO runs (started, status, spec, code_version, executor, host, pid) "
            "VALUES (?, 'running', ?, ?, ?, ?, ?)",
            (time.time(), canonical_json(spec_dict), version, executor, socket.gethostname(),
             os.getpid()))
        return cur.lastrowid

    def end_run(self, run_id, status) -> None:
        self.conn.execute("UPDATE runs SET finished = ?, status = ? WHERE id = ?",
                          (time.time(), status, run_id))

    # ----------------------------------------------------------------- reads
    def done_keys(self) -> set:
        """Keys of the points computed successfully (those a resume skips)."""
        return {k for (k,) in self.conn.execute("SELECT key FROM points WHERE status = 'ok'")}

    def count(self, status=None) -> int:
        if status is None:
            return self.conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM points WHERE status = ?",
                                 (status,)).fetchone()[0]

    def rows(self, keys=None) -> list:
        """All points as dicts (config, result parsed), ordered by key (stable)."""
        cur = self.conn.execute(
            "SELECT key, experiment, config, outputs, seed, code_version, status, result, "
            "error, seconds, worker, run_id, finished FROM points ORDER BY key")
        names = [c[0] for c in cur.description]
        out = []
        wanted = None if keys is None else set(keys)
        for row in cur:
            rec = dict(zip(names, row))
            if wanted is not None and rec["key"] not in wanted:
                continue
            rec["config"] = json.loads(rec["config"])
            rec["outputs"] = json.loads(rec["outputs"])
            rec["result"] = None if rec["result"] is None else json.loads(rec["result"])
            out.append(rec)
        return out

    def runs(self) -> list:
        cur = self.conn.execute("SELECT id, started, finished, status, spec, code_version, "
                                "executor, host, pid FROM runs ORDER BY id")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _initialise_or_verify(conn, path, create):
    """Inside one IMMEDIATE transaction (so two processes creating the same file at once
    cannot both initialise it): create the schema on an empty file, else verify it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app == 0:
            if tables:
                raise _refuse(path, "is an SQLite database not created by logitreg sweep "
                                    f"(tables: {', '.join(sorted(tables))}); refusing to write to it")
            if not create:
                raise _refuse(path, "is empty (no sweep has been written to it)")
            # One statement at a time: executescript would COMMIT the open transaction.
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("INSERT INTO meta VALUES ('created', ?)", (str(time.time()),))
            conn.execute("COMMIT")
            return False
        if app != APPLICATION_ID:
            raise _refuse(path, f"belongs to another application (application_id {app:#010x})")
        if version != SCHEMA_VERSION:
            raise _refuse(path, f"has schema version {version}; this logitreg reads version "
                                f"{SCHEMA_VERSION}")
        missing = {"meta", "runs", "points"} - tables
        if missing:
            raise _refuse(path, f"is corrupted: missing table(s) {', '.join(sorted(missing))}")
        conn.execute("COMMIT")
        return True
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def open_store(path, *, create: bool = True) -> SweepStore:
    """Open (or, with ``create``, create) a sweep database, refusing foreign or corrupted
    files with :class:`core.errors.InvalidParameterError`.

    ``path=":memory:"`` gives a private in-memory store (for in-process grids).
    """
    if str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        _initialise_or_verify(conn, path, True)
        return SweepStore(conn, ":memory:")
    path = Path(path)
    existed = _precheck(path)
    if not existed and not create:
        raise _refuse(path, "does not exist")
    if not path.parent.is_dir():
        raise _refuse(path, "cannot be created: its directory does not exist")
    conn = None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        existed = _initialise_or_verify(conn, path, create)
        if existed:
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
            if problems != ["ok"]:
                raise _refuse(path, f"is corrupted (SQLite quick_check: {problems[0]})")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise _refuse(path, f"cannot use write-ahead logging (journal mode {mode!r})")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.OperationalError as exc:
        if conn is not None:
            conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise _refuse(path, f"is locked by another process for more than "
                                f"{BUSY_TIMEOUT:g} s ({exc})") from None
        raise _refuse(path, f"is corrupted or unreadable ({exc})") from None
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise _refuse(path, f"is corrupted or not a sweep database ({exc})") from None
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    return SweepStore(conn, str(path))
