"""The engraved score: music21 reads the tune as written (repeats shown, not expanded), writes MusicXML, and
verovio draws it as SVG. Never verovio's own ABC import: it aborts the process on lines ending with `!`."""
from __future__ import annotations

import functools

from musicrnn.errors import ABCError, RenderError
from musicrnn.music.music21_text import bar_lengths, notation_abc
from musicrnn.music.performance import parse_or_explain
from musicrnn.music.structure import check_size, parse_tune, tune_text
from musicrnn.music.svg import sanitize_svg
from musicrnn.music.timeline import Layout, read_layout
from musicrnn.notation.meter import meter_length
from musicrnn.notation.transpose import written_for
from musicrnn.notation.tunes import tune_label

#: Longest score engraved, in quarter notes (about 1,000 bars of 4/4).
MAX_ENGRAVE_QUARTERS = 4000.0


def notation_score_local(abc: str):
    """music21 score of the tune as written (repeats shown, not expanded), titled."""
    from music21 import text

    abc = tune_text(abc)
    check_size(abc)
    label = tune_label(abc)
    _check_engravable(abc, label)
    score = parse_or_explain(notation_abc(abc), label)
    if not score.flatten().notes:
        raise ABCError(f"{label} has no notes to engrave")
    if float(score.highestTime) > MAX_ENGRAVE_QUARTERS:
        raise RenderError(
            f"{label} lasts {float(score.highestTime):,.0f} quarter notes, more than the "
            f"{MAX_ENGRAVE_QUARTERS:,.0f} engraved")
    for part in score.parts:
        measures = list(part.getElementsByClass("Measure"))
        if measures and measures[0].number == 0 and measures[0].barDurationProportion() >= 1:
            for m in measures:  # music21 numbers a full first bar 0; a musician calls it bar 1
                m.number += 1
    title = score.metadata.title if score.metadata is not None else None
    if title:
        # verovio draws the title only from MusicXML credits, so add one
        box = text.TextBox(title[:200], 1050, 2900)
        box.style.fontSize = 22
        box.style.justify = "center"
        box.style.alignVertical = "top"
        box.page = 1
        score.insert(0, box)
    return score


#: A bar longer than this many bars of its meter is not engraved: music21 spends minutes
#: re-barring it (`A99999` in 4/4 is 12,500 bars long).
MAX_BAR_RATIO = 8


def _check_engravable(abc: str, label: str) -> None:
    """Refuse, quickly and clearly, a score music21 would take minutes to lay out."""
    tune = parse_tune(abc)
    bars = tune.main_bars()
    if not bars:
        raise ABCError(f"{label} has no notes to engrave")
    try:
        lengths, _ = bar_lengths(tune, bars)
    except Exception:
        return  # the notation parse below reports the problem
    total = sum(x for x in lengths if x is not None) * 4
    if total > MAX_ENGRAVE_QUARTERS:
        raise RenderError(f"{label} lasts {float(total):,.0f} quarter notes, more than the "
                          f"{MAX_ENGRAVE_QUARTERS:,.0f} engraved")
    for b, got in zip(bars, lengths):
        want = meter_length(tune.meter_at(b))
        if got is not None and want and got > MAX_BAR_RATIO * want:
            raise RenderError(f"{label}: the bar on line {b.line} is {float(got / want):,.0f} "
                              f"bars of {tune.meter_at(b)} long; "
                              "not engraved")


_BIG_SCORE_NOTES = 400


def musicxml_local(abc: str) -> bytes:
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    score = notation_score_local(abc)
    try:
        exporter = GeneralObjectExporter(score)
        parts = list(score.parts)
        if (len(score.flatten().notes) > _BIG_SCORE_NOTES and parts
                and all(p.hasMeasures() for p in parts)):
            # music21's makeNotation deep-copies the score and re-sorts it once per slur:
            # 29 s for O'Neill's no. 1850 (716 notes), 0.6 s without. The ABC reader has
            # already made measures and beams; only ties across overfull bars are lost.
            exporter.makeNotation = False
        return exporter.parse()
    except Exception as e:
        raise RenderError(
            f"MusicXML export failed for {tune_label(abc)}: {type(e).__name__}: {e}"[:600]
        ) from None


