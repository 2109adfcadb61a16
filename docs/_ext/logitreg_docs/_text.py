r"""Small text helpers shared by the page generators of the documentation site."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["write_if_changed", "md_escape", "md_cell", "slugify", "claim_ids"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$~])")
_ID = re.compile(r"\b([DBMRGA]\d{1,2})\b")


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds it: an unchanged page keeps its
    modification time, so Sphinx does not re-read it on an incremental build."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def md_escape(text) -> str:
    """Plain text as inline Markdown: every character MyST could read as markup
    (emphasis, links, math, tables) is backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def md_cell(text) -> str:
    """Plain text for a Markdown table cell (escaped, one line)."""
    return md_escape(text)


def slugify(title: str) -> str:
    """The anchor MyST gives a heading (``myst_heading_anchors``): GitHub's rule."""
    try:
        from myst_parser.slugs import github_slugify
    except ImportError:  # myst-parser < 5
        from myst_parser.mdit_to_docutils.base import default_slugify as github_slugify
    return github_slugify(title)


def claim_ids(text: str) -> list:
    """Claim IDs (``B6``, ``M7``, ...) named in ``text``, in order, without repeats."""
    return list(dict.fromkeys(_ID.findall(text)))
