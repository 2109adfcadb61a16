r"""Tutorial pages: the Jupytext notebooks (``notebooks/*.py``) as ``.ipynb`` for MyST-NB.

Sphinx never executes them (``nb_execution_mode = "off"``). When ``make notebooks`` has
written an executed ``notebooks/_build/NAME.ipynb`` that is newer than its source, that
notebook is rendered with its outputs; otherwise the source is converted by Jupytext and
rendered without outputs, and the tutorials index says which is which.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from logitreg_docs._text import md_escape, write_if_changed

__all__ = ["write_tutorial_pages", "GUIDES"]

#: Hand-written guides (docs/tutorials/NAME.md) listed after the notebooks.
GUIDES = ("own_regulariser", "pytorch_export", "probe_features")


def _title(source: Path) -> str:
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return source.stem


def write_tutorial_pages(root: Path, out: Path, executed_dir: str) -> None:
    """Convert or copy every notebook into ``out/notebooks`` and write ``tutorials.md``."""
    import jupytext

    dest_dir = out / "notebooks"
    dest_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted((root / "notebooks").glob("*.py"))
    executed = Path(executed_dir) if executed_dir else None
    rows = []
    for src in sources:
        dest = dest_dir / f"{src.stem}.ipynb"
        built = executed / f"{src.stem}.ipynb" if executed else None
        if built is not None and built.is_file() and built.stat().st_mtime >= src.stat().st_mtime:
            if not dest.is_file() or dest.read_bytes() != built.read_bytes():
                shutil.copyfile(built, dest)
            state = "with outputs (`make notebooks`)"
        else:
            write_if_changed(dest, jupytext.writes(jupytext.read(src), fmt="ipynb"))
            state = "source only, no outputs (run `make notebooks`, then `make docs`)"
        rows.append(f"| [{md_escape(_title(src))}](notebooks/{src.stem}.ipynb) | "
                    f"`notebooks/{src.name}` | {state} |")
    for stale in dest_dir.glob("*.ipynb"):
        if stale.stem not in {s.stem for s in sources}:
            stale.unlink()
    lines = ["# Tutorials", "",
             "One Jupytext notebook per part of the theory. Each asserts the claims it "
             "shows; `make test` runs them as scripts at reduced sizes, `make notebooks` "
             "executes them into `notebooks/_build/` with outputs, which this site renders "
             "when present.", "",
             "| notebook | source | rendered |", "|---|---|---|", *rows, "",
             "Guides for features of the toolkit you bring your own data or code to:", "",
             "```{toctree}", ":maxdepth: 1", ":caption: Notebooks", "",
             *[f"notebooks/{s.stem}" for s in sources], "```", "",
             "```{toctree}", ":maxdepth: 1", ":caption: Guides", "",
             *[f"/tutorials/{g}" for g in GUIDES], "```", ""]
    write_if_changed(out / "tutorials.md", "\n".join(lines))
