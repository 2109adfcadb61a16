r"""Citations resolve: the repository's theory document, file paths and module names.

Scanned text: comments and string literals (docstrings included) of every ``*.py`` file under
:data:`SOURCE_DIRS`, plus ``README.md`` and ``docs/*.md`` in full.

* (a) every path-like citation (``docs/theory.md``, ``numerics/claims/``, ``theory/_derive.py``,
  ...) names an existing file or directory; every ``docs/theory.md §N`` names an existing
  top-level section of ``docs/theory.md``, and every claim ID in ``§N (ID)`` has its
  sub-heading inside that section; every dotted module reference (``numerics.solve.solvers``,
  ``theory.derive_binary``) names an existing module and a name defined in it;
* (b) nothing refers to the specification files kept outside the repository;
* (c) every registered claim ID (:func:`logitreg.collect.registry`) has a sub-heading in
  ``docs/theory.md``, inside the section of its family (:data:`SECTION_OF`).

Failures list ``file:line: citation -> reason``. Text scanning only (regular expressions;
``tokenize`` only for files with a failing match, to ignore code; ``ast`` for module names),
plus one import of the claim registry.
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
THEORY = ROOT / "docs" / "theory.md"

#: Package and notebook directories whose ``*.py`` files are scanned.
SOURCE_DIRS = ("core", "theory", "numerics", "proofs_check", "logitreg", "notebooks")
#: Top-level directories a path-like citation may start with.
PATH_ROOTS = ("docs", "core", "theory", "numerics", "proofs_check", "logitreg", "notebooks",
              "tests", "benchmarks", "sweeps")
#: Packages a dotted module reference may start with.
PACKAGES = ("core", "theory", "numerics", "proofs_check", "logitreg")
#: Output directories that exist only after a build (git-ignored): citing them is fine.
GENERATED = ("notebooks/_build", "docs/_build", "docs/_generated")
#: Claim family -> the section of docs/theory.md that defines its IDs.
SECTION_OF = {"D": 1, "B": 2, "M": 4, "R": 5, "G": 6, "A": 7}
#: Specification files outside the repository that nothing may cite any more.
FORBIDDEN = re.compile(r"THEORY\.md|RELATED\.md|ASYMPTOTICS\.md|\.\./shared|shared/spec")

_PATH = re.compile(r"(?<![\w./~-])((?:{})/[\w./-]*)".format("|".join(PATH_ROOTS)))
_DOTTED = re.compile(r"(?<![\w./-])((?:{})(?:\.[A-Za-z_]\w*)+)".format("|".join(PACKAGES)))
# "docs/theory.md" followed by a chain "§2 (B7), §4 and §6" (may continue on the next line).
_CITE = re.compile(r"docs/theory\.md(#[\w-]+)?((?:[ \t]*\n?[ \t#]*(?:,|;|and|or|to|–|-)?[ \t]*"
                   r"§[ \t]?\d+(?:[ \t]*\([^()\n]*\))?)*)")
_SECTION_REF = re.compile(r"§[ \t]?(\d+)(?:[ \t]*\(([^()\n]*)\))?")
_CLAIM_ID = re.compile(r"\b([ABDGMR]\d{1,2})\b")
_FILE_SUFFIXES = {"md", "py", "toml", "json", "png", "svg", "txt", "ipynb", "html", "c",
                  "sqlite", "parquet", "csv", "tsv"}


# ------------------------------------------------------------------------- scanned text
def _scanned_files() -> list[Path]:
    files = [p for d in SOURCE_DIRS for p in sorted((ROOT / d).rglob("*.py"))
             if not {"_build", "__pycache__"} & set(p.relative_to(ROOT).parts)]
    files.append(ROOT / "README.md")
    files += sorted((ROOT / "docs").glob("*.md"))
    return [p for p in files if p.is_file()]


@functools.cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def _prose_spans(path: Path) -> tuple:
    """Sorted ``(start, end)`` character offsets of the comments and string literals
    (docstrings included) of a Python file; ``None`` for other files or a file that does
    not tokenize (mid-edit), which then counts as prose everywhere."""
    if path.suffix != ".py":
        return None
    text = _text(path)
    line_start = [0]
    for line in text.splitlines(keepends=True):
        line_start.append(line_start[-1] + len(line))
    kinds = {tokenize.COMMENT, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)}
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    return tuple((line_start[t.start[0] - 1] + t.start[1], line_start[t.end[0] - 1] + t.end[1])
                 for t in toks if t.type in kinds)


def _in_prose(path: Path, offset: int) -> bool:
    """Is ``offset`` inside a comment or string of ``path`` (always, for Markdown)?
    Tokenizing is the slow part, so it is asked only about citations that fail."""
    spans = _prose_spans(path)
    if spans is None:
        return True
    i = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= offset < spans[i][1]


def _hits(pattern: re.Pattern, files=None):
    """``(path, where, match)`` for every match of ``pattern`` in the scanned files' text
    (code included: callers keep a failing match only if :func:`_in_prose`)."""
    for path in files or _scanned_files():
        text = _text(path)
        rel = path.relative_to(ROOT).as_posix()
        for m in pattern.finditer(text):
            yield path, f"{rel}:{text.count(chr(10), 0, m.start()) + 1}", m


def _report(problems: list) -> str:
    return "\n" + "\n".join(sorted(set(problems)))


# ----------------------------------------------------------------------- docs/theory.md
def _slug(title: str) -> str:
    """GitHub's heading anchor."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


