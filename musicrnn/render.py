"""ABC to MIDI, audio (WAV, Opus), MusicXML and an engraved SVG score.

Pipeline: `abc.playback_abc` expands repeats and endings into plain bars (music21's own
`expandRepeats` drops music around `::`, `||:` and `:|:`), music21 parses that text, and
**MIDIUtil** writes the MIDI file. MIDIUtil rather than music21's writer because:
music21's writer fails outright on some tunes it has just parsed (reBar leaves a
TimeSignature twice in a stream: the very first tune of O'Neill's 1850 raises
StreamException), it takes the tempo and instrument from the tune rather than from the
user, and it has no swing. Writing the few events ourselves (one program change, one
tempo, note on/off with swung times) is short and exact.

Audio: `midirenderer` (a SoundFont synthesizer) with the TimGM6mb General MIDI SoundFont
that pretty_midi ships; WAV for download, Ogg Opus for the page.
Score: music21 -> MusicXML -> verovio SVG. Never verovio's ABC import: it aborts the
process on lines ending with `!`. The SVG is sanitized (no script, no event handlers)
although verovio already escapes tune text.

The public functions (`abc_to_midi`, `midi_to_wav`, ..., `render_all`) run the work in
`musicrnn.isolate`'s worker processes, with a time limit; the `*_local` functions do the
work in the calling process and are what the workers call.
"""

from __future__ import annotations

import functools
import io
import os
import re
import time
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Iterator

from musicrnn import abc as abcmod
from musicrnn.errors import ABCError, RenderError

#: General MIDI programs (0-based) by friendly name; the UI lists these keys.
INSTRUMENTS: dict[str, int] = {
    "piano": 0,
    "bright piano": 1,
    "harpsichord": 6,
    "celesta": 8,
    "music box": 10,
    "vibraphone": 11,
    "marimba": 12,
    "xylophone": 13,
    "dulcimer": 15,
    "organ": 19,
    "reed organ": 20,
    "accordion": 21,
    "harmonica": 22,
    "concertina": 23,
    "guitar": 24,
    "steel guitar": 25,
    "mandolin": 25,
    "bass": 32,
    "fiddle": 40,
    "violin": 40,
    "viola": 41,
    "cello": 42,
    "harp": 46,
    "strings": 48,
    "choir": 52,
    "trumpet": 56,
    "trombone": 57,
    "french horn": 60,
    "brass": 61,
    "saxophone": 65,
    "oboe": 68,
    "bassoon": 70,
    "clarinet": 71,
    "piccolo": 72,
    "flute": 73,
    "recorder": 74,
    "pan flute": 75,
    "tin whistle": 78,
    "whistle": 78,
    "ocarina": 79,
    "banjo": 105,
    "bagpipe": 109,
    "uilleann pipes": 109,
    "steel drums": 114,
}

DEFAULT_TEMPO = 120
#: Longest audio rendered (seconds); `A99999` would otherwise ask for hours of samples.
MAX_AUDIO_SECONDS = 600.0
#: Longest score engraved, in quarter notes (about 1,000 bars of 4/4).
MAX_ENGRAVE_QUARTERS = 4000.0
FORMATS = ("midi", "wav", "opus", "musicxml", "svg")
EXTENSIONS = {"midi": "mid", "wav": "wav", "opus": "opus", "musicxml": "musicxml", "svg": "svg"}

_VELOCITY = 90
_DRUM_CHANNEL = 9


def soundfont_path() -> str:
    """Path of the TimGM6mb.sf2 General MIDI SoundFont shipped inside pretty_midi."""
    import pretty_midi

    path = os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")
    if not os.path.exists(path):
        raise RenderError(f"SoundFont not found at {path}; reinstall pretty_midi")
    return path


@functools.lru_cache(maxsize=1)
def _soundfont_bytes() -> bytes:
    with open(soundfont_path(), "rb") as f:
        return f.read()


