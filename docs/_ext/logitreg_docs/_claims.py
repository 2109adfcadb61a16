r"""Claim pages generated from the code: the catalogue (:data:`core.claims.CATALOGUE`),
where each check lives (``logitreg verify --list``), the latest verdict and evidence
(a ``logitreg verify --json`` file), the measured disagreements of ``docs/theory.md`` §9
with the figure that shows each, and the figure gallery (:mod:`numerics.figures`).

Nothing here is typed by hand: a claim added to the catalogue, a check registered, a
figure registered or a §9 entry written into the theory document appears on the next
build.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from logitreg_docs._text import claim_ids, md_cell, md_escape, slugify, write_if_changed

__all__ = ["theory_headings", "write_claim_pages"]


def theory_headings(theory: Path) -> list:
    """``(level, text)`` of every Markdown heading of the theory document (fenced code
    skipped)."""
    out, fenced = [], False
    for line in theory.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            if line[hashes:hashes + 1] == " ":
                out.append((hashes, line[hashes + 1:].strip()))
    return out


def _claim_anchors(headings) -> dict:
    """Claim ID -> (section number, heading text) of its first ``###`` sub-heading."""
    anchors, section = {}, ""
    for level, text in headings:
        if level == 2:
            section = text.split(".", 1)[0]
        elif level == 3:
            head = text.split("—", 1)[0]
            for cid in claim_ids(head):
                anchors.setdefault(cid, (section, text))
    return anchors


def _load_results(path: str):
    """The parsed ``verify --json`` file, or ``(None, reason)``."""
    if not path:
        return None, "no results file was given to this build"
    p = Path(path)
    if not p.is_file():
        return None, f"`{md_escape(p.name)}` does not exist"
    try:
        payload = json.loads(p.read_text(encoding="utf-8"))
        payload["results"]  # noqa: B018  (the one key every verify file has)
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"`{md_escape(p.name)}` is not a `logitreg verify --json` file ({md_escape(exc)})"
    return payload, ""


def _value(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)) and all(isinstance(x, float) for x in v):
        return "[" + ", ".join(f"{x:.4g}" for x in v) + "]"
    return str(v)


def _figures_by_claim() -> dict:
    from numerics.figures import get_figure, list_figures

    out = {}
    for fid in list_figures():
        for cid in get_figure(fid).claims:
            out.setdefault(cid, []).append(fid)
    return out


def _figure_file(fid: str) -> str:
    return "figure_" + "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in fid) + ".png"


def _copy_figures(figures_dir: str, out: Path) -> set:
    """Copy the PNGs of ``logitreg figure all`` into the source tree; the IDs copied."""
    from numerics.figures import list_figures

    have = set()
    src = Path(figures_dir) if figures_dir else None
    for fid in list_figures():
        png = src / _figure_file(fid) if src else None
        if png is not None and png.is_file():
            out.mkdir(parents=True, exist_ok=True)
            dest = out / png.name
            if not dest.is_file() or dest.read_bytes() != png.read_bytes():
                shutil.copyfile(png, dest)
            have.add(fid)
    return have


def _figure_block(fid: str, have: set, caption: str) -> list:
    if fid not in have:
        return [f"Figure {md_escape(fid)}: {md_escape(caption)} (`logitreg figure {fid}`; "
                "image not generated in this build).", ""]
    return [f"```{{figure}} figures/{_figure_file(fid)}", ":width: 90%", "",
            f"Figure {md_escape(fid)}: {md_escape(caption)} (`logitreg figure {fid}`).",
            "```", ""]


