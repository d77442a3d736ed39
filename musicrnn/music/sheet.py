"""A printable sheet: engraved scores in one HTML page laid out for paper, with a print button of its own.

The page is what a musician takes to a session: the scores as verovio engraves them for paper
(`score.PRINT_WIDTH`), in pages no taller than a sheet's printable area, each printed whole, and nothing else on
paper.
It runs one script, the print button's, which its Content-Security-Policy (`SHEET_CSP`) allows by hash; it
loads nothing.
"""
from __future__ import annotations

import base64
import hashlib
import html

#: The sheet's only script.
PRINT_SCRIPT = 'document.getElementById("print").addEventListener("click", function () { window.print(); });'
#: Served with the sheet: no script but PRINT_SCRIPT, nothing fetched (verovio's glyphs are inline paths).
SHEET_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
             f"script-src 'sha256-{base64.b64encode(hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode()}'")

_STYLE = """
@page { size: A4; margin: 12mm; }
body { margin: 0; background: #f4f4f2; font-family: system-ui, sans-serif; color: #222; }
.toolbar { display: flex; gap: 1rem; align-items: center; padding: 0.75rem 1rem; }
.toolbar button { font: inherit; padding: 0.5rem 1rem; border-radius: 0.5rem; border: 1px solid #999;
  background: #fff; cursor: pointer; }
.sheet { max-width: 210mm; margin: 0 auto 2rem; background: #fff; padding: 12mm; box-sizing: border-box; }
.tune { margin-bottom: 10mm; }
.page { break-inside: avoid; page-break-inside: avoid; }
.page svg { width: 100%; height: auto; display: block; }
.problem { color: #8a1c1c; }
@media print {
  body { background: #fff; }
  .toolbar { display: none; }
  .sheet { max-width: none; margin: 0; padding: 0; }
}
"""


def sheet_html(title: str, scores: list[list[str]], problems: list[str] = ()) -> str:
    """The HTML page of `scores`, one after another, each the SVG pages of one tune (documents that have passed
    `svg.sanitize_svg`, as `score.print_pages_local` returns them), under the page title `title`; `problems` (a
    tune that could not be engraved, and why) are listed after them. Titles and problems are plain text: they are
    escaped."""
    name = html.escape(title.strip() or "Tunes", quote=True)
    tunes = "\n".join('<section class="tune">' + "".join(f'<div class="page">{svg}</div>' for svg in pages)
                       + "</section>" for pages in scores)
    missing = "".join(f'<p class="problem">Not printed: {html.escape(p)}</p>' for p in problems)
    count = f"{len(scores)} tunes" if len(scores) != 1 else "1 tune"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{name}</title><style>{_STYLE}</style></head><body>"
            f'<div class="toolbar"><button id="print" type="button">Print</button>'
            f"<span>{name} · {count} · laid out for A4</span></div>"
            f'<main class="sheet">{tunes}{missing}</main><script>{PRINT_SCRIPT}</script></body></html>\n')
