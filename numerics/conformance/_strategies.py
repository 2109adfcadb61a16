r"""Hypothesis strategies for logit batches and labels (docs/theory.md §8).

``logits(classes)`` draws ``(B, K)`` float64 batches that stress a loss implementation:
exact ties (the row filled with one value, or values drawn from a small pool, so that
several top logits coincide: MaxSup's kink, claim G2), huge magnitudes up to ``max_abs``
(default :math:`10^4`: a naive ``exp`` overflows beyond 709.78), tiny and subnormal
values, and ordinary ones. Shrinking moves towards small batches and simple numbers, so a
failure is reported with a minimal counterexample. ``hypothesis`` is imported lazily: it
is a test-time dependency.
"""

from __future__ import annotations

__all__ = ["logits", "labels", "batches"]

#: Values that make ties, overflow and underflow likely.
SPECIAL_VALUES = (0.0, 1.0, -1.0, 2.0, 1e-300, 5e-324, 30.0, -30.0, 710.0, -710.0)


def _elements(max_abs: float):
    from hypothesis import strategies as st

    special = [v for v in SPECIAL_VALUES if abs(v) <= max_abs] + [max_abs, -max_abs]
    return st.one_of(st.sampled_from(special),
                     st.floats(-max_abs, max_abs, allow_nan=False, allow_infinity=False),
                     st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False))


def logits(classes: int, *, max_batch: int = 4, max_abs: float = 1e4, ties: bool = True):
    r"""Strategy of ``(B, classes)`` float64 arrays, ``1 <= B <= max_batch``, entries in
    :math:`[-\mathrm{max\_abs}, \mathrm{max\_abs}]`; ``ties=True`` adds rows with repeated
    top values (``K`` up to 1000 is fine: rows are built from a few draws)."""
    import numpy as np
    from hypothesis import strategies as st

    elem = _elements(max_abs)

    @st.composite
    def build(draw):
        b = draw(st.integers(1, max_batch))
        rows = []
        for _ in range(b):
            kind = draw(st.sampled_from(("pool", "fill", "free") if ties else ("free", "pool")))
            if kind == "fill":  # one value with a few changed entries: many-way ties
                row = np.full(classes, draw(elem))
                for _ in range(draw(st.integers(0, min(3, classes)))):
                    row[draw(st.integers(0, classes - 1))] = draw(elem)
            elif kind == "pool":  # entries from a small pool: ties among the top logits
                pool = draw(st.lists(elem, min_size=1, max_size=3))
                idx = draw(st.lists(st.integers(0, len(pool) - 1), min_size=classes,
                                    max_size=classes)) if classes <= 64 else \
                    np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(
                        0, len(pool), classes)
                row = np.asarray(pool)[np.asarray(idx)]
            else:
                if classes <= 64:
                    row = np.asarray(draw(st.lists(elem, min_size=classes, max_size=classes)))
                else:  # K up to 1000: a seeded row, scaled by a drawn magnitude
                    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
                    row = np.clip(rng.standard_normal(classes) * abs(draw(elem)),
                                  -max_abs, max_abs)
            rows.append(np.asarray(row, dtype=float))
        return np.stack(rows)

    return build()


def labels(classes: int, batch: int):
    """Strategy of integer label arrays of shape ``(batch,)`` in ``[0, classes)``."""
    import numpy as np
    from hypothesis import strategies as st

    return st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch).map(
        lambda v: np.asarray(v, dtype=np.int64))


def batches(classes: int, **kwargs):
    """Strategy of ``(logits, labels)`` pairs (see :func:`logits`)."""
    from hypothesis import strategies as st

    return logits(classes, **kwargs).flatmap(
        lambda z: st.tuples(st.just(z), labels(classes, z.shape[0])))
