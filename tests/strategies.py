"""Hypothesis strategies, written once."""

from hypothesis import strategies as st

from theory import list_regularizers

BUILTINS = list_regularizers()

#: alpha in (1e-4, 0.999), log-uniform-ish near 0 where targets grow.
alphas = st.one_of(
    st.floats(min_value=1e-4, max_value=0.999, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-4, max_value=-1, allow_nan=False).map(lambda e: 10.0 ** e),
)
regularizers = st.sampled_from(BUILTINS)
logits = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)
classes = st.integers(min_value=2, max_value=12)
