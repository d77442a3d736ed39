"""The player's timeline: when each written note of the engraved score sounds, as the MIDI plays the tune.

The written side comes from verovio's own layout of the score (its note and bar ids are the SVG's, so the page
can light up exactly the note that sounds); the order of the bars comes from `play_order`, the expansion of
repeats and endings the MIDI is made from; tempo and swing go through the MIDI writer's own `swing_time`. So
the cursor and the sound cannot disagree about which bar comes next.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from musicrnn.errors import RenderError
from musicrnn.music.midi import swing_time
from musicrnn.music.music21_text import first_voice_measures
from musicrnn.music.play_order import play_order

_MEI = "{http://www.music-encoding.org/ns/mei}"
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
#: What takes time in a layer of an MEI measure.
_TIMED = frozenset({"note", "chord", "rest", "mRest", "space", "mSpace"})
_PADDING = frozenset({_MEI + "space", _MEI + "mSpace"})


@dataclass
class Layout:
    """The written score as verovio laid it out: bars and notes in written order (their ids are the SVG's),
    times in quarter notes from the start of their bar."""

    bars: list[str] = field(default_factory=list)  # SVG id of each bar (measure)
    labels: list[str] = field(default_factory=list)  # its number as engraved (`score.py`: a pickup is bar 0)
    lengths: list[float] = field(default_factory=list)  # quarter notes each bar lasts
    notes: list[dict] = field(default_factory=list)  # {"ids", "bar", "at", "dur"}: notes sounding together


def read_layout(mei: str) -> Layout:
    """The layout of a score from verovio's MEI of it: bars in order, and in each bar the notes at their
    written places (every layer counted from the bar's start by the notes' own durations, as MIDI plays them:
    a grace note takes no time, a chord is one note)."""
    try:
        root = ET.fromstring(mei)
    except ET.ParseError as e:
        raise RenderError(f"verovio produced malformed MEI: {e}") from None
    ppq = next((float(el.get("ppq")) for el in root.iter(_MEI + "staffDef") if el.get("ppq")), 10080.0)
    out = Layout()
    for k, measure in enumerate(root.iter(_MEI + "measure")):
        out.bars.append(measure.get(_XML_ID, ""))
        out.labels.append(measure.get("n", str(k + 1)))
        groups: dict[float, dict] = {}
        length = 0.0
        for layer in measure.iter(_MEI + "layer"):
            at = 0.0
            for el in _timed(layer):
                dur = float(el.get("dur.ppq") or 0) / ppq
                if el.tag == _MEI + "note" and not el.get("grace") or el.tag == _MEI + "chord":
                    g = groups.setdefault(round(at, 6), {"ids": [], "bar": k, "at": round(at, 6), "dur": 0.0})
                    g["ids"].append(el.get(_XML_ID, ""))
                    g["dur"] = max(g["dur"], round(dur, 6))
                at += dur
                if el.tag not in _PADDING:  # music21 fills a short bar with a hidden space the MIDI never plays
                    length = max(length, at)
        out.lengths.append(round(length, 6))
        out.notes.extend(groups[a] for a in sorted(groups))
    return out


def _timed(layer: ET.Element):
    """The elements of a layer that take their turn in time, in order (inside beams and tuplets, not the
    notes of a chord)."""
    for el in layer:
        if el.tag.startswith(_MEI) and el.tag[len(_MEI):] in _TIMED:
            yield el
        else:
            yield from _timed(el)


def build_timeline(layout: Layout, order: list[int], *, bpm: float, swing: float = 0.0) -> dict:
    """The timeline the page plays: for each written note its SVG ids and bar; every time a note sounds
    `[start s, end s, note]` in time order; every bar as it is played `[start s, end s, written bar]`.

    `order` lists written bars (indices into `layout.bars`) in the order they sound.
    """
    per_bar: dict[int, list[int]] = {}
    for k, g in enumerate(layout.notes):
        per_bar.setdefault(g["bar"], []).append(k)
    sec = 60.0 / float(bpm)
    events, played, q = [], [], 0.0
    for b in order:
        if not 0 <= b < len(layout.bars):
            continue
        length = layout.lengths[b]
        played.append([round(swing_time(q, swing) * sec, 4), round(swing_time(q + length, swing) * sec, 4), b])
        for k in per_bar.get(b, []):
            g = layout.notes[k]
            s, e = q + g["at"], q + g["at"] + g["dur"]
            events.append([round(swing_time(s, swing) * sec, 4), round(swing_time(e, swing) * sec, 4), k])
        q += length
    events.sort()
    return {"bpm": float(bpm), "seconds": round(swing_time(q, swing) * sec, 4),
            "notes": [{"ids": g["ids"], "bar": g["bar"]} for g in layout.notes],
            "bars": [{"id": i, "label": lab} for i, lab in zip(layout.bars, layout.labels)],
            "events": events, "played_bars": played}


def timeline_for(abc: str, layout: Layout, *, bpm: float, swing: float = 0.0) -> dict:
    """The tune's timeline: the engraving's bars in the order `play_order` plays the tune's bars, each as
    long as the MIDI plays it (so a bar starts when it sounds even where music21 reads a note inside it a
    little differently for the score).

    When the engraving's bars cannot be matched to the tune's (its first voice), they are played as written,
    once each, and `exact` is False.
    """
    _, bars, music, per_bar = first_voice_measures(abc)
    exact = per_bar is not None and sum(map(len, per_bar)) == len(layout.bars)
    if exact:
        measures, at = {}, 0
        for k, parts in zip(music, per_bar):
            measures[k] = list(range(at, at + len(parts)))
            at += len(parts)
        layout = Layout(layout.bars, layout.labels, [q for parts in per_bar for q in parts], layout.notes)
        order = [m for k in play_order(bars) for m in measures.get(k, [])]
    else:
        order = list(range(len(layout.bars)))
    out = build_timeline(layout, order, bpm=bpm, swing=swing)
    out["exact"] = exact
    return out