@functools.lru_cache(maxsize=1)
def verovio_toolkit():
    """The process's verovio toolkit, made once (its start-up loads fonts)."""
    import verovio

    verovio.enableLog(verovio.LOG_OFF)
    return verovio.toolkit()


_SVG_OPTIONS = {
    "pageWidth": 2100,
    "pageHeight": 60000,  # one page per tune: the whole score in one image
    "adjustPageHeight": True,
    "scale": 40,
    "breaks": "auto",
    "header": "encoded",
    "footer": "none",
    "svgViewBox": True,
    "svgRemoveXlink": True,
    "xmlIdSeed": 1,  # stable ids: same tune, same SVG
}


#: Narrowest and widest page the score is laid out on (verovio units: 10 per staff space at scale 100).
PAGE_WIDTHS = (600, 2100)
#: The page a score is laid out on for paper: printed at A4's width, a jig has four or five bars to a line and
#: a staff some 6.5 mm high, near what tunebooks set (the screen's widest page fits a third more to a line);
#: and its height, a little under A4's printable 186 x 273 mm inside 12 mm margins, so that each page of a long
#: tune prints on a sheet of its own and no system is cut in two.
PRINT_WIDTH, PRINT_HEIGHT = 1600, 2300


def loaded_toolkit(xml: bytes | str, *, transpose: int, page_width: int, page_height: int | None = None):
    """verovio's toolkit with a MusicXML score loaded, laid out on pages `page_width` wide (and `page_height`
    high; default one page for the whole score), transposed by `transpose` semitones."""
    tk = verovio_toolkit()
    tk.resetOptions()
    if not PAGE_WIDTHS[0] <= page_width <= PAGE_WIDTHS[1]:
        raise RenderError(f"page width {page_width} is outside {PAGE_WIDTHS[0]}-{PAGE_WIDTHS[1]}")
    tk.setOptions({**_SVG_OPTIONS, "pageWidth": page_width,
                   "pageHeight": page_height or _SVG_OPTIONS["pageHeight"],
                   "transpose": str(int(transpose)) if transpose else ""})
    data = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    if not tk.loadData(data):
        raise RenderError("verovio could not read the MusicXML")
    return tk


def engrave_local(xml: bytes | str, *, transpose: int = 0, page_width: int | None = None) -> tuple[str, Layout]:
    """The sanitized SVG of a MusicXML score, transposed by `transpose` semitones (verovio respells the key
    signature and accidentals), and the layout of its bars and notes for the player's timeline."""
    width = _SVG_OPTIONS["pageWidth"] if page_width is None else int(page_width)
    tk = loaded_toolkit(xml, transpose=transpose, page_width=width)
    # One page: 60,000 units hold the MAX_ENGRAVE_QUARTERS-long scores we accept.
    svg = tk.renderToSVG(1)
    if not svg:
        raise RenderError("verovio produced no SVG")
    return sanitize_svg(svg), read_layout(tk.getMEI())


def print_pages_local(xml: bytes | str, *, transpose: int = 0) -> list[str]:
    """The sanitized SVG pages of a MusicXML score laid out for paper (PRINT_WIDTH x PRINT_HEIGHT, the last page
    as high as what it holds), transposed: one for most tunes, more for a long one."""
    tk = loaded_toolkit(xml, transpose=transpose, page_width=PRINT_WIDTH, page_height=PRINT_HEIGHT)
    pages = [tk.renderToSVG(p) for p in range(1, tk.getPageCount() + 1)]
    if not pages or not all(pages):
        raise RenderError("verovio produced no SVG")
    return [sanitize_svg(svg) for svg in pages]


def print_tune_pages_local(abc: str, *, transpose: int = 0) -> list[str]:
    """A tune's score laid out for paper (`print_pages_local` of its MusicXML), written `transpose` semitones away
    as the player writes it (`written_for`)."""
    written = written_for(abc, transpose)
    return print_pages_local(musicxml_local(written.text), transpose=written.left)


def musicxml_to_svg_local(xml: bytes | str, *, transpose: int = 0) -> str:
    return engrave_local(xml, transpose=transpose)[0]


def abc_to_svg_local(abc: str, *, transpose: int = 0) -> str:
    return musicxml_to_svg_local(musicxml_local(abc), transpose=transpose)
