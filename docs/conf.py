r"""Sphinx configuration of the logitreg documentation site (``make docs``).

Sources: ``docs/theory.md`` (the theory document, rendered as it is) and the pages that
``docs/_ext/logitreg_docs.py`` generates at build time into ``docs/_generated/`` from the
code itself -- the claim catalogue and the latest ``logitreg verify --json`` results, the
measured disagreements of ``docs/theory.md`` §9 with their figures, the figure gallery,
the CLI reference (from the argparse parser), the tutorials (the Jupytext notebooks) and
the API reference (numpydoc docstrings). Nothing is downloaded at build time
(no intersphinx): references to NumPy, SymPy, ... types are left as plain text.

Build inputs (``-D name=value`` or the environment variable in brackets):

* ``logitreg_verify_json`` [``LOGITREG_DOCS_VERIFY_JSON``]: results of ``logitreg verify
  --json``; default ``docs/_build/verify.json``, which ``make docs`` writes first (about
  80 s on one core); missing or empty: the claim pages say that no results are available.
* ``logitreg_figures_dir`` [``LOGITREG_DOCS_FIGURES``]: where ``logitreg figure all``
  wrote ``figure_ID.png``; default ``docs/_build/figures``; empty: no images.
* ``logitreg_notebooks_dir`` [``LOGITREG_DOCS_NOTEBOOKS``]: executed notebooks from
  ``make notebooks``; default ``notebooks/_build``; empty or missing: the notebooks are
  rendered from their sources without outputs (they are never executed by Sphinx).
"""

import os
import sys
from pathlib import Path

_DOCS = Path(__file__).resolve().parent
_ROOT = _DOCS.parent
sys.path.insert(0, str(_DOCS / "_ext"))

from core.version import __version__  # noqa: E402


project = "logitreg"
author = "the logitreg authors"
copyright = "the logitreg authors"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.napoleon",
    "myst_nb",
    "logitreg_docs",
]
# LOGITREG_DOCS_QUICK=1 (tests/test_docs_site.py): no highlighted source pages, which are
# a third of the build and hold no cross-references to check.
if os.environ.get("LOGITREG_DOCS_QUICK") != "1":
    extensions.append("sphinx.ext.viewcode")

# Markdown (MyST) everywhere; $...$ math in the notebooks; anchors for ### headings so the
# generated pages can link to every claim's sub-heading of docs/theory.md.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # notebooks are executed by `make notebooks`, never here
nb_merge_streams = True

# No typographic quotes or dashes: f'(t), --full and 1e-12 must read as written.
smartquotes = False
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
# An executed notebook may hold outputs with no static rendering (a progress-bar widget):
# they are dropped, the text/plain form of the same output is shown.
suppress_warnings = ["mystnb.unknown_mime_type"]

# API reference: napoleon renders the numpydoc sections (Parameters, Returns, ...). It is
# preferred to the numpydoc extension for speed: numpydoc recompiles its Jinja template
# for every docstring, a quarter of the build here.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Types stay text ("float, optional", "{'gaussian', 'student_t'}" are not class names), and
# an Attributes section is rendered like Parameters, not as a second description of
# dataclass fields.
napoleon_use_param = False
napoleon_use_keyword = False
napoleon_custom_sections = [("Attributes", "params_style")]
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
# Objects stay out of the sidebar: with ~1000 documented objects the navigation tree of
# every page would dominate the build time.
toc_object_entries = False
autodoc_default_options = {"show-inheritance": True, "no-value": True}

# -n (nitpicky) is on in `make docs` and in tests/test_docs_site.py: every reference to
# our own code must resolve. Third-party and builtin types cannot (no intersphinx offline).
nitpicky = True
nitpick_ignore_regex = [
    # Dotted names outside our packages (NumPy, SymPy, the standard library, ...).
    (r"py:.*", r"(?!(core|theory|numerics|proofs_check|logitreg)\.)[A-Za-z_]\w*\.[\w.]+"),
    # Builtin and third-party names written without their module (annotations, numpydoc).
    (r"py:.*", r"(int|float|complex|str|bytes|bool|dict|list|tuple|set|frozenset|object|"
               r"type|None|NoneType|callable|Callable|Any|Iterable|Iterator|Sequence|"
               r"Mapping|Path|Optional|Union|Literal|ndarray|ArrayLike|array_like|"
               r"Exception|ValueError|TypeError|KeyError|RuntimeError|OSError|"
               r"KeyboardInterrupt|BaseException|Generator|Expr|Symbol|Basic|Figure|"
               r"Axes|Real|Integral|Self|TextIO|BinaryIO|mpf|NamedTuple|ellipsis|tomllib)"),
    # Private base classes named by "Bases:" are implementation details, not documented.
    (r"py:class", r".*\._\w+"),
]

html_theme = "furo"
html_title = f"logitreg {release}"
html_static_path = []

logitreg_root = str(_ROOT)
logitreg_verify_json = os.environ.get("LOGITREG_DOCS_VERIFY_JSON", str(_DOCS / "_build" / "verify.json"))
logitreg_figures_dir = os.environ.get("LOGITREG_DOCS_FIGURES", str(_DOCS / "_build" / "figures"))
logitreg_notebooks_dir = os.environ.get("LOGITREG_DOCS_NOTEBOOKS", str(_ROOT / "notebooks" / "_build"))