@functools.cache
def _theory() -> tuple:
    """``(sections, claims, anchors)`` of docs/theory.md: top-level section numbers
    (``## N. Title``), claim ID -> sections whose sub-headings start with it, anchors."""
    if not THEORY.is_file():
        pytest.fail("docs/theory.md does not exist")
    sections, claims, anchors, current = set(), {}, set(), None
    for line in THEORY.read_text(encoding="utf-8").splitlines():
        m = re.match(r"(#+)\s+(.*)", line)
        if not m:
            continue
        level, title = len(m.group(1)), m.group(2)
        anchors.add(_slug(title))
        if level == 2:
            top = re.match(r"(\d+)\.\s", title)
            current = int(top.group(1)) if top else None
            if current is not None:
                sections.add(current)
        elif level >= 3:
            lead = re.match(r"((?:[A-Z]\d{1,2}\s*(?:[,/&]|and)?\s*)+)", title)
            for cid in re.findall(r"[A-Z]\d{1,2}", lead.group(1) if lead else ""):
                claims.setdefault(cid, set()).add(current)
    return frozenset(sections), claims, frozenset(anchors)


def _check_section_refs(where: str, chain: str, problems: list) -> None:
    sections, claims, _ = _theory()
    for ref in _SECTION_REF.finditer(chain):
        n = int(ref.group(1))
        if n not in sections:
            problems.append(f"{where}: §{n} -> docs/theory.md has no section {n} "
                            f"(sections: {sorted(sections)})")
            continue
        for cid in _CLAIM_ID.findall(ref.group(2) or ""):
            if n not in claims.get(cid, ()):
                found = sorted(s for s in claims.get(cid, ()) if s is not None)
                where_else = f" (it is in §{', §'.join(map(str, found))})" if found else ""
                problems.append(f"{where}: §{n} ({cid}) -> no '### {cid} ...' heading in §{n}"
                                + where_else)


# -------------------------------------------------------------------------- modules
@functools.cache
def _module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


