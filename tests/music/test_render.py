"""ABC -> MIDI, audio, MusicXML, SVG through the public (worker pool) API, checked by content:
the notes that sound, their times, the audio's length, the engraved notes."""

from __future__ import annotations

import io
import re
import time
import xml.etree.ElementTree as ET

import pytest

from musicrnn import music as render
from musicrnn.errors import ABCError, RenderError
from musicrnn.notation.transpose import transpose_exact
from tests.helpers.music_data import midi_notes, oneills, pitches, tunes_of

HEAD = "X:1\nT:Test\nL:1/4\nM:4/4\nK:C\n"


def sounding(abc: str, **kw) -> list[int]:
    return [p for _, _, p in midi_notes(render.abc_to_midi(abc, **kw))]


# ----------------------------------------------------------------------------- MIDI


@pytest.mark.parametrize("tempo", [120, 90])
def test_cdef_pitches_and_quarter_notes_at_the_chosen_tempo(tempo):
    notes = midi_notes(render.abc_to_midi("X:1\nL:1/4\nM:4/4\nK:C\nCDEF|", tempo=tempo))
    beat = 60.0 / tempo
    assert [p for _, _, p in notes] == [60, 62, 64, 65]
    for k, (start, end, _) in enumerate(notes):
        assert start == pytest.approx(k * beat, abs=1e-3)
        assert end - start == pytest.approx(beat, abs=1e-3)


def test_repeat_doubles_the_note_count():
    once = sounding(HEAD + "CDEF|GABc|]")
    twice = sounding(HEAD + "|:CDEF|GABc:|")
    assert len(once) == 8 and twice == once + once


# Each repeat and ending form, by the notes that sound. music21's own expandRepeats loses
# music around '::' ("|:CD|EF::GA|Bc:|" keeps only C D E) and the repeat in '||:'.
REPEAT_FORMS = {
    "start-end": ("|:CDEF|GABc:|", "CDEF GABc CDEF GABc"),
    "implicit start": ("CDEF|GABc:|cBAG|]", "CDEF GABc CDEF GABc cBAG"),
    "double colon": ("|:CD EF|GA Bc::cB AG|FE DC:|", "CDEF GABc CDEF GABc cBAG FEDC cBAG FEDC"),
    "double colon tight": ("|:CDEF::GABc:|", "CDEF CDEF GABc GABc"),
    ":|:": ("CDEF:|:GABc:|", "CDEF CDEF GABc GABc"),
    ":||:": ("|:CDEF:||:GABc:|", "CDEF CDEF GABc GABc"),
    "||:": ("CDEF||:GABc:|", "CDEF GABc GABc"),
    "|1 :|2": ("|:CDEF|1GABc:|2cBAG|]", "CDEF GABc CDEF cBAG"),
    "[1 :|[2": ("|:CDEF|[1GABc:|[2cBAG|]", "CDEF GABc CDEF cBAG"),
    "| [1 :| [2": ("|:CDEF|[1 GABc:| [2 cBAG|]", "CDEF GABc CDEF cBAG"),
    "two-bar endings": ("|:CDEF|1GABc|GGGG:|2cBAG|AAAA|]", "CDEF GABc GGGG CDEF cBAG AAAA"),
    "two parts with endings": ("|:CDEF|1GABc:|2cBAG||:EEEE|1FFFF:|2GGGG|]",
                               "CDEF GABc CDEF cBAG EEEE FFFF EEEE GGGG"),
    "pickup": ("G|:CDEF|GABc:|", "G CDEF GABc CDEF GABc"),
    "three endings": ("|:CDEF|[1GABc:|[2cBAG:|[3AAAA|]", "CDEF GABc CDEF cBAG CDEF AAAA"),
    "across lines": ("|:CDEF|GABc:|\n|:cBAG|FEDC:|", "CDEF GABc CDEF GABc cBAG FEDC cBAG FEDC"),
}


@pytest.mark.parametrize("form", list(REPEAT_FORMS))
def test_repeat_and_ending_forms_sound_as_written(form):
    body, expected = REPEAT_FORMS[form]
    assert sounding(HEAD + body + "\n") == pitches(expected)


