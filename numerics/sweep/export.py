r"""Read a sweep database back: flat tables, CSV and Parquet export, a text summary.

One row per point and seed; columns: ``key, experiment, status, seed``, then the
configuration parameters, then the outputs, then ``error, seconds, code_version,
worker``. Files are written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections import defaultdict

from core.errors import InvalidParameterError

from numerics.sweep.store import open_store

__all__ = ["result_table", "export_csv", "export_parquet", "export", "describe"]

_HEAD = ("key", "experiment", "status", "seed")
_TAIL = ("error", "seconds", "code_version", "worker")


def _param_order(name):
    from numerics.sweep.experiments import _REGISTRY

    exp = _REGISTRY.get(name)  # built-ins only: export never imports user modules
    return [p.name for p in exp.params] if exp is not None else []


def _columns(rows):
    config, outputs = {}, {}
    for name in dict.fromkeys(r["experiment"] for r in rows):
        for k in _param_order(name):
            config.setdefault(k, None)
    for r in rows:
        for k in r["config"]:
            if k != "seed":
                config.setdefault(k, None)
        for k in r["outputs"]:
            outputs.setdefault(k, None)
    clash = set(config) & set(outputs) | (set(config) | set(outputs)) & set(_HEAD + _TAIL)
    if clash:
        raise InvalidParameterError(f"sweep columns collide: {sorted(clash)}")
    return list(config), list(outputs)


def result_table(db) -> tuple:
    """``(columns, rows)`` of the database ``db`` (a path or an open store), rows as
    tuples in key order; missing values are ``None``."""
    store = open_store(db, create=False) if not hasattr(db, "rows") else db
    try:
        recs = store.rows()
    finally:
        if store is not db:
            store.close()
    config, outputs = _columns(recs)
    present = {k for r in recs for k in r["config"]}
    config = [k for k in config if k in present]
    columns = list(_HEAD) + config + outputs + list(_TAIL)
    rows = []
    for r in recs:
        res = r["result"] or {}
        rows.append(tuple([r["key"], r["experiment"], r["status"], r["seed"]]
                          + [r["config"].get(k) for k in config]
                          + [res.get(k) for k in outputs]
                          + [r["error"], r["seconds"], r["code_version"], r["worker"]]))
    return columns, rows


def export_csv(db, path) -> int:
    """Write the table as CSV (atomically); returns the number of rows."""
    from core.files import atomic_write_text

    columns, rows = result_table(db)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                         for v in row])
    atomic_write_text(path, buf.getvalue())
    return len(rows)


def _arrow_type(pa, values):
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.float64()
    return pa.string()


def export_parquet(db, path) -> int:
    """Write the table as Parquet (pyarrow, typed columns, atomically); returns rows."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidParameterError(
            "Parquet export needs pyarrow: pip install pyarrow") from None
    from core.files import atomic_write_bytes

    columns, rows = result_table(db)
    arrays = []
    for j, name in enumerate(columns):
        values = [r[j] for r in rows]
        typ = _arrow_type(pa, values)
        if typ == pa.string():
            values = [None if v is None else str(v) for v in values]
        elif typ == pa.float64():
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=typ))
    table = pa.Table.from_arrays(arrays, names=columns)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
    return len(rows)


def export(db, path, fmt: str) -> int:
    """Export to ``fmt`` in {"csv", "parquet"}."""
    writers = {"csv": export_csv, "parquet": export_parquet}
    if fmt not in writers:
        raise InvalidParameterError(f"export format {fmt!r} is not one of csv, parquet")
    return writers[fmt](db, path)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def describe(db, *, limit: int = 40) -> str:
    """Text summary: runs, counts, grid axes, failures, outputs averaged over seeds."""
    with open_store(db, create=False) as store:
        recs = store.rows()
        runs = store.runs()
    lines = [f"sweep database {db}"]
    for r in runs:
        spec = json.loads(r["spec"])
        took = f"{r['finished'] - r['started']:.1f} s" if r["finished"] else "-"
        lines.append(f"  run {r['id']}: {spec.get('name')} ({spec.get('experiment')}), "
                     f"{r['status']}, {took}, {r['executor']}, logitreg {r['code_version']}, "
                     f"started {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(r['started']))}")
    ok = sum(r["status"] == "ok" for r in recs)
    lines.append(f"points: {len(recs)} ({ok} ok, {len(recs) - ok} failed)")
    if not recs:
        return "\n".join(lines)
    config, outputs = _columns(recs)
    values = defaultdict(set)
    for r in recs:
        for k in config:
            values[k].add(json.dumps(r["config"].get(k)))
        values["seed"].add(r["seed"])
    axes = [k for k in config if len(values[k]) > 1]
    fixed = [k for k in config if len(values[k]) == 1]
    lines.append("fixed: " + ", ".join(f"{k}={json.loads(next(iter(values[k])))}"
                                       for k in fixed))
    lines.append("axes: " + (", ".join(f"{k} ({len(values[k])} values)" for k in axes) or "-")
                 + f"; seeds: {len(values['seed'])}")
    failed = [r for r in recs if r["status"] != "ok"]
    for r in failed[:5]:
        where = ", ".join(f"{k}={_fmt(r['config'][k])}" for k in axes + ["seed"]
                          if k in r["config"])
        lines.append(f"  failed [{where}]: {r['error']}")
    if len(failed) > 5:
        lines.append(f"  ... {len(failed) - 5} more failed points")
    groups = defaultdict(lambda: defaultdict(list))
    order = []
    for r in recs:
        if r["status"] != "ok":
            continue
        gk = tuple(json.dumps(r["config"].get(k)) for k in axes)
        if gk not in groups:
            order.append(gk)
        for o in outputs:
            v = (r["result"] or {}).get(o)
            if isinstance(v, (int, float)):  # bools average to a fraction
                groups[gk][o].append(float(v))
    order.sort(key=lambda g: [(0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v))
                              for v in map(json.loads, g)])
    header = axes + [f"mean {o}" for o in outputs] + ["n"]
    table = []
    for gk in order[:limit]:
        g = groups[gk]
        means = [sum(g[o]) / len(g[o]) if g[o] else math.nan for o in outputs]
        n = max((len(g[o]) for o in outputs), default=0)
        table.append([_fmt(json.loads(x)) for x in gk] + [_fmt(m) for m in means] + [str(n)])
    widths = [max([len(h)] + [len(row[j]) for row in table]) for j, h in enumerate(header)]
    lines.append("")
    for row in [header] + table:
        lines.append("  ".join(f"{c:>{w}}" for c, w in zip(row, widths)))
    if len(order) > limit:
        lines.append(f"... {len(order) - limit} more rows (export to CSV for all)")
    return "\n".join(lines)
