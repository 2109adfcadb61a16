r"""Reading a user's embeddings and labels, checking them, and making the probe's split
(docs/theory.md §5, "Probe your own features").

Features are an (N, d) float array, labels N hashable values (ints, strings, ...), each
from ``.npy``, ``.npz`` (the first array, or the one named ``features``/``labels``),
``.csv`` (numbers; a header row is skipped; a label file may have one column of text)
or ``.parquet`` (all columns; needs ``pyarrow``). Every problem raises
:class:`core.errors.InvalidParameterError` naming the file or value, before anything is
computed or written.

The split is the setting of §5: a stratified train/test split (or the user's test files),
features standardised with the training mean and standard deviation, features that are
constant on the training set dropped. The probe needs the regime of the theory,
:math:`\lambda = d/N < 1`, and a non-singular within-class scatter for the Fisher
discriminant, :math:`N - K \ge d`; both are checked on the training set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from core.errors import InvalidParameterError

__all__ = ["ProbeData", "load_array", "prepare"]

_SUFFIXES = (".npy", ".npz", ".csv", ".parquet")


def _csv(path, what):
    import csv

    with open(path, newline="") as handle:
        rows = [r for r in csv.reader(handle) if r and any(c.strip() for c in r)]
    if not rows:
        raise InvalidParameterError(f"The {what} file {path!r} is empty.")

    def numeric(row):
        try:
            [float(c) for c in row]
            return True
        except ValueError:
            return False

    if not numeric(rows[0]) and len(rows) > 1 and (numeric(rows[1]) or what == "labels"):
        rows = rows[1:]  # a header row
    if what == "labels":
        if any(len(r) != 1 for r in rows):
            raise InvalidParameterError(
                f"The labels file {path!r} must have one column. Got rows of "
                f"{sorted({len(r) for r in rows})} columns instead.")
        col = [r[0].strip() for r in rows]
        return np.array([float(c) for c in col]) if numeric(col) else np.array(col)
    if any(len(r) != len(rows[0]) for r in rows):
        raise InvalidParameterError(f"The features file {path!r} has rows of different lengths.")
    try:
        return np.array([[float(c) for c in r] for r in rows])
    except ValueError as exc:
        raise InvalidParameterError(
            f"The features file {path!r} must hold numbers only: {exc}.") from None


def _parquet(path, what):
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - the parquet extra
        raise InvalidParameterError(
            f"Reading {path!r} needs pyarrow: pip install 'logitreg[parquet]'.") from None
    table = pq.read_table(path)
    cols = [table.column(i).to_numpy(zero_copy_only=False) for i in range(table.num_columns)]
    if what == "labels":
        if len(cols) != 1:
            raise InvalidParameterError(
                f"The labels file {path!r} must have one column. Got {len(cols)} instead.")
        return np.asarray(cols[0])
    if len(cols) == 1 and cols[0].dtype == object:  # one list-valued column of vectors
        return np.array([np.asarray(v, dtype=float) for v in cols[0]])
    return np.column_stack(cols)


def load_array(path, what: str = "features") -> np.ndarray:
    r"""The array stored in ``path`` (``what`` is ``"features"`` or ``"labels"``)."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in _SUFFIXES:
        raise InvalidParameterError(
            f"The {what} file must end in one of {', '.join(_SUFFIXES)}. Got {path!r} instead.")
    if not os.path.isfile(path):
        raise InvalidParameterError(f"The {what} file {path!r} does not exist.")
    try:
        if suffix == ".csv":
            return _csv(path, what)
        if suffix == ".parquet":
            return _parquet(path, what)
        obj = np.load(path, allow_pickle=False)
        if suffix == ".npz":
            names = list(obj.files)
            if not names:
                raise InvalidParameterError(f"The {what} file {path!r} holds no array.")
            return np.asarray(obj[what if what in names else names[0]])
        return np.asarray(obj)
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidParameterError):
            raise
        raise InvalidParameterError(f"Cannot read the {what} file {path!r}: {exc}") from None


def _features(X, name):
    X = np.asarray(X)
    if X.ndim == 1:
        raise InvalidParameterError(
            f"The {name!r} array must be 2-D (N samples x d features). Got shape {X.shape}; "
            "reshape one feature with X.reshape(-1, 1).")
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise InvalidParameterError(
            f"The {name!r} array must be 2-D (N samples x d features). Got shape {X.shape}.")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise InvalidParameterError(
            f"The {name!r} array must be numeric. Got dtype {X.dtype} instead.")
    X = X.astype(np.float64)
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InvalidParameterError(
            f"The {name!r} array must be finite. Got {X[i, j]!r} at row {i}, column {j} "
            f"({int(bad.sum())} non-finite entries).")
    return X


