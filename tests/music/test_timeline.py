"""The player's timeline: written notes by their SVG ids, played in the order the MIDI plays the bars."""
from __future__ import annotations

import json
import re

import pytest

from musicrnn.music.midi import swing_time
from musicrnn.music.performance import performance_local
from musicrnn.music.render_parts import render_parts_local
from musicrnn.music.score import engrave_local, musicxml_local
from musicrnn.music.timeline import Layout, build_timeline, read_layout
from tests.helpers.music_data import oneills, tunes_of

REPEATS = "X:1\nT:Repeats\nL:1/4\nM:4/4\nK:C\n|:C D:|1E F:|2G A|]\n"
JIG = 'X:1\nT:Jig\nL:1/8\nM:6/8\nK:G\nD|:GAB [GB]2c-|c3 {a}g2f|"Am"e2d c3:|\n'


def timeline(abc: str, **kw) -> dict:
    events = list(render_parts_local(abc, ("timeline",), check=False, **kw))
    done = {e[1]: e[2] for e in events if e[0] in ("ok", "error")}
    assert isinstance(done["timeline"], str) and done["timeline"].startswith("{"), done["timeline"]
    return json.loads(done["timeline"])


def onsets(tl: dict) -> list[float]:
    return sorted({round(s * tl["bpm"] / 60, 3) for s, _, _ in tl["events"]})


def test_repeats_and_endings_sound_in_order():
    tl = timeline(REPEATS)
    assert tl["exact"]
    # C D (pass 1), E F (first ending), C D (pass 2), G A (second ending): `:|1` opens the first ending
    assert [e[2] for e in tl["events"]] == [0, 1, 2, 3, 0, 1, 4, 5]
    assert [b[2] for b in tl["played_bars"]] == [0, 1, 0, 2]
    assert tl["seconds"] == pytest.approx(4.0)  # eight quarter notes at 120
    assert [b["label"] for b in tl["bars"]] == ["0", "1", "2"]  # a short first bar is a pickup: bar 0


def test_chords_ties_grace_notes_and_the_pickup():
    tl = timeline(JIG)
    notes, events = tl["notes"], tl["events"]
    assert len(notes) == 12  # the grace note takes no time and is no note of the timeline; a chord is one
    # pickup, then bars 1-3 twice: the repeat goes back to |:, not to the pickup
    assert [b[2] for b in tl["played_bars"]] == [0, 1, 2, 3, 1, 2, 3]
    assert events[0][:2] == [0.0, 0.25] and events[1][0] == pytest.approx(0.25)
    assert tl["seconds"] == pytest.approx((0.5 + 3 * 3 * 2) * 0.5)  # pickup + 3 bars of 6/8 twice, at 120


def test_ids_are_the_svgs_notes():
    svg, layout = engrave_local(musicxml_local(JIG))
    ids = set(re.findall(r'id="([^"]+)"', svg))
    assert layout.notes and all(i in ids for n in layout.notes for i in n["ids"])
    assert all(b in ids for b in layout.bars)
    assert len(layout.bars) == 4 and layout.lengths[0] == pytest.approx(0.5)


def test_swing_and_tempo_go_through_the_midi_writers_own_timing():
    layout = Layout(["m1"], ["1"], [2.0], [{"ids": [f"n{k}"], "bar": 0, "at": k * 0.5, "dur": 0.5} for k in range(4)])
    tl = build_timeline(layout, [0, 0], bpm=60, swing=1.0)
    starts = [e[0] for e in tl["events"]]
    assert starts == [round(swing_time(q, 1.0), 4) for q in (0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5)]
    assert starts[1] == pytest.approx(2 / 3, abs=1e-4)  # the off-beat eighth lands on the triplet
    assert tl["seconds"] == pytest.approx(4.0)


@pytest.mark.parametrize("k", range(0, 50, 7))
def test_bar_starts_and_notes_agree_with_the_midi(k):
    abc = oneills(k)
    tl = timeline(abc)
    assert tl["exact"]
    perf = performance_local(abc)
    # the bars sound when the MIDI plays them: the timeline ends where the MIDI's notes end
    assert tl["seconds"] * tl["bpm"] / 60 == pytest.approx(perf.quarters, abs=1e-3)
    mine, midi = set(onsets(tl)), {round(s, 3) for s, _, _, _ in perf.notes}
    assert midi <= mine or len(midi - mine) <= 2, sorted(midi - mine)  # music21 reads a slur or fermata apart


def test_most_corpus_tunes_light_every_note_the_midi_plays():
    tunes = tunes_of("oneills1850/0001-0050.abc")[:30]
    same = 0
    for abc in tunes:
        tl = timeline(abc)
        midi = {round(s, 3) for s, _, _, _ in performance_local(abc).notes}
        same += midi <= set(onsets(tl))
    assert same >= 0.85 * len(tunes), same


def test_transposition_changes_the_score_and_keeps_the_layout():
    xml = musicxml_local(JIG)
    plain, a = engrave_local(xml)
    up, b = engrave_local(xml, transpose=2)
    assert plain != up and len(a.notes) == len(b.notes) and a.lengths == b.lengths


def test_a_bar_music21_splits_is_still_one_bar_of_the_tune():
    abc = "X:1\nL:1/8\nM:2/4\nK:C\n|:CDEF|GABcd|c4:|\n"  # the middle bar is one eighth too long
    tl = timeline(abc)
    assert tl["exact"] and len(tl["bars"]) == 4  # music21 split it in two measures
    assert [b[2] for b in tl["played_bars"]] == [0, 1, 2, 3, 0, 1, 2, 3]
    perf = performance_local(abc)
    assert tl["seconds"] * tl["bpm"] / 60 == pytest.approx(perf.quarters)


def test_unreadable_mei_is_a_clear_error():
    from musicrnn.errors import RenderError

    with pytest.raises(RenderError, match="malformed MEI"):
        read_layout("<mei")