def test_double_colon_in_a_real_tune_plays_both_parts_twice():
    # Ryan's Mammoth, Andrew Carey's slip jig: A part '::' B part ':|', 4 bars of 9/8 each.
    notes = midi_notes(render.abc_to_midi(tunes_of("ryansMammoth/AndrewCareysSlipjig.abc")[0],
                                          tempo=120))
    part = 4 * 4.5 * 0.5  # seconds per part at 120 quarter notes a minute
    assert notes[-1][1] == pytest.approx(4 * part)

    def seq(k):
        return [p for s, _, p in notes if k * part - 1e-6 <= s < (k + 1) * part - 1e-6]

    assert seq(0) == seq(1) and seq(2) == seq(3) and seq(0) != seq(2)
    assert len(seq(0)) > 20


def test_inline_key_change_is_heard_and_undone_on_the_repeat():
    # music21 ignores '[K:D]'; F must sound as F# after it, and as F again on the repeat.
    notes = sounding(HEAD + "|:F4|[K:D]F4:|")
    assert notes == [65, 66, 65, 66]


def test_accidentals_last_to_the_end_of_the_bar():
    # ABC 2.1 (and every player); music21 alone reads unversioned ABC as 1.3 and does not
    assert sounding(HEAD + "^F F =F F|F4|") == [66, 66, 65, 65, 65]


def test_decorations_music21_mishandles_keep_their_notes():
    # music21 swallows the note after 'H' (fermata) and after a '">"' annotation
    assert sounding(HEAD + 'C HD ">"E F|') == [60, 62, 64, 65]


def test_transpose_and_octave_folding():
    assert sounding(HEAD + "CDEF|", transpose=2) == [62, 64, 66, 67]
    assert sounding(HEAD + "c''''''|", transpose=0)[0] <= 127


def musicxml_pitches(xml: bytes) -> tuple[int, list[int]]:
    """The key signature (sharps + / flats -) and the MIDI numbers of the notes music21 reads from MusicXML."""
    import music21

    score = music21.converter.parseData(xml, format="musicxml")
    key = next(iter(score.recurse().getElementsByClass(music21.key.KeySignature)), None)
    return key.sharps if key else 0, [p.midi for n in score.flatten().notes for p in n.pitches]


def test_a_transposed_tune_is_written_out_in_its_new_key_for_the_score_and_the_files():
    tune = oneills(0)
    plain = render.render_all(tune, ("abc", "musicxml", "svg"), check=False)
    up = render.render_all(tune, ("abc", "musicxml", "svg"), transpose=2, check=False)
    assert plain["data"]["abc"] == tune and up["ok"]
    assert up["data"]["abc"] == transpose_exact(tune, 2) != tune  # the downloads' ABC is in the key it sounds in
    (sharps0, notes0), (sharps2, notes2) = (musicxml_pitches(r["data"]["musicxml"]) for r in (plain, up))
    assert sharps2 == sharps0 + 2 and notes2 == [n + 2 for n in notes0]  # every note a tone up, two more sharps
    # the score is engraved from that text, not moved by the engraver: the same as engraving it untransposed
    assert up["data"]["svg"] == render.render_all(up["data"]["abc"], ("svg",), check=False)["data"]["svg"]


def test_a_tune_that_cannot_be_written_in_the_new_key_is_moved_by_the_engraver_and_its_files_stay():
    tune = "X:1\nT:No key\nL:1/8\nM:4/4\nK:none\nCDEF GABc|\n"
    plain = render.render_all(tune, ("abc", "musicxml", "svg"), check=False)
    up = render.render_all(tune, ("abc", "musicxml", "svg"), transpose=2, check=False)
    assert up["data"]["abc"] == tune
    assert musicxml_pitches(up["data"]["musicxml"]) == musicxml_pitches(plain["data"]["musicxml"])
    assert up["data"]["svg"] != plain["data"]["svg"]  # the score still shows it in the key it sounds in


