r"""What every layer shares, with no NumPy or SymPy at import: the exception types
(:mod:`core.errors`), declared-constraint validation, the claim contract (result record,
catalogue, declaration: :mod:`core.claims`), atomic file output (:mod:`core.files`), the
worker pool, the package and code versions (:mod:`core.version`) and lazy public names
(:mod:`core.lazy`). Nothing here imports another package of this project."""