def resolve_instrument(instrument: str | int) -> int:
    """General MIDI program (0-127) for a friendly name (`"tin whistle"`, `"Fiddle"`) or number."""
    if isinstance(instrument, int) and not isinstance(instrument, bool):
        if 0 <= instrument <= 127:
            return instrument
        raise RenderError(f"instrument program {instrument} is outside 0-127")
    key = re.sub(r"[\s_-]+", " ", str(instrument)).strip().lower()
    if key.isdigit() and int(key) <= 127:
        return int(key)
    if key not in INSTRUMENTS:
        raise RenderError(
            f"unknown instrument {str(instrument)[:40]!r}; choose one of: "
            + ", ".join(sorted(INSTRUMENTS))
        )
    return INSTRUMENTS[key]


def _check_options(tempo: float | None, transpose: int, swing: float) -> None:
    if tempo is not None and not (10 <= float(tempo) <= 400):
        raise RenderError(f"tempo {tempo} is outside 10-400 beats per minute")
    if not (-48 <= int(transpose) <= 48):
        raise RenderError(f"transpose {transpose} is outside -48..48 semitones")
    if not (0.0 <= float(swing) <= 1.0):
        raise RenderError(f"swing {swing} is outside 0-1")


# ----------------------------------------------------------------------------- performance


@dataclass
class Performance:
    """The notes of a tune as they sound: times in quarter notes, repeats expanded."""

    notes: list[tuple[float, float, int, int]]  # (start, duration, MIDI pitch, voice)
    tune_tempo: float | None  # quarter notes per minute from Q:, if any
    title: str
    voices: int
    length: float = 0.0  # quarter notes, trailing rests included

    @property
    def quarters(self) -> float:
        """Length in quarter notes: to the end of the last note or rest."""
        return max([self.length] + [s + d for s, d, _, _ in self.notes])


def _parse(text: str, label: str):
    try:
        return abcmod._parse_music21(text)
    except Exception as e:  # music21 raises many exception types on bad ABC
        raise ABCError(f"music21 cannot read {label}: {type(e).__name__}: {e}"[:600]) from None


def performance_local(abc: str) -> Performance:
    """Parse `abc` with music21 (repeats expanded) into the notes that sound."""
    from music21 import chord, harmony, note, tempo

    abc = abcmod._normalize(abc)
    abcmod._check_size(abc)
    label = abcmod.tune_label(abc)
    score = _parse(abcmod.playback_abc(abc), label)
    score = score.stripTies()
    parts = list(score.parts) or [score]
    notes: list[tuple[float, float, int, int]] = []
    length = 0.0
    for v, part in enumerate(parts):
        for el in part.flatten().notesAndRests:
            length = max(length, float(el.offset) + float(el.quarterLength))
            if isinstance(el, harmony.Harmony):  # chord symbols are text, not notes
                continue
            dur = float(el.quarterLength)
            if dur <= 0:  # grace notes take no time in music21's reading
                continue
            start = float(el.offset)
            if isinstance(el, chord.Chord):
                pitches = [p.midi for p in el.pitches]
            elif isinstance(el, note.Note):
                pitches = [el.pitch.midi]
            else:  # rests
                continue
            for p in pitches:
                notes.append((start, dur, p, v))
    marks = list(score.flatten().getElementsByClass(tempo.MetronomeMark))
    bpm = None
    for mm in marks:
        try:
            q = mm.getQuarterBPM()
        except Exception:
            q = None
        if q and 10 <= q <= 400:
            bpm = float(q)
            break
    notes.sort()
    return Performance(notes, bpm, abcmod.tune_label(abc), len(parts), length)


