"""The body walk: tokens in their bars, notes as spans of the text, written pitches."""
from fractions import Fraction

from musicrnn.inspection.walk import note_spans, walk, written_pitch


def test_tokens_know_their_bar_and_how_far_into_it_they_start():
    w = walk("X:1\nL:1/8\nM:3/4\nK:G\nG2 A>B c2|c6|\nK:D\nd6|]")
    notes = [(t.text, t.bar, t.elapsed) for t in w.tokens if t.kind == "note"]
    assert notes == [("G2", 0, 0), ("A", 0, Fraction(1, 4)), ("B", 0, Fraction(7, 16)), ("c2", 0, Fraction(1, 2)),
                     ("c6", 1, 0), ("d6", 2, 0)]
    assert [(b.length, b.meter) for b in w.bars[:3]] == [(Fraction(3, 4), Fraction(3, 4))] * 3
    k = w.text.index("K:D")
    assert w.fields == [(k, k + 4)] and w.body == w.text.index("G2")


def test_note_spans_cover_notes_chords_rests_and_grace_groups():
    abc = 'X:1\nL:1/8\nK:D\n{g}A2 "Em"[EG]B z|Z2|'
    spans = note_spans(abc)
    assert [(s.text, s.kind) for s in spans] == [("{g}", "grace"), ("A2", "note"), ("[EG]", "chord"), ("B", "note"),
                                                ("z", "rest"), ("Z2", "rest")]
    assert all(abc[s.start:s.end] == s.text for s in spans)


def test_written_pitch():
    assert [written_pitch(n) for n in ("C", "c", "c'", "C,", "^F", "_B,", "=e", "z", "x")] == [
        60, 72, 84, 48, 66, 58, 76, None, None]