def _claims_page(anchors, payload, reason, source) -> str:
    from core.claims import CATALOGUE, check_location
    from logitreg.collect import registry

    reg = registry()
    by_claim = {}
    for rec in (payload or {}).get("results", []):
        by_claim.setdefault(rec.get("claim"), []).append(rec)
    lines = ["# Claims and verdicts", "",
             "Generated at build time from the claim catalogue (`core/claims.py`, "
             "`logitreg verify --list`) and from the results of `logitreg verify --json`. "
             "Each claim links to its derivation in the [theory document](../theory.md).", ""]
    if payload is None:
        lines += ["```{note}", f"No verification results are available in this build: "
                  f"{reason}. Run `make docs` (it runs `logitreg verify --json "
                  "docs/_build/verify.json` first) to show verdicts and evidence.",
                  "```", ""]
    else:
        summ = payload.get("summary", {})
        mode = "full (paper sizes)" if payload.get("full") else "default (reduced sizes)"
        lines += [f"Results from `{md_escape(source)}`, mode {mode}: "
                  f"{summ.get('claims_passed', '?')} of {summ.get('claims', '?')} claims "
                  f"passed, {summ.get('checks_passed', '?')} of {summ.get('checks', '?')} "
                  "checks.", ""]
    lines += ["| ID | claim | checked by | verdict |", "|---|---|---|---|"]
    for cid, info in CATALOGUE.items():
        checks = ", ".join(f"`{check_location(fn).rpartition(':')[2]}`"
                           for _, fn in reg.get(cid, [])) or "none registered"
        recs = by_claim.get(cid)
        verdict = ("not run" if not recs else
                   "pass" if all(r.get("passed") for r in recs) else "**fail**")
        lines.append(f"| [{cid}](#claim-{cid.lower()}) | {md_cell(info.statement)} | "
                     f"{checks} | {verdict} |")
    lines.append("")
    for cid, info in CATALOGUE.items():
        lines += [f"(claim-{cid.lower()})=", f"## {cid}", "", md_escape(info.statement), "",
                  f"* Paper: {md_escape(info.reference)}"]
        if cid in anchors:
            section, heading = anchors[cid]
            lines.append(f"* Theory: [docs/theory.md §{md_escape(section)}, "
                         f"{md_escape(heading)}](../theory.md#{slugify(heading)})")
        else:
            lines.append(f"* Theory: {md_escape(info.section)}")
        for statement, fn in reg.get(cid, []):
            where = check_location(fn)
            module, _, func = where.partition(":")
            lines.append(f"* Check: {{py:func}}`{module}.{func}` ({md_escape(statement)})")
        if not reg.get(cid):
            lines.append("* Check: none registered")
        lines.append("")
        for rec in by_claim.get(cid, []):
            name = str(rec.get("check", "")).rpartition(":")[2] or "check"
            verdict = "PASS" if rec.get("passed") else "FAIL"
            lines += [f"### {cid} `{name}`: {verdict}", "",
                      f"{md_escape(rec.get('statement', ''))}. Tolerance: "
                      f"{md_escape(rec.get('tolerance', ''))}. "
                      f"Time: {float(rec.get('seconds', 0.0)):.1f} s.", ""]
            evidence = rec.get("evidence") or {}
            if evidence:
                lines += ["| evidence | value |", "|---|---|"]
                lines += [f"| {md_cell(k)} | {md_cell(_value(v))} |" for k, v in evidence.items()]
                lines.append("")
            if rec.get("note"):
                lines += [md_escape(rec["note"]), ""]
    return "\n".join(lines)


def _disagreements_page(headings, have, captions, by_claim) -> str:
    lines = ["# Measured disagreements with the paper", "",
             "Each entry of [docs/theory.md §9](../theory.md) (rendered from the theory "
             "document at build time), with the figure of each claim it names.", ""]
    inside, entries, body_after = False, [], {}
    for i, (level, text) in enumerate(headings):
        if level == 2:
            inside = text.startswith("9.")
        elif inside and level == 3:
            entries.append(text)
            # The entry's body ends where the next heading of level <= 3 starts.
            body_after[text] = next((f"{'#' * lv} {tx}" for lv, tx in headings[i + 1:]
                                     if lv <= 3), None)
    if not entries:
        lines += ["The theory document has no §9 entries.", ""]
    for text in entries:
        lines += [f"## {md_escape(text)}", "", "```{include} ../theory.md",
                  f":start-after: {json.dumps('### ' + text, ensure_ascii=False)}"]
        if body_after.get(text):
            lines.append(f":end-before: {json.dumps(body_after[text], ensure_ascii=False)}")
        lines += ["```", ""]
        for cid in claim_ids(text.split("—", 1)[0]):
            figs = by_claim.get(cid, [])
            if not figs:
                lines += [f"No registered figure shows {cid}; its evidence is on the "
                          f"[claims page](claims.md#claim-{cid.lower()}).", ""]
            for fid in figs:
                lines += _figure_block(fid, have, captions[fid])
    return "\n".join(lines)


def _gallery_page(have, captions, claims_of) -> str:
    lines = ["# Figure gallery", "",
             "Every figure of `logitreg figure list`, the claim it shows, and (when this "
             "build generated it with `logitreg figure all`, reduced default sizes) the "
             "image. `logitreg figure ID --full` recomputes one at the paper's size.", "",
             "| figure | claims | caption |", "|---|---|---|"]
    for fid, caption in captions.items():
        links = ", ".join(f"[{c}](claims.md#claim-{c.lower()})" for c in claims_of[fid])
        lines.append(f"| [{md_cell(fid)}](#figure-{slugify(fid)}) | {links} | {md_cell(caption)} |")
    lines.append("")
    for fid, caption in captions.items():
        lines += [f"(figure-{slugify(fid)})=", f"## Figure {md_escape(fid)}", ""]
        lines += _figure_block(fid, have, caption)
    return "\n".join(lines)


def write_claim_pages(root: Path, out: Path, verify_json: str, figures_dir: str) -> None:
    """Write ``claims.md``, ``disagreements.md`` and ``gallery.md`` into ``out``."""
    from numerics.figures import get_figure, list_figures

    theory = root / "docs" / "theory.md"
    headings = theory_headings(theory)
    payload, reason = _load_results(verify_json)
    have = _copy_figures(figures_dir, out / "figures")
    captions = {fid: get_figure(fid).caption for fid in list_figures()}
    claims_of = {fid: get_figure(fid).claims for fid in list_figures()}
    by_claim = _figures_by_claim()
    source = Path(verify_json).name if verify_json else ""
    write_if_changed(out / "claims.md", _claims_page(_claim_anchors(headings), payload,
                                                     reason, source))
    write_if_changed(out / "disagreements.md",
                     _disagreements_page(headings, have, captions, by_claim))
    write_if_changed(out / "gallery.md", _gallery_page(have, captions, claims_of))
