r"""Seeds keyed by what a draw depends on (the sweep engine's convention; claim B10).

A draw of a data model is seeded from a hash of its *draw parameters* (e.g. ``n`` and
``d``), the model family and a seed number only -- never from the amplitudes
(:math:`\mu_f, \sigma_f, \sigma_n`), the regulariser or a grid order. Points that differ
only in amplitudes therefore see the same standardised draw rescaled (common random
numbers), and a point computes the same numbers in a check, a figure or a sweep worker.
"""

from __future__ import annotations

import hashlib
import json

__all__ = ["BINARY_FAMILY", "canonical_json", "draw_seed"]

#: Family name of the binary signal-plus-noise draws (:func:`numerics.models.signal_noise.binary_signal_noise`).
BINARY_FAMILY = "binary_signal_noise"


def canonical_json(obj) -> str:
    """Deterministic JSON (sorted keys, shortest float repr, no NaN) used for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def draw_seed(family: str, seed: int, draw: dict) -> int:
    r"""The 63-bit seed of the draw of ``family`` with draw parameters ``draw`` (e.g.
    ``{"n": 200, "d": 140}``) and seed number ``seed``: the first 8 bytes of the SHA-256 of
    their canonical JSON, shifted right by one.

    >>> draw_seed(BINARY_FAMILY, 0, {"n": 10, "d": 5}) == draw_seed(BINARY_FAMILY, 0, {"d": 5, "n": 10})
    True
    """
    key = {"family": family, "seed": seed, **draw}
    return int.from_bytes(hashlib.sha256(canonical_json(key).encode()).digest()[:8], "big") >> 1
