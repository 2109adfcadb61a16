r"""Reference pages generated from the code: the CLI reference from the argparse parser of
:mod:`logitreg.cli`, and the API reference (one page per package, numpydoc docstrings
rendered by autodoc) over every module of ``core``, ``theory``, ``numerics.*``,
``proofs_check`` and ``logitreg``, private implementation modules included.

Each object is documented once, in the module that defines it; a package page lists
its public names (``__all__``) with links to those definitions, and
:func:`resolve_reexport` lets a docstring cite a re-exported name
(``numerics.solve.minimize_binary``) as well as the defining one.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from pathlib import Path

from logitreg_docs._text import write_if_changed

__all__ = ["write_cli_page", "write_api_pages", "resolve_reexport", "skip_foreign_member",
           "PACKAGES"]

#: Root packages of the API reference, in pipeline order (bottom first).
PACKAGES = ("core", "theory", "numerics", "proofs_check", "logitreg")


# ------------------------------------------------------------------------------ CLI
def _subparsers(parser):
    import argparse

    for action in parser._actions:  # argparse keeps no public list of subcommands
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _cli_sections(parser, prog, depth):
    lines = [f"{'#' * depth} `{prog}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    for name, sub in _subparsers(parser):
        lines += _cli_sections(sub, f"{prog} {name}", min(depth + 1, 3))
    return lines


def write_cli_page(out: Path) -> None:
    """``cli.md``: the ``--help`` of ``logitreg`` and of every (nested) subcommand."""
    from logitreg.cli import _build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal: fix it for a stable page
    try:
        parser = _build_parser()
        lines = ["# Command-line reference", "",
                 "Generated at build time from the argparse parser of `logitreg.cli` "
                 "(the output of `logitreg [COMMAND] --help`). User errors exit with code 2 "
                 "and one line naming the bad value.", ""]
        lines += _cli_sections(parser, "logitreg", 2)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    write_if_changed(out / "cli.md", "\n".join(lines))


# ------------------------------------------------------------------------------ API
def _walk(root: str):
    """``(package, [direct modules])`` for ``root`` and each sub-package, in name order."""
    pkg = importlib.import_module(root)
    children = sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name)
    modules = [f"{root}.{m.name}" for m in children if not m.ispkg and m.name != "__main__"]
    yield root, modules
    for m in children:
        if m.ispkg:
            yield from _walk(f"{root}.{m.name}")


def _definition(obj):
    """``module.qualname`` where ``obj`` (a function or class) is defined, else None."""
    if inspect.ismodule(obj) or not callable(obj):
        return None
    # getattr on the instance: functools wrappers (lru_cache) carry their function's names.
    mod, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{mod}.{qual}" if isinstance(mod, str) and isinstance(qual, str) else None


def _title(text: str, char: str) -> list:
    return [text, char * len(text), ""]


def _package_page(pkg: str, modules: list) -> str:
    package = importlib.import_module(pkg)
    lines = _title(f"``{pkg}``", "=") + [f".. automodule:: {pkg}", "   :members:",
                                          "   :undoc-members:", "   :ignore-module-all:", ""]
    public = list(getattr(package, "__all__", []))
    if public:
        lines += _title("Public names", "-")
        lines += [".. list-table::", "   :header-rows: 0", ""]
        for name in public:
            obj = getattr(package, name, None)
            target = _definition(obj)
            summary = (inspect.getdoc(obj) or "").strip().split("\n\n")[0].replace("\n", " ")
            if target is None or inspect.ismodule(obj):
                link, summary = f"``{name}``", type(obj).__name__ if obj is not None else ""
            else:
                link = f":py:obj:`{name} <{target}>`"
            lines += [f"   * - {link}", f"     - {_rst_inline(summary)}"]
        lines.append("")
    for mod in modules:
        # Every public member defined in the module, with or without a docstring and
        # whatever the module's __all__ says: the reference documents each object where
        # it is defined (re-exports are listed above, not documented twice).
        lines += _title(f"``{mod}``", "-") + [
            f".. automodule:: {mod}", "   :members:", "   :undoc-members:",
            "   :ignore-module-all:", ""]
    return "\n".join(lines)


def _rst_inline(text: str) -> str:
    """A docstring's first paragraph as a table cell: roles and literals kept, but no
    unbalanced markup (a cut ``*`` or backquote would be an rST warning)."""
    if text.count("`") % 2 or text.count("*") % 2:
        return text.replace("`", "").replace("*", r"\*")
    return text


def write_api_pages(out: Path) -> None:
    """``api/index.md`` plus one rST page per package."""
    api = out / "api"
    pages = []
    for root in PACKAGES:
        for pkg, modules in _walk(root):
            write_if_changed(api / f"{pkg}.rst", _package_page(pkg, modules))
            pages.append(pkg)
    for stale in api.glob("*.rst"):
        if stale.stem not in pages:
            stale.unlink()
    lines = ["# API reference", "",
             "Generated at build time with autodoc from the numpydoc docstrings, one page "
             "per package, in pipeline order (imports point down only): `core` at the bottom, "
             "then `theory` (SymPy derivations), `numerics` (compile, models, solve, claims, "
             "sweeps, figures), `proofs_check` and the command line `logitreg`. Each object "
             "is documented in the module that defines it; a package page lists its public "
             "names.", "", "```{toctree}", ":maxdepth: 1", ""]
    lines += pages + ["```", ""]
    write_if_changed(api / "index.md", "\n".join(lines))


def resolve_reexport(app, env, node, contnode):
    """``missing-reference`` handler: a Python reference to a name that a package
    re-exports (``numerics.solve.minimize_binary``, or ``minimize_binary`` inside that
    package's docstrings) resolves to where the object is defined and documented."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    context = node.get("py:module") or ""
    candidates = [target]
    parts = context.split(".") if context else []
    candidates += [".".join(parts[:i] + [target]) for i in range(len(parts), 0, -1)]
    domain = env.get_domain("py")
    for name in candidates:
        obj = _lookup(name)
        where = _definition(obj) if obj is not None else None
        if where and where != name and where in domain.objects:
            return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                       where, node, contnode)
    # A bare name (``kesler_vectors``) defined in exactly one documented module.
    if "." not in target:
        matches = [full for full in domain.objects if full.endswith("." + target)]
        if len(matches) == 1:
            return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                       matches[0], node, contnode)
    # A name that exists but is not documented on its own (an undocumented module
    # constant, a private helper, a dataclass field): shown as code, without a link. A
    # name that does not exist stays a nitpicky warning.
    if any(_exists(name) for name in candidates):
        return contnode
    return None


def _exists(dotted: str) -> bool:
    head, _, last = dotted.rpartition(".")
    if not head:
        return False
    try:
        if _lookup(dotted) is not None:
            return True
    except Exception:  # a broken import is not a resolution
        return False
    owner = _lookup(head) if "." in head else None
    fields = getattr(owner, "__dataclass_fields__", None) or {}
    return last in fields


def skip_foreign_member(app, what, name, obj, skip, options):
    """``autodoc-skip-member`` handler: leave out the ``set_*_request`` methods that
    scikit-learn's metadata routing adds to every estimator (their docstrings cite
    scikit-learn's own glossary)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _lookup(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