def swing_time(t: float, swing: float) -> float:
    """Move off-beat eighths later: 0 = straight, 1 = triplet feel (2:1), per quarter note."""
    if swing <= 0:
        return t
    beat = int(t // 1)
    f = t - beat
    late = 0.5 + swing / 6.0  # where the off-beat eighth lands
    if f <= 0.5:
        return beat + f * late / 0.5
    return beat + late + (f - 0.5) * (1.0 - late) / 0.5


def _fit_pitch(p: int) -> int:
    while p > 127:
        p -= 12
    while p < 0:
        p += 12
    return p


def write_midi(perf: Performance, *, tempo: float | None = DEFAULT_TEMPO,
               program: int = 0, transpose: int = 0, swing: float = 0.0) -> bytes:
    """A type-1 MIDI file of `perf`: one track per voice, one program, one tempo."""
    from midiutil import MIDIFile

    bpm = float(tempo if tempo is not None else (perf.tune_tempo or DEFAULT_TEMPO))
    n_tracks = max(1, perf.voices)
    mf = MIDIFile(n_tracks, adjust_origin=False)
    title = perf.title.encode("ascii", "replace").decode("ascii")[:60]
    for v in range(n_tracks):
        channel = v if v < _DRUM_CHANNEL else v + 1
        channel = min(channel, 15)
        mf.addTrackName(v, 0, title if v == 0 else f"voice {v + 1}")
        mf.addProgramChange(v, channel, 0, program)
    mf.addTempo(0, 0, bpm)
    for start, dur, pitch, v in perf.notes:
        channel = min(v if v < _DRUM_CHANNEL else v + 1, 15)
        s = swing_time(start, swing)
        e = swing_time(start + dur, swing)
        mf.addNote(min(v, n_tracks - 1), channel, _fit_pitch(pitch + transpose), s,
                   max(e - s, 1e-3), _VELOCITY)
    # "all notes off" where the music ends, so trailing rests count in the file's length
    mf.addControllerEvent(0, 0, swing_time(perf.quarters, swing), 123, 0)
    buf = io.BytesIO()
    mf.writeFile(buf)
    return buf.getvalue()


def seconds(perf: Performance, tempo: float | None) -> float:
    bpm = float(tempo if tempo is not None else (perf.tune_tempo or DEFAULT_TEMPO))
    return perf.quarters * 60.0 / bpm


def abc_to_midi_local(abc: str, *, tempo: float | None = DEFAULT_TEMPO,
                      instrument: str | int = "piano", transpose: int = 0,
                      swing: float = 0.0) -> bytes:
    _check_options(tempo, transpose, swing)
    perf = performance_local(abc)
    if not perf.notes:
        raise ABCError(f"{perf.title} has no notes to play")
    return write_midi(perf, tempo=tempo, program=resolve_instrument(instrument),
                      transpose=int(transpose), swing=float(swing))


# ----------------------------------------------------------------------------- audio


def midi_seconds(midi: bytes) -> float:
    """Length of a MIDI file in seconds (tempo changes included)."""
    import mido

    try:
        return float(mido.MidiFile(file=io.BytesIO(midi)).length)
    except Exception as e:
        raise RenderError(f"not a readable MIDI file: {type(e).__name__}: {e}"[:300]) from None


def _check_audio_length(midi: bytes) -> None:
    length = midi_seconds(midi)
    if length > MAX_AUDIO_SECONDS:
        raise RenderError(
            f"the tune lasts {length:,.0f} s, more than the {MAX_AUDIO_SECONDS:.0f} s "
            "rendered as audio")


def midi_to_wav_local(midi: bytes) -> bytes:
    import midirenderer

    _check_audio_length(midi)
    return bytes(midirenderer.render_wave_from(_soundfont_bytes(), bytes(midi)))


def midi_to_opus_local(midi: bytes) -> bytes:
    import midirenderer

    _check_audio_length(midi)
    return bytes(midirenderer.render_opus_from(_soundfont_bytes(), bytes(midi), stereo=False))


def wav_seconds(wav: bytes) -> float:
    """Length of a WAV file in seconds."""
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / float(w.getframerate())


# ----------------------------------------------------------------------------- score


def notation_score_local(abc: str):
    """music21 score of the tune as written (repeats shown, not expanded), titled."""
    from music21 import text

    abc = abcmod._normalize(abc)
    abcmod._check_size(abc)
    label = abcmod.tune_label(abc)
    _check_engravable(abc, label)
    score = _parse(abcmod.notation_abc(abc), label)
    if not score.flatten().notes:
        raise ABCError(f"{label} has no notes to engrave")
    if float(score.highestTime) > MAX_ENGRAVE_QUARTERS:
        raise RenderError(
            f"{label} lasts {float(score.highestTime):,.0f} quarter notes, more than the "
            f"{MAX_ENGRAVE_QUARTERS:,.0f} engraved")
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
    tune = abcmod.parse_tune(abc)
    bars = tune.main_bars()
    if not bars:
        raise ABCError(f"{label} has no notes to engrave")
    try:
        lengths, _ = abcmod._music21_bar_lengths(tune, bars)
    except Exception:
        return  # the notation parse below reports the problem
    total = sum(x for x in lengths if x is not None) * 4
    if total > MAX_ENGRAVE_QUARTERS:
        raise RenderError(f"{label} lasts {float(total):,.0f} quarter notes, more than the "
                          f"{MAX_ENGRAVE_QUARTERS:,.0f} engraved")
    for b, got in zip(bars, lengths):
        want = abcmod.meter_length(b.state.get("M", tune.header.get("M")))
        if got is not None and want and got > MAX_BAR_RATIO * want:
            raise RenderError(f"{label}: the bar on line {b.line} is {float(got / want):,.0f} "
                              f"bars of {b.state.get('M', tune.header.get('M'))} long; "
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
            f"MusicXML export failed for {abcmod.tune_label(abc)}: {type(e).__name__}: {e}"[:600]
        ) from None


@functools.lru_cache(maxsize=1)
def _verovio():
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


def musicxml_to_svg_local(xml: bytes | str) -> str:
    tk = _verovio()
    tk.resetOptions()
    tk.setOptions(_SVG_OPTIONS)
    data = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    if not tk.loadData(data):
        raise RenderError("verovio could not read the MusicXML")
    # One page: 60,000 units hold the MAX_ENGRAVE_QUARTERS-long scores we accept.
    svg = tk.renderToSVG(1)
    if not svg:
        raise RenderError("verovio produced no SVG")
    return sanitize_svg(svg)


def abc_to_svg_local(abc: str) -> str:
    return musicxml_to_svg_local(musicxml_local(abc))


_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_BANNED_TAGS = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener"}


def sanitize_svg(svg: str) -> str:
    """Drop script-capable parts of an SVG: script/foreignObject elements, `on*` attributes,
    and `javascript:`/`data:` links. Text stays as escaped character data."""
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as e:
        raise RenderError(f"verovio produced malformed SVG: {e}") from None

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1].lower()

    for parent in list(root.iter()):
        for child in list(parent):
            if local(child.tag) in _BANNED_TAGS:
                parent.remove(child)
        for attr in list(parent.attrib):
            name = local(attr)
            value = parent.attrib[attr].strip().lower()
            if name.startswith("on"):
                del parent.attrib[attr]
            elif name in ("href", "src") and not value.startswith("#"):
                del parent.attrib[attr]
    box = root.get("viewBox", "").split()
    if len(box) == 4 and "width" not in root.attrib:
        # an <img> needs an intrinsic size; the viewBox keeps it scalable
        root.set("width", f"{box[2]}px")
        root.set("height", f"{box[3]}px")
    return ET.tostring(root, encoding="unicode")


