r"""Sweep specifications: a TOML file or a dict naming an experiment, a grid and seeds.

.. code-block:: toml

    name = "b10_small"
    experiment = "benefit"          # see numerics.sweep.experiments
    seeds = 3                       # 0, 1, 2  (or an explicit list [0, 5, 9])
    outputs = ["accuracy"]          # optional; default: the experiment's defaults

    [grid]                          # scalar = fixed, list = axis, table = range
    n = 200
    lam = 0.7                       # d = round(lam * n)   (or ratio = N/d)
    sigma_n = {geomspace = [0.1, 6.0, 25]}
    sigma_f = [0.2, 0.5]
    alpha = [0.0, 0.4]

Ranges: ``{linspace = [a, b, num]}``, ``{geomspace = [a, b, num]}`` (both rounded to 12
significant digits so that a point's key does not depend on the last bit of NumPy's
arithmetic) and ``{range = [start, stop, step]}`` (integers, ``stop`` excluded).

The grid is the Cartesian product of the axes in the order written, seeds innermost.
Each :class:`Point` is identified by a key, the SHA-256 of its full configuration (every
parameter with its default filled in, the seed, the outputs), the experiment and the
code version: a point is computed once per code version, whatever the spec that named it.
Its random draw is seeded from a hash of the draw parameters and the seed only, so it
never depends on the grid order or on the worker that runs it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InvalidParameterError, InvalidTypeError
from core.version import code_version

from numerics.models.seeding import canonical_json, draw_seed
from numerics.sweep.experiments import REQUIRED, get_experiment

__all__ = ["SweepSpec", "Point", "load_spec", "code_version", "canonical_json"]

_TOP_KEYS = ("name", "experiment", "description", "seeds", "outputs", "grid")
#: Grid conveniences resolved into n and d: lam = d/N, ratio = N/d.
_SHAPE_KEYS = ("lam", "ratio")


def _sha(obj) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


@dataclass(frozen=True)
class Point:
    """One grid point and seed: what a worker needs to compute it, and its key."""

    experiment: str
    config: dict
    outputs: tuple
    key: str
    draw_seed: int

    @property
    def seed(self) -> int:
        return self.config["seed"]

    def task(self) -> tuple:
        """Picklable payload for a worker."""
        return (self.experiment, self.config, self.outputs, self.draw_seed)


def make_point(experiment, config, outputs, version) -> Point:
    exp = get_experiment(experiment)
    key = _sha({"experiment": exp.name, "config": config, "outputs": sorted(outputs),
                "code_version": version})
    seed = draw_seed(exp.family, config["seed"], {k: config[k] for k in exp.draw_params})
    return Point(exp.name, config, tuple(outputs), key, seed)


def _round12(x) -> float:
    return float(f"{float(x):.12g}")


def _axis(name, value, where):
    """The list of values of one grid entry (scalar, list or range table)."""
    if isinstance(value, list):
        if not value:
            raise InvalidParameterError(f"{where}: grid axis {name!r} is an empty list")
        seen = set()
        for v in value:
            marker = canonical_json(v) if not isinstance(v, (list, dict)) else repr(v)
            if marker in seen:
                raise InvalidParameterError(f"{where}: grid axis {name!r} repeats the value {v!r}")
            seen.add(marker)
        return value
    if isinstance(value, dict) and name == "regularizer":
        return [value]   # a regulariser table {f = EXPR, ...} (numerics.sweep.regularizers)
    if isinstance(value, dict):
        if len(value) != 1:
            raise InvalidParameterError(
                f"{where}: grid range {name}={value!r} must have exactly one of "
                "linspace, geomspace, range")
        (kind, args), = value.items()
        if kind not in ("linspace", "geomspace", "range"):
            raise InvalidParameterError(
                f"{where}: grid range {name}={value!r}: unknown range {kind!r}; use linspace, "
                "geomspace or range")
        if not (isinstance(args, list) and len(args) == 3):
            raise InvalidParameterError(
                f"{where}: grid range {name}={value!r} needs [start, stop, num_or_step]")
        if kind == "range":
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in args) or args[2] == 0:
                raise InvalidParameterError(
                    f"{where}: grid range {name}={value!r} needs integers with step != 0")
            out = list(range(*args))
        else:
            a, b, num = args
            if not (isinstance(num, int) and num >= 1):
                raise InvalidParameterError(
                    f"{where}: grid range {name}={value!r}: num={num!r} must be an integer >= 1")
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                       and math.isfinite(x) for x in (a, b)):
                raise InvalidParameterError(
                    f"{where}: grid range {name}={value!r}: start and stop must be finite numbers")
            if kind == "geomspace" and (a <= 0 or b <= 0):
                raise InvalidParameterError(
                    f"{where}: grid range {name}={value!r}: geomspace needs start, stop > 0")
            fn = np.linspace if kind == "linspace" else np.geomspace
            out = [_round12(x) for x in fn(a, b, num)]
        if not out:
            raise InvalidParameterError(f"{where}: grid range {name}={value!r} is empty")
        return out
    return [value]


def _resolve_shape(cfg, where):
    """Turn lam = d/N or ratio = N/d into the missing one of n, d."""
    given = [k for k in _SHAPE_KEYS if k in cfg]
    if not given:
        return cfg
    if len(given) > 1:
        raise InvalidParameterError(f"{where}: give at most one of lam, ratio (got both)")
    key = given[0]
    value = cfg.pop(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
            or not math.isfinite(value):
        raise InvalidParameterError(f"{where}: {key}={value!r} must be a positive number")
    has_n, has_d = "n" in cfg, "d" in cfg
    if has_n == has_d:
        raise InvalidParameterError(
            f"{where}: {key}={value!r} needs exactly one of n, d in the grid "
            f"(got {'both' if has_n else 'neither'})")
    d_over_n = value if key == "lam" else 1.0 / value
    if has_n:
        cfg["d"] = max(2, int(round(d_over_n * cfg["n"])))
    else:
        cfg["n"] = max(2, int(round(cfg["d"] / d_over_n)))
    return cfg


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: experiment, grid axes (ordered), seeds and outputs."""

    name: str
    experiment: str
    axes: tuple  # ((param, [values...]), ...)
    seeds: tuple
    outputs: tuple
    description: str = ""
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, data, *, source="<dict>", default_name="sweep") -> "SweepSpec":
        r"""Validate a spec given as a mapping (the parsed TOML, or built in Python)."""
        where = f"sweep spec {source}"
        if not isinstance(data, dict):
            raise InvalidTypeError(f"{where}: must be a table/dict. Got {type(data).__name__}")
        unknown = sorted(set(data) - set(_TOP_KEYS))
        if unknown:
            raise InvalidParameterError(
                f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(_TOP_KEYS)}")
        if "experiment" not in data:
            raise InvalidParameterError(f"{where}: missing 'experiment'")
        exp = get_experiment(data["experiment"])
        name = data.get("name", default_name)
        if not isinstance(name, str) or not name:
            raise InvalidParameterError(f"{where}: name={name!r} must be a non-empty string")
        seeds = data.get("seeds", 1)
        if isinstance(seeds, int) and not isinstance(seeds, bool):
            if seeds < 1:
                raise InvalidParameterError(f"{where}: seeds={seeds!r} must be >= 1 (a count) "
                                            "or a list of seeds")
            seeds = list(range(seeds))
        if not (isinstance(seeds, list) and seeds and all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)):
            raise InvalidParameterError(
                f"{where}: seeds={seeds!r} must be a count >= 1 or a non-empty list of ints >= 0")
        if len(set(seeds)) != len(seeds):
            raise InvalidParameterError(f"{where}: seeds={seeds!r} repeats a seed")
        outputs = data.get("outputs", list(exp.default_outputs))
        if isinstance(outputs, str) or not isinstance(outputs, list) or not outputs:
            raise InvalidParameterError(f"{where}: outputs={outputs!r} must be a non-empty list")
        for o in outputs:
            if o not in exp.outputs:
                raise InvalidParameterError(
                    f"{where}: unknown output {o!r} of experiment {exp.name!r}; choose from "
                    f"{', '.join(exp.outputs)}")
        grid = data.get("grid", {})
        if not isinstance(grid, dict):
            raise InvalidTypeError(f"{where}: grid={grid!r} must be a table")
        valid = [p.name for p in exp.params] + list(_SHAPE_KEYS)
        axes = []
        for key, value in grid.items():
            if key not in valid or key == "seed":
                raise InvalidParameterError(
                    f"{where}: unknown grid parameter {key!r} for experiment {exp.name!r}; "
                    f"valid: {', '.join(valid)}")
            values = _axis(key, value, where)
            p = exp.param(key)
            if p is not None:
                values = [p.validate(v, where) for v in values]
            axes.append((key, values))
        spec = cls(name, exp.name, tuple(axes), tuple(seeds),
                   tuple(dict.fromkeys(outputs)), str(data.get("description", "")), source)
        for _ in spec.configs():  # cross-parameter checks fail here, before anything runs
            pass
        return spec

    def configs(self):
        """Full configurations (defaults filled in, seed included), grid order."""
        exp = get_experiment(self.experiment)
        where = f"sweep spec {self.source}"
        names = [k for k, _ in self.axes]
        for combo in itertools.product(*(v for _, v in self.axes)):
            cfg = _resolve_shape(dict(zip(names, combo)), where)
            full = {}
            for p in exp.params:
                if p.name in cfg:
                    full[p.name] = p.validate(cfg[p.name], where)
                elif p.default is REQUIRED:
                    raise InvalidParameterError(
                        f"{where}: experiment {exp.name!r} needs grid parameter {p.name!r}")
                else:
                    full[p.name] = p.default
            if exp.validate is not None:
                try:
                    exp.validate(full)
                except (ValueError, TypeError) as exc:
                    raise InvalidParameterError(f"{where}: {exc}") from None
            for s in self.seeds:
                yield dict(full, seed=s)

    def points(self, version=None) -> list:
        """Every :class:`Point` of the sweep (duplicates, e.g. from lam and d, merged)."""
        version = code_version() if version is None else version
        out = {}
        for cfg in self.configs():
            pt = make_point(self.experiment, cfg, self.outputs, version)
            out.setdefault(pt.key, pt)
        return list(out.values())

    @property
    def size(self) -> int:
        return math.prod(len(v) for _, v in self.axes) * len(self.seeds)

    def as_dict(self) -> dict:
        """Round-trips through :meth:`from_dict` (stored with each run)."""
        return {"name": self.name, "experiment": self.experiment,
                "description": self.description, "seeds": list(self.seeds),
                "outputs": list(self.outputs), "grid": {k: list(v) for k, v in self.axes}}


def load_spec(path) -> SweepSpec:
    """Read and validate a TOML spec file (stdlib :mod:`tomllib`)."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise InvalidParameterError(f"sweep spec {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise InvalidParameterError(f"sweep spec {str(path)!r} is a directory") from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidParameterError(f"sweep spec {str(path)!r} is not valid TOML: {exc}") from None
    return SweepSpec.from_dict(data, source=repr(str(path)), default_name=path.stem)
