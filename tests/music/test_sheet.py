"""The printable sheet: scores laid out for paper in one page that runs only its own print script."""
from __future__ import annotations

import base64
import hashlib
import re

from musicrnn.music import sheet
from musicrnn.music.score import engrave_local, musicxml_local, print_svg_local
from tests.helpers.music_data import oneills


def systems(svg: str) -> int:
    return svg.count('class="system"')


def test_a_score_for_paper_has_fewer_bars_to_a_line_than_the_screens_and_transposes():
    tune = oneills(0)
    xml = musicxml_local(tune)
    screen, _ = engrave_local(xml)
    paper = print_svg_local(xml)
    assert systems(paper) > systems(screen) >= 1
    assert paper.count('class="note"') == screen.count('class="note"')
    assert print_svg_local(xml, transpose=2) != paper  # it prints in the key it plays in


def test_the_sheet_escapes_its_title_and_runs_only_the_script_its_policy_names():
    doc = sheet.sheet_html('<script>alert("x")</script> & co', ["<svg>A</svg>", "<svg>B</svg>"])
    assert "<script>alert" not in doc and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in doc
    assert doc.count('<section class="tune">') == 2 and "2 tunes" in doc
    scripts = re.findall(r"<script>(.*?)</script>", doc, re.S)
    assert scripts == [sheet.PRINT_SCRIPT]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in sheet.SHEET_CSP and "default-src 'none'" in sheet.SHEET_CSP
    assert "@page { size: A4" in doc and "break-inside: avoid" in doc