def count_svg_notes(svg: str) -> int:
    """Number of engraved notes (verovio's `<g class="note">` groups)."""
    return len(re.findall(r'class="note(?:\s[^"]*)?"', svg))


# ----------------------------------------------------------------------------- all at once


def render_parts_local(abc: str, formats=FORMATS, *, tempo: float | None = DEFAULT_TEMPO,
                       instrument: str | int = "piano", transpose: int = 0,
                       swing: float = 0.0, check: bool = True,
                       ended: bool | None = None) -> Iterator[tuple]:
    """Render one tune to several formats, yielding progress events (run in a worker).

    Events: ("check", report dict or None, error or None, seconds), ("start", fmt),
    ("ok", fmt, data, seconds), ("error", fmt, message, seconds). Formats are done in a
    fixed order (midi before audio, musicxml before svg) and share their intermediates.
    """
    label = abcmod.tune_label(abc)
    wanted = [f for f in FORMATS if f in formats]
    if check:
        t0 = time.perf_counter()
        try:
            yield ("check", abcmod.check_tune(abc, ended=ended).to_dict(), None,
                   time.perf_counter() - t0)
        except Exception as e:
            yield ("check", None, _message("check", label, e), time.perf_counter() - t0)
    done: dict[str, Any] = {}
    failed: dict[str, str] = {}

    def need(fmt: str):
        if fmt in failed:
            raise RenderError(failed[fmt])
        if fmt not in done:
            if fmt == "midi":
                done[fmt] = abc_to_midi_local(abc, tempo=tempo, instrument=instrument,
                                              transpose=transpose, swing=swing)
            elif fmt == "wav":
                done[fmt] = midi_to_wav_local(need("midi"))
            elif fmt == "opus":
                done[fmt] = midi_to_opus_local(need("midi"))
            elif fmt == "musicxml":
                done[fmt] = musicxml_local(abc)
            elif fmt == "svg":
                done[fmt] = musicxml_to_svg_local(need("musicxml"))
        return done[fmt]

    for fmt in wanted:
        yield ("start", fmt)
        t0 = time.perf_counter()
        try:
            data = need(fmt)
            yield ("ok", fmt, data, time.perf_counter() - t0)
        except Exception as e:
            failed.setdefault(fmt, _message(fmt, label, e))
            yield ("error", fmt, failed[fmt], time.perf_counter() - t0)


