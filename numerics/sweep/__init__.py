r"""Resumable parameter sweeps on one machine or a Dask cluster.

A sweep is a spec (:mod:`.spec`: experiment, grid, seeds, outputs), an engine
(:mod:`.engine`: in-process, local process pool or Dask), an SQLite store (:mod:`.store`:
one row per point and seed, keyed by a hash of the configuration and code version) and
exports (:mod:`.export`). ``logitreg sweep`` is the command line.

>>> from numerics.sweep import SweepSpec
>>> spec = SweepSpec.from_dict({"experiment": "threshold", "seeds": 2,
...                             "grid": {"d": 10, "ratio": [0.5, 2.5]}})
>>> spec.size, sorted(p.config["n"] for p in spec.points())
(4, [5, 5, 25, 25])
"""

from numerics.sweep.engine import SweepInterrupted, SweepReport, run_point, run_sweep
from numerics.sweep.experiments import Experiment, Param, get_experiment, list_experiments, register_experiment
from numerics.sweep.export import describe, export, export_csv, export_parquet, result_table
from numerics.sweep.grids import benefit_diagram_sweep, run_grid, sweep_array
from numerics.sweep.spec import Point, SweepSpec, code_version, load_spec
from numerics.sweep.store import SweepStore, open_store

__all__ = ["SweepSpec", "Point", "load_spec", "code_version", "run_sweep", "run_point",
           "SweepReport", "SweepInterrupted", "Experiment", "Param", "get_experiment",
           "list_experiments", "register_experiment", "SweepStore", "open_store",
           "describe", "export", "export_csv", "export_parquet", "result_table",
           "benefit_diagram_sweep", "run_grid", "sweep_array"]