def _labels(y, n, name):
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.ravel()
    if y.ndim != 1 or y.shape[0] != n:
        raise InvalidParameterError(
            f"The {name!r} array must hold one label per sample: {n} labels for {n} rows of "
            f"features. Got shape {y.shape} instead.")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise InvalidParameterError(f"The {name!r} array holds NaN or infinite labels.")
    return y


@dataclass(frozen=True)
class ProbeData:
    r"""A standardised train/test split for the probe: ``X_train`` (N, d), ``X_test`` (M, d),
    integer labels ``0..K-1`` (``classes[c]`` is the user's label of class ``c``),
    ``kept`` the indices of the features kept (non-constant on train), ``mean``/``scale``
    the standardisation, ``split`` how the test set was made."""

    X_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    classes: tuple
    d_raw: int
    kept: np.ndarray = field(repr=False)
    split: str
    standardized: bool

    @property
    def n(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def d(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def k(self) -> int:
        return len(self.classes)

    @property
    def lam(self) -> float:
        r""":math:`\lambda = d/N` on the training set."""
        return self.d / self.n


def _split(y, test_size, seed):
    from sklearn.model_selection import train_test_split

    idx = np.arange(y.size)
    try:
        return train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    except ValueError as exc:
        raise InvalidParameterError(
            f"Cannot make a stratified split with test_size={test_size!r} of {y.size} "
            f"samples: {exc}") from None


def prepare(X, y, X_test=None, y_test=None, *, test_size: float = 0.5, seed: int = 0,
            standardize: bool = True) -> ProbeData:
    r"""Check features and labels and make the probe's split (module notes).

    >>> rng = np.random.default_rng(0)
    >>> data = prepare(rng.normal(size=(40, 3)), ["a", "b"] * 20)
    >>> data.classes, data.n, data.d
    (('a', 'b'), 20, 3)
    """
    X = _features(X, "features")
    y = _labels(y, X.shape[0], "labels")
    if (X_test is None) != (y_test is None):
        raise InvalidParameterError(
            "Give both test features and test labels, or neither (then test_size splits "
            "the data).")
    if not isinstance(test_size, (int, float)) or not 0.0 < float(test_size) < 1.0:
        raise InvalidParameterError(
            f"The 'test_size' parameter must be a fraction in (0, 1). Got {test_size!r} instead.")
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise InvalidParameterError(
            f"The labels must hold at least two classes. Got only {classes.tolist()!r}.")
    if X_test is None:
        tr, te = _split(codes, float(test_size), seed)
        Xtr, ytr, Xte, yte = X[tr], codes[tr], X[te], codes[te]
        split = f"stratified, test_size={float(test_size):g}, seed={seed}"
    else:
        Xte = _features(X_test, "test features")
        yte_raw = _labels(y_test, Xte.shape[0], "test labels")
        if Xte.shape[1] != X.shape[1]:
            raise InvalidParameterError(
                f"The test features must have the {X.shape[1]} columns of the training "
                f"features. Got {Xte.shape[1]} instead.")
        unknown = sorted(set(np.unique(yte_raw).tolist()) - set(classes.tolist()))
        if unknown:
            raise InvalidParameterError(
                f"The test labels hold classes absent from the training labels: "
                f"{unknown[:5]!r}.")
        Xtr, ytr, Xte = X, codes, Xte
        yte = np.searchsorted(classes, yte_raw)
        split = "user test files"
    counts = np.bincount(ytr, minlength=classes.size)
    if counts.min() < 2:
        raise InvalidParameterError(
            f"Every class needs at least 2 training samples. Class {classes[counts.argmin()]!r} "
            f"has {int(counts.min())}.")
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    kept = np.flatnonzero(sd > 1e-12 * max(1.0, float(np.abs(mu).max())))
    if kept.size == 0:
        raise InvalidParameterError("Every feature is constant on the training set.")
    if standardize:
        Xtr = (Xtr[:, kept] - mu[kept]) / sd[kept]
        Xte = (Xte[:, kept] - mu[kept]) / sd[kept]
    else:
        Xtr, Xte = Xtr[:, kept], Xte[:, kept]
    n, d, k = Xtr.shape[0], kept.size, classes.size
    if d >= n or n - k < d:
        raise InvalidParameterError(
            f"The probe needs more training samples than features (lambda = d/N < 1) and a "
            f"non-singular within-class scatter (N - K >= d). Got N={n} training samples, "
            f"d={d} non-constant features, K={k} classes ({split}). Give more samples, a "
            "smaller test_size, or reduce d (e.g. PCA) first.")
    return ProbeData(np.ascontiguousarray(Xtr), ytr.astype(np.int64),
                     np.ascontiguousarray(Xte), yte.astype(np.int64),
                     tuple(c.item() if hasattr(c, "item") else c for c in classes),
                     int(X.shape[1]), kept, split, bool(standardize))
