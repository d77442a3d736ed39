"""The printable sheet: scores laid out for paper in one page that runs only its own print script."""
from __future__ import annotations

import base64
import hashlib
import re

from musicrnn.music import sheet
from musicrnn.music.score import PRINT_HEIGHT, PRINT_WIDTH, engrave_local, musicxml_local, print_pages_local
from tests.helpers.music_data import oneills


def systems(svg: str) -> int:
    return svg.count('class="system"')


def test_a_score_for_paper_has_fewer_bars_to_a_line_than_the_screens_and_transposes():
    tune = oneills(0)
    xml = musicxml_local(tune)
    screen, _ = engrave_local(xml)
    [paper] = print_pages_local(xml)  # a tune of O'Neill's fits one sheet
    assert systems(paper) > systems(screen) >= 1
    assert paper.count('class="note"') == screen.count('class="note"')
    assert print_pages_local(xml, transpose=2) != [paper]  # it prints in the key it plays in


def test_a_long_tune_prints_on_pages_no_taller_than_a_sheet_and_loses_no_note():
    bars = "|".join(["DEFG ABcd", "efga bagf", "edcB AGFE", "D2F2 A2d2"] * 16)  # 64 bars
    xml = musicxml_local("X:1\nT:Long\nL:1/8\nM:4/4\nK:D\n" + bars + "|]\n")
    pages = print_pages_local(xml)
    assert len(pages) >= 2 and all(systems(p) >= 1 for p in pages)
    for page in pages:
        _, _, width, height = map(float, re.search(r'viewBox="([^"]*)"', page).group(1).split())
        assert height / width <= PRINT_HEIGHT / PRINT_WIDTH + 1e-6  # it fits the sheet's printable area
    assert sum(p.count('class="note"') for p in pages) == engrave_local(xml)[0].count('class="note"') == 448


def test_the_sheet_escapes_its_title_and_runs_only_the_script_its_policy_names():
    doc = sheet.sheet_html('<script>alert("x")</script> & co', [["<svg>A</svg>"], ["<svg>B1</svg>", "<svg>B2</svg>"]],
                           ["<b>Bad</b>: no notes"])
    assert "<script>alert" not in doc and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in doc
    assert doc.count('<section class="tune">') == 2 and doc.count('<div class="page">') == 3 and "2 tunes" in doc
    assert "Not printed: &lt;b&gt;Bad&lt;/b&gt;: no notes" in doc
    scripts = re.findall(r"<script>(.*?)</script>", doc, re.S)
    assert scripts == [sheet.PRINT_SCRIPT]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in sheet.SHEET_CSP and "default-src 'none'" in sheet.SHEET_CSP
    assert "@page { size: A4" in doc and ".page { break-inside: avoid" in doc