def test_a_transposing_instruments_part_is_written_above_what_sounds():
    tune = oneills(0)
    plain = render.render_all(tune, ("abc", "midi", "musicxml"), check=False)
    clarinet = render.render_all(tune, ("abc", "midi", "musicxml"), written_above=2, check=False)
    assert clarinet["data"]["abc"] == transpose_exact(tune, 2)  # read a tone above
    assert midi_notes(clarinet["data"]["midi"]) == midi_notes(plain["data"]["midi"])  # sounding where it was
    written, concert = (musicxml_pitches(r["data"]["musicxml"])[1] for r in (clarinet, plain))
    assert written == [n + 2 for n in concert]
    down = render.render_all(tune, ("abc", "midi"), transpose=-2, written_above=2, check=False)
    assert down["data"]["abc"] == tune  # a tone down for a B♭ part is the tune as written
    sounding_down, sounding = ([p for _, _, p in midi_notes(r["data"]["midi"])] for r in (down, plain))
    assert sounding_down == [p - 2 for p in sounding]
    with pytest.raises(RenderError, match="outside -48..48"):
        render.render_all(tune, ("abc",), transpose=40, written_above=14, check=False)


def test_instrument_by_friendly_name():
    import pretty_midi

    for name, program in [("fiddle", 40), ("Tin Whistle", 78), ("bagpipe", 109), ("harp", 46)]:
        pm = pretty_midi.PrettyMIDI(io.BytesIO(render.abc_to_midi(HEAD + "CDEF|", instrument=name)))
        assert pm.instruments[0].program == program
    assert render.INSTRUMENTS["accordion"] == 21 and render.INSTRUMENTS["flute"] == 73
    with pytest.raises(RenderError, match="unknown instrument"):
        render.abc_to_midi(HEAD + "CDEF|", instrument="theremin")


def test_tempo_none_takes_the_tunes_q_field():
    notes = midi_notes(render.abc_to_midi(HEAD.replace("K:C", "Q:1/4=60\nK:C") + "CDEF|",
                                          tempo=None))
    assert [round(s, 3) for s, _, _ in notes] == [0.0, 1.0, 2.0, 3.0]


def test_tempo_none_without_a_q_field_takes_the_tunes_type_pace():
    jig = "X:1\nR:Double Jig\nL:1/8\nM:6/8\nK:G\nGAB c3|"  # 112 dotted quarters: 168 quarters
    starts = [s for s, _, _ in midi_notes(render.abc_to_midi(jig, tempo=None))]
    assert starts[1] - starts[0] == pytest.approx(60 / 168 / 2, abs=1e-3)
    with_q = midi_notes(render.abc_to_midi(jig.replace("K:G", "Q:1/4=60\nK:G"), tempo=None))
    assert with_q[1][0] - with_q[0][0] == pytest.approx(0.5, abs=1e-3)  # its own Q: wins over its type
    untyped = midi_notes(render.abc_to_midi(jig.replace("R:Double Jig\n", ""), tempo=None))
    assert untyped[1][0] - untyped[0][0] == pytest.approx(0.25, abs=1e-3)  # neither: 120


def test_swing_delays_offbeat_eighths():
    straight = midi_notes(render.abc_to_midi(HEAD + "C/D/E/F/ G2|", tempo=120))
    swung = midi_notes(render.abc_to_midi(HEAD + "C/D/E/F/ G2|", tempo=120, swing=1.0))
    assert [round(s, 3) for s, _, _ in straight][:4] == [0.0, 0.25, 0.5, 0.75]
    assert [round(s, 3) for s, _, _ in swung][:4] == [0.0, 0.333, 0.5, 0.833]
    assert swung[4][0] == pytest.approx(1.0) and swung[4][1] - swung[4][0] == pytest.approx(1.0)


def test_chords_and_ties():
    notes = midi_notes(render.abc_to_midi(HEAD + "[CEG]2 C-C|", tempo=60))
    assert [(round(s, 3), round(e, 3), p) for s, e, p in notes] == [
        (0.0, 2.0, 60), (0.0, 2.0, 64), (0.0, 2.0, 67), (2.0, 4.0, 60)]


def test_unreadable_abc_is_an_abc_error():
    with pytest.raises(ABCError, match="ZeroDivisionError"):
        render.abc_to_midi(HEAD + "A/0 B|")


# ----------------------------------------------------------------------------- audio