def _message(what: str, label: str, e: BaseException) -> str:
    if isinstance(e, (ABCError, RenderError)):
        msg = str(e)
        return msg if label in msg else f"{what} for {label}: {msg}"
    return f"{what} for {label} failed: {type(e).__name__}: {e}"[:600]


# ----------------------------------------------------------------------------- public API


def abc_to_midi(abc: str, *, tempo: float | None = DEFAULT_TEMPO,
                instrument: str | int = "piano", transpose: int = 0,
                swing: float = 0.0) -> bytes:
    """MIDI bytes of a tune, repeats and endings played as written.

    `tempo` counts quarter notes per minute (None: the tune's Q:, else 120); `instrument`
    is a name from INSTRUMENTS or a GM program; `transpose` in semitones; `swing` 0-1
    delays off-beat eighths (1 = triplet feel, for hornpipes). Runs in a worker process;
    raises ABCError for unreadable ABC, RenderError for a crash or time-out.
    """
    resolve_instrument(instrument)
    _check_options(tempo, transpose, swing)
    from musicrnn import isolate

    return isolate.call("musicrnn.render:abc_to_midi_local", abc, label=abc,
                        tempo=tempo, instrument=instrument, transpose=transpose, swing=swing)


def midi_to_wav(midi: bytes) -> bytes:
    """16-bit stereo WAV of a MIDI file, synthesized with the TimGM6mb SoundFont."""
    from musicrnn import isolate

    return isolate.call("musicrnn.render:midi_to_wav_local", bytes(midi), label="MIDI")


def midi_to_opus(midi: bytes) -> bytes:
    """Ogg Opus audio of a MIDI file (small, for the browser's audio player)."""
    from musicrnn import isolate

    return isolate.call("musicrnn.render:midi_to_opus_local", bytes(midi), label="MIDI")


def abc_to_musicxml(abc: str) -> bytes:
    """MusicXML (UTF-8 bytes) of the tune as written, via music21."""
    from musicrnn import isolate

    return isolate.call("musicrnn.render:musicxml_local", abc, label=abc)


def abc_to_svg(abc: str) -> str:
    """Engraved score as one SVG string (music21 -> MusicXML -> verovio), sanitized."""
    from musicrnn import isolate

    return isolate.call("musicrnn.render:abc_to_svg_local", abc, label=abc)


def render_all(abc: str, formats=FORMATS, **options) -> dict:
    """Everything the studio shows for one tune in one worker round trip; see isolate.render_all."""
    from musicrnn import isolate

    return isolate.render_all(abc, formats, **options)
