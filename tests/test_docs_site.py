r"""The documentation site (``make docs``) builds with warnings as errors and nitpicky
cross-references, without executing notebooks and without figures or verify results.

The build runs Sphinx in a subprocess on a copy of ``docs/`` (so a concurrent ``make
docs`` is not disturbed), with ``LOGITREG_DOCS_QUICK=1`` (no highlighted source pages)
and ``-D`` options that switch off the inputs of a full build. Expected contents come
from the code's own registries (claim catalogue, argparse parser, figure registry,
module tree), not from the generated pages. A negative control checks that the same
configuration turns a broken reference and a docstring that does not render into a
failed build.
"""

from __future__ import annotations

import html as html_lib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _sphinx(src: Path, out: Path, *options: str, env_extra=None):
    env = dict(os.environ, LOGITREG_DOCS_QUICK="1", **(env_extra or {}))
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
           "-d", str(out / "doctrees"), *options, str(src), str(out / "html")]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def _text(page: Path) -> str:
    """The visible text of an HTML page, whitespace collapsed (code spans split words)."""
    raw = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return " ".join(html_lib.unescape(raw).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The quick build: html directory of a copy of docs/ (no _build, no _generated)."""
    tmp = tmp_path_factory.mktemp("docs_site")
    src = tmp / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "_generated",
                                                              "__pycache__"))
    shutil.copy(ROOT / "README.md", tmp / "README.md")  # docs/overview.md includes it
    proc = _sphinx(src, tmp, "-D", f"logitreg_root={ROOT}", "-D", "logitreg_verify_json=",
                   "-D", "logitreg_figures_dir=", "-D", "logitreg_notebooks_dir=")
    assert proc.returncode == 0, f"docs build failed:\n{proc.stderr[-6000:]}"
    return tmp / "html"


def test_every_claim_has_a_section_and_no_results_are_claimed(site):
    from core.claims import CATALOGUE

    html = (site / "_generated" / "claims.html").read_text(encoding="utf-8")
    text = _text(site / "_generated" / "claims.html")
    for cid, info in CATALOGUE.items():
        assert f'id="claim-{cid.lower()}"' in html, cid
        assert " ".join(info.statement.split()) in text, cid
    # No verify file was given: the page must say so instead of showing verdicts.
    assert "No verification results are available in this build" in text
    assert "PASS" not in text and "FAIL" not in text


def test_cli_reference_covers_every_subcommand(site):
    from logitreg.cli import _build_parser

    parser = _build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    text = _text(site / "_generated" / "cli.html")
    for name, subparser in sub.choices.items():
        assert f"logitreg {name}" in text, name
        # every option of the subcommand appears in its help
        for action in subparser._actions:
            for flag in action.option_strings:
                if action.help != "==SUPPRESS==":
                    assert flag in text, (name, flag)


def test_gallery_lists_every_figure_without_images(site):
    from numerics.figures import get_figure, list_figures

    page = site / "_generated" / "gallery.html"
    text = _text(page)
    for fid in list_figures():
        assert f"logitreg figure {fid}" in text, fid
        for claim in get_figure(fid).claims:
            assert claim in text, (fid, claim)
    assert "<img" not in page.read_text(encoding="utf-8")  # figures switched off here


def test_every_notebook_and_module_is_rendered(site):
    for nb in sorted((ROOT / "notebooks").glob("*.py")):
        assert (site / "_generated" / "notebooks" / f"{nb.stem}.html").is_file(), nb.name
    api = "".join(p.read_text(encoding="utf-8")
                  for p in (site / "_generated" / "api").glob("*.html"))
    for root in ("core", "theory", "numerics", "proofs_check", "logitreg"):
        pkg = __import__(root)
        for mod in pkgutil.walk_packages(pkg.__path__, prefix=f"{root}."):
            if not mod.name.endswith("__main__"):
                assert f'id="module-{mod.name}"' in api, mod.name


def test_theory_and_conventions_pages_render_the_theory_document(site):
    theory = _text(site / "theory.html")
    conventions = _text(site / "conventions.html").split("From docs/theory.md §8", 1)[-1]
    assert "Measured disagreements with the paper" in theory
    # §8 is included, §9 is not: the include is cut at the right headings.
    assert "MaxSup's λ" in conventions and "Symbols and units" in conventions
    assert "Measured disagreements" not in conventions


def test_broken_reference_and_unrenderable_docstring_fail_the_build(tmp_path):
    """Negative control: the site's configuration (nitpicky, -W, our reference resolver)
    must reject a reference to a name that does not exist and a docstring with an
    undefined rST substitution; a re-exported name that exists must be accepted."""
    src = tmp_path / "src"
    shutil.copytree(DOCS / "_ext", src / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(DOCS / "conf.py", src / "conf.py")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "broken_doc.py").write_text(
        'def f():\n    """Largest |t| accepted."""\n', encoding="utf-8")
    (src / "index.md").write_text(
        "# control\n\n{py:func}`numerics.solve.no_such_solver_xyz`\n\n"
        "{py:func}`theory.derive_binary`\n\n"
        "```{eval-rst}\n.. automodule:: broken_doc\n   :members:\n```\n", encoding="utf-8")
    proc = _sphinx(src, tmp_path, "-D", "logitreg_generate=0",
                   env_extra={"PYTHONPATH": os.pathsep.join(
                       [str(tmp_path / "pkg"), os.environ.get("PYTHONPATH", "")])})
    assert proc.returncode != 0
    assert "numerics.solve.no_such_solver_xyz" in proc.stderr
    assert 'Undefined substitution referenced: "t"' in proc.stderr
    assert "derive_binary" not in proc.stderr


def test_reexported_names_link_to_their_definition(site):
    """A guide cites ``theory.derive_binary`` (re-exported by the package); the link must
    reach the object's documentation in the module that defines it."""
    import theory

    fn = theory.derive_binary
    html = (site / "tutorials" / "own_regulariser.html").read_text(encoding="utf-8")
    assert f'#{fn.__module__}.{fn.__qualname__}"' in html