@pytest.mark.parametrize("tempo", [120, 60])
def test_wav_length_is_the_tunes_duration(tempo):
    wav = render.midi_to_wav(render.abc_to_midi(HEAD + "CDEF|GA z2|", tempo=tempo))
    assert wav[:4] == b"RIFF"
    assert render.wav_seconds(wav) == pytest.approx(8 * 60 / tempo, abs=0.05)


def test_wav_of_a_real_tune_matches_its_midi():
    midi = render.abc_to_midi(oneills(1), tempo=100)
    end = midi_notes(midi)[-1][1]
    assert render.wav_seconds(render.midi_to_wav(midi)) == pytest.approx(end, abs=0.05)


def test_opus_is_ogg_opus():
    opus = render.midi_to_opus(render.abc_to_midi(HEAD + "CDEF|"))
    assert opus[:4] == b"OggS" and b"OpusHead" in opus[:200]


def test_audio_is_refused_past_its_length_limit():
    long_midi = render.abc_to_midi(HEAD + "A99999|")  # MIDI is fine: it is small
    assert render.midi_seconds(long_midi) == pytest.approx(99999 * 0.5)
    with pytest.raises(RenderError, match="rendered as audio"):
        render.midi_to_wav(long_midi)


# ----------------------------------------------------------------------------- score


def test_svg_has_the_right_number_of_notes():
    svg = render.abc_to_svg(HEAD + "CDEF|GABc|[CEG]4|]")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert render.count_svg_notes(svg) == 11  # a chord's notes each count


def test_svg_of_a_real_tune_engraves_every_written_note():
    from music21 import converter

    tune = oneills(1)
    written = converter.parse(tune, format="abc").flatten().notes
    svg = render.abc_to_svg(tune)
    assert render.count_svg_notes(svg) == len(written) == 86
    assert "Fare You Well" in svg


def test_svg_shows_repeats_written_not_expanded():
    svg = render.abc_to_svg(HEAD + "|:CDEF::GABc:|")
    assert render.count_svg_notes(svg) == 8


def test_title_with_script_reaches_the_svg_only_as_text():
    tune = ("X:1\nT:<script>alert(1)</script><img src=x onerror=alert(2)>\n"
            "L:1/4\nM:4/4\nK:C\nCDEF|")
    svg = render.abc_to_svg(tune)
    assert not re.search(r"<\s*(script|img)", svg, re.I)  # no element from the title
    root = ET.fromstring(svg)
    tags = {el.tag.rsplit("}", 1)[-1].lower() for el in root.iter()}
    assert not tags & {"script", "img", "foreignobject", "iframe"}
    assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]
    # the title is engraved as text, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in svg
    texts = "".join(el.text or "" for el in root.iter())
    assert "<script>alert(1)</script>" in texts


def test_sanitizer_removes_script_handlers_and_links():
    dirty = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
             ' viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script>'
             '<foreignObject><div>x</div></foreignObject>'
             '<a xlink:href="javascript:alert(3)"><text onclick="alert(4)">hi</text></a>'
             '<use xlink:href="#glyph"/></svg>')
    clean = render.sanitize_svg(dirty)
    assert "alert" not in clean and "foreignObject" not in clean
    assert "hi" in clean and 'href="#glyph"' in clean
    assert 'width="10px"' in clean  # an <img> needs an intrinsic size


def test_musicxml_round_trips_through_music21():
    from music21 import converter

    xml = render.abc_to_musicxml(HEAD + "|:CDEF|GABc:|")
    assert xml.lstrip().startswith(b"<?xml")
    score = converter.parseData(xml, format="musicxml")
    assert [n.pitch.midi for n in score.flatten().notes] == pitches("CDEFGABc")
    assert score.metadata.bestTitle == "Test"


# ----------------------------------------------------------------------------- all at once