@functools.cache
def _defined_names(path: Path) -> frozenset:
    """Names a module binds (functions, classes, assignments, imports) plus its string
    constants (``__all__`` and lazy-export tables)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return frozenset()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return frozenset(names)


def _module_problem(ref: str) -> str | None:
    parts = ref.split(".")
    k = len(parts)
    while k and _module_file(".".join(parts[:k])) is None:
        k -= 1
    if k == 0:
        return f"no module {parts[0]!r}"
    if k == len(parts):
        return None
    module = ".".join(parts[:k])
    if parts[k] in _defined_names(_module_file(module)):
        return None
    return f"module {module} ({_module_file(module).relative_to(ROOT)}) defines no {parts[k]!r}"


# ---------------------------------------------------------------------------- tests
def test_cited_paths_exist():
    """(a) ``numerics/claims/``, ``theory/_budget.py``, ``docs/theory.md`` ... exist."""
    problems = []
    for src, where, m in _hits(_PATH):
        path = m.group(1).rstrip(".-")
        if path.startswith(GENERATED) or (ROOT / path).exists() or not _in_prose(src, m.start()):
            continue
        problems.append(f"{where}: {path} -> no such file or directory")
    assert not problems, _report(problems)


def test_theory_sections_and_claims_cited_exist():
    """(a) ``docs/theory.md §N (ID)``: section N exists and holds the heading of ID;
    ``docs/theory.md#anchor`` names a heading; inside docs/theory.md every ``§N`` exists."""
    problems = []
    _, _, anchors = _theory()
    for src, where, m in _hits(_CITE):
        found = []
        if m.group(1) and m.group(1)[1:] not in anchors:
            found.append(f"{where}: docs/theory.md{m.group(1)} -> no such heading anchor")
        _check_section_refs(where, m.group(2), found)
        if found and _in_prose(src, m.start()):
            problems += found
    for _, where, m in _hits(re.compile(r"§[ \t]?\d+(?:[ \t]*\([^()\n]*\))?"), [THEORY]):
        _check_section_refs(where, m.group(0), problems)
    assert not problems, _report(problems)


def test_module_references_resolve():
    """(a) dotted references in comments/docstrings (``numerics.solve.solvers``,
    ``theory.derive_binary``) name an existing module and a name it defines."""
    problems = []
    for src, where, m in _hits(_DOTTED):
        ref = m.group(1)
        if ref.rsplit(".", 1)[-1] in _FILE_SUFFIXES:  # a file name such as theory.md
            continue
        why = _module_problem(ref)
        if why and _in_prose(src, m.start()):
            problems.append(f"{where}: {ref} -> {why}")
    assert not problems, _report(problems)


def test_no_reference_to_external_spec_files():
    """(b) the theory lives in docs/theory.md; the old spec files are not cited."""
    problems = []
    for path in _scanned_files():
        rel = path.relative_to(ROOT).as_posix()
        for i, line in enumerate(_text(path).splitlines(), 1):
            for m in FORBIDDEN.finditer(line):
                problems.append(f"{rel}:{i}: {m.group(0)} -> cite docs/theory.md §N instead "
                                f"({line.strip()[:90]})")
    assert not problems, _report(problems)


def test_every_registered_claim_is_in_the_theory_document():
    """(c) each claim ID of ``logitreg verify`` has a '### ID ...' heading in its section."""
    from logitreg.collect import registry

    _, claims, _ = _theory()
    problems = []
    for cid in sorted(registry()):
        want = SECTION_OF.get(cid[0])
        if cid not in claims:
            problems.append(f"docs/theory.md: claim {cid} -> no '### {cid} ...' heading")
        elif want is not None and want not in claims[cid]:
            problems.append(f"docs/theory.md: claim {cid} -> heading not in §{want}")
    assert not problems, _report(problems)


def test_the_checker_catches_what_it_should():
    """The patterns above are not vacuous: each finds a planted bad citation."""
    _, claims, _ = _theory()
    assert 2 in claims["B7"] and 4 in claims["M3"]
    planted = "see docs/theory.md §2 (M3), §12 and numerics/nowhere.py; numerics.solve.nothing"
    problems = []
    for m in _CITE.finditer(planted):
        _check_section_refs("planted", m.group(2), problems)
    assert any("§2 (M3)" in p and "§4" in p for p in problems), problems
    assert any("no section 12" in p for p in problems), problems
    paths = [m.group(1) for m in _PATH.finditer(planted)]
    assert paths == ["docs/theory.md", "numerics/nowhere.py"]
    assert _module_problem("numerics.solve.nothing") is not None
    assert _module_problem("core.claims.register") is None
    assert FORBIDDEN.search("(THEORY.md Sec. 3)") and FORBIDDEN.search("../shared/spec")
