r"""Sphinx extension of the logitreg documentation site: generates, before each build,
the pages that come from the code rather than from typed text (``docs/_generated/``,
not committed).

* ``claims.md`` -- every claim of :data:`core.claims.CATALOGUE` with its statement,
  paper reference, theory sub-heading, the ``module:function`` of each check and the
  latest verdict and evidence of a ``logitreg verify --json`` file;
* ``disagreements.md`` -- the entries of ``docs/theory.md`` §9 with their figures;
* ``gallery.md`` -- every ``logitreg figure`` ID, its claims and image;
* ``cli.md`` -- the argparse help of every subcommand;
* ``tutorials.md`` and ``notebooks/*.ipynb`` -- the Jupytext notebooks;
* ``api/`` -- the API reference.

Configuration values (``docs/conf.py``): ``logitreg_root``, ``logitreg_verify_json``,
``logitreg_figures_dir``, ``logitreg_notebooks_dir``; ``logitreg_generate = 0`` writes
nothing (the test suite's negative controls build single pages with this configuration).
"""

from __future__ import annotations

from pathlib import Path

from logitreg_docs._claims import write_claim_pages
from logitreg_docs._reference import (resolve_reexport, skip_foreign_member, write_api_pages,
                                      write_cli_page)
from logitreg_docs._tutorials import write_tutorial_pages

__all__ = ["setup"]

GENERATED = "_generated"


def _generate(app) -> None:
    cfg = app.config
    if not cfg.logitreg_generate:
        return
    root = Path(cfg.logitreg_root)
    out = Path(app.srcdir) / GENERATED
    write_claim_pages(root, out, cfg.logitreg_verify_json, cfg.logitreg_figures_dir)
    write_cli_page(out)
    write_api_pages(out)
    write_tutorial_pages(root, out, cfg.logitreg_notebooks_dir)


_PLAIN = ("data", "attribute", "property")


def _stash_attribute_doc(app, what, name, obj, options, lines):
    """Before napoleon: remember the docstring of a constant or attribute."""
    if what in _PLAIN:
        _STASH[name] = list(lines)


def _restore_attribute_doc(app, what, name, obj, options, lines):
    """After napoleon: put it back. Napoleon reads an attribute's first line as
    ``type: description``, which turns our ``#:`` comments ("Sizes (claim B7): ...")
    into bogus type references; they are plain reStructuredText."""
    if what in _PLAIN and name in _STASH:
        lines[:] = _STASH.pop(name)


_STASH: dict = {}


def setup(app):
    """Register the configuration values, the page generator and the reference resolver."""
    app.add_config_value("logitreg_generate", True, "env", [bool])
    app.add_config_value("logitreg_root", "", "env", [str])
    app.add_config_value("logitreg_verify_json", "", "env", [str])
    app.add_config_value("logitreg_figures_dir", "", "env", [str])
    app.add_config_value("logitreg_notebooks_dir", "", "env", [str])
    app.connect("builder-inited", _generate)
    app.connect("missing-reference", resolve_reexport)
    app.connect("autodoc-skip-member", skip_foreign_member)
    app.connect("autodoc-process-docstring", _stash_attribute_doc, priority=100)
    app.connect("autodoc-process-docstring", _restore_attribute_doc, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