def test_render_all_gives_every_format_and_the_check_in_one_call():
    tune = oneills(4)[:300].rsplit("|", 1)[0] + "|]\n"  # about 300 characters of a real tune
    render.abc_to_midi(HEAD + "C|")  # the pool is warm
    res = render.render_all(tune, ("midi", "wav", "opus", "svg", "musicxml"), tempo=110,
                            instrument="fiddle")
    assert res["ok"] and res["errors"] == {}
    assert set(res["data"]) == {"midi", "wav", "opus", "svg", "musicxml"}
    assert isinstance(res["data"]["svg"], str) and isinstance(res["data"]["wav"], bytes)
    assert res["check"]["parses"] and res["check"]["bars"] > 4
    # each stage reports its seconds (how many is benchmarks/studio_latency.py's split, not a test's)
    assert {"check", "midi", "wav", "svg", "total"} <= set(res["timings"])
    assert all(v >= 0 for v in res["timings"].values())
    assert render.wav_seconds(res["data"]["wav"]) == pytest.approx(
        midi_notes(res["data"]["midi"])[-1][1], abs=0.05)


def test_render_all_reports_a_failing_format_and_keeps_the_others():
    res = render.render_all(HEAD + "A99999|", ("midi", "wav", "svg"))
    assert "midi" in res["data"]
    assert "rendered as audio" in res["errors"]["wav"]
    assert "engraved" in res["errors"]["svg"]
    assert not res["ok"]


def test_render_all_rejects_unknown_formats():
    with pytest.raises(RenderError, match="unknown format"):
        render.render_all(HEAD + "C|", ("midi", "mp4"))


@pytest.mark.parametrize("relpath,index", [
    ("oneills1850/1801-1850.abc", 49),  # 2,439 characters, 708 slurs: was 45 s, now < 1 s
    ("ryansMammoth/ImOverYoungToMarryYetReel.abc", 0),  # stray '=' from an e-mail
    ("ryansMammoth/MyLadysGoonHasGairsOntStrathspey.abc", 0),  # ["Coda" label ending
    ("ryansMammoth/Neumedia.abc", 0),  # "^..." annotations before chords
])
def test_corpus_tunes_music21_alone_renders_render_here_too(relpath, index):
    t0 = time.perf_counter()
    notes = midi_notes(render.abc_to_midi(tunes_of(relpath)[index]))
    assert len(notes) > 50 and notes[-1][1] > 10
    assert time.perf_counter() - t0 < 10


@pytest.mark.parametrize("forbidden,gone", [
    ('<script>alert(1)</script>', "alert"),
    ('<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><b>x</b></body></foreignObject>', "body"),
    ('<g onload="alert(1)" onmouseover="alert(2)"><path d="M0 0"/></g>', "alert"),
    ('<use href="https://evil.example/sprite.svg#a"/>', "evil"),
    ('<use xlink:href="javascript:alert(1)"/>', "javascript"),
    ('<a href="javascript:alert(1)"><text>x</text></a>', "javascript"),
    ('<image href="data:image/png;base64,AAAA"/>', "image"),
    ('<style>g { background: url(https://evil.example/x.png) }</style>', "evil"),
    ('<g style="fill: url(https://evil.example/#x)"><path d="M0 0"/></g>', "evil"),
    ('<animate attributeName="href" to="javascript:alert(1)"/>', "animate"),
    ('<set attributeName="onload" to="alert(1)"/>', "alert"),
    ('<iframe src="https://evil.example"/>', "iframe"),
])
def test_the_allow_list_sanitizer_keeps_nothing_forbidden(forbidden, gone):
    dirty = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
             f'viewBox="0 0 10 10"><g class="note" id="n1"><use href="#glyph"/></g>{forbidden}</svg>')
    clean = render.sanitize_svg(dirty)
    assert gone not in clean
    assert 'class="note"' in clean and 'href="#glyph"' in clean  # what a score needs stays


def test_hostile_text_in_a_tune_never_becomes_markup():
    tune = ('X:1\nT:<svg onload=alert(1)><script>alert(2)</script>\nL:1/8\nM:4/4\nK:D\n'
            '"^<img src=x onerror=alert(3)>"d2 "<b>D</b>"fd "_javascript:alert(4)"A2FA|d8|]\n'
            'w:<script>alert(5)</script> la la\n')
    svg = render.abc_to_svg(tune)
    root = ET.fromstring(svg)
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert tags <= {"svg", "g", "defs", "symbol", "use", "path", "polygon", "polyline", "line", "rect", "circle",
                    "ellipse", "text", "tspan", "title", "desc", "style"}
    assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]
    assert all(v.startswith("#") for el in root.iter() for k, v in el.attrib.items() if k.endswith("href"))
