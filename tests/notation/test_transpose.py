"""Transposition (notation/transpose.py) and key augmentation (data/key_augment.py), checked by the notes
music21 reads: every note of a transposed tune sounds exactly `semitones` away from the original's, in the same
place."""
from __future__ import annotations

import re
import warnings

import music21
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from music21 import harmony

from musicrnn.data.key_augment import AUGMENT_INTERVALS, augment_intervals, key_copies
from musicrnn.data.split import load_corpus
from musicrnn.notation.transpose import Untransposable, key_signature, transpose_exact, transpose_tune
from tests.helpers.music_data import tunes_of

CORPUS_FILES = ("oneills1850/0001-0050.abc", "oneills1850/0051-0100.abc", "oneills1850/0101-0200.abc",
                "airdsAirs/book1.abc", "essenFolksong/erk5.abc", "miscFolk/americanfifeopus.abc")
SEMITONES = (-5, -2, 1, 2, 5, 7)


def sounding(text: str) -> list[tuple[float, int]]:
    """(offset, MIDI number) of every sounding note music21 reads, chord symbols left out, read as ABC 2.1
    (accidentals last to the bar's end; unversioned text is read as 1.3). `::` is given to music21 as `:|:`,
    which it reads the same, as it loses the notes around a `::` that follows a plain letter (`GED::GBd`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = music21.converter.parse("%abc-2.1\n" + re.sub(r"(?<=[A-Ga-g])::", ":|:", text), format="abc")
    return sorted((float(n.offset), p.midi) for n in score.flatten().notes
                  if not isinstance(n, harmony.ChordSymbol) for p in n.pitches)


def shifted(notes, semitones):
    return sorted((offset, midi + semitones) for offset, midi in notes)


def key_of(text: str) -> str:
    return next(line[2:] for line in text.split("\n") if line.startswith("K:"))


def body(text: str) -> str:
    return text.split("\n", 2)[2]


def tune(key: str, music: str) -> str:
    return f"X:1\nL:1/8\nK:{key}\n{music}"


@pytest.mark.slow
def test_music21_reads_every_transposed_note_exactly_moved():
    tunes = [t for f in CORPUS_FILES for t in tunes_of(f)[: 100 if f.startswith("oneills") else 30]]
    assert len(tunes) >= 250
    agree, refused, unread, tried = 0, 0, 0, 0
    wrong = []
    for k, text in enumerate(tunes):
        try:
            original = sounding(text)
        except Exception:  # noqa: BLE001 - a tune music21 cannot read says nothing about transposition
            unread += 1
            continue
        for s in SEMITONES:
            tried += 1
            moved = transpose_tune(text, s)
            if moved is None:
                refused += 1
                continue
            if sounding(moved) == shifted(original, s):
                agree += 1
            else:
                wrong.append((k, s))
    print(f"{len(tunes)} tunes ({unread} music21 cannot read), {tried} transpositions: {agree} agree, "
          f"{refused} refused, {len(wrong)} disagree")
    assert not wrong, wrong[:10]
    assert refused < 0.05 * tried and agree > 1000


@pytest.mark.slow
def test_cleaned_training_tunes_transpose_exactly():
    """Augmentation transposes cleaned tunes: the same check on 120 of the dance corpus, at the intervals the
    augmentation draws for each."""
    train = load_corpus("music21:dance").train
    agree, refused, wrong = 0, 0, []
    for k, text in enumerate(train[::33][:120]):
        original = sounding(text)
        for s in augment_intervals(text)[:3]:
            moved = transpose_tune(text, s)
            if moved is None:
                refused += 1
            elif sounding(moved) == shifted(original, s):
                agree += 1
            else:
                wrong.append((k, s))
    assert not wrong and refused < 18 and agree > 340, (agree, refused, wrong[:10])


@pytest.mark.parametrize("key, semitones, new", [
    ("D", 2, "E"), ("D", 1, "Eb"), ("D", -1, "Db"), ("F", -1, "E"), ("Bb", 2, "C"), ("Ador", 2, "Bdor"),
    ("Emin", 5, "Amin"), ("Gmix", 3, "Bbmix"), ("C", 6, "Gb"), ("E", 2, "F#"), ("Dmix", -2, "Cmix"),
    ("Dmaj", 2, "Emaj"), ("Dm", 1, "Ebm"), ("D dorian", 2, "E dorian"), ("Edor", -2, "Ddor"), ("Amix", 5, "Dmix"),
    ("Gm", 1, "G#m"), ("G clef=bass", 2, "A clef=bass"), ("F#m", 1, "Gm"), ("Ab", -5, "Eb"), ("A", 7, "E"),
])
def test_key_signature_table(key, semitones, new):
    assert key_of(transpose_exact(tune(key, "ABc|"), semitones)) == new


@pytest.mark.parametrize("key", ["C", "G", "D", "A", "E", "B", "F#", "F", "Bb", "Eb", "Ab", "Db", "Gb", "Ador", "Em",
                                 "Dmix", "Bdor", "C#m", "Ebmix", "Flyd", "Ephr", "Bloc"])
def test_every_new_key_has_at_most_six_sharps_or_flats(key):
    for s in range(-11, 12):
        new = key_of(transpose_exact(tune(key, "ABc|"), s))
        assert abs(key_signature(new)) <= 6, (key, s, new)
        assert (key_signature(new) - key_signature(key)) * 7 % 12 == s % 12  # the signature moved by s


@pytest.mark.parametrize("key", ["HP", "Hp", "none", "D exp ^f", "D ^f _b", "Dhighland"])
def test_keys_it_will_not_transpose(key):
    assert transpose_tune(tune(key, "ABc|"), 2) is None
    with pytest.raises(Untransposable):
        transpose_exact(tune(key, "ABc|"), 2)


@pytest.mark.parametrize("text", ["X:1\nL:1/8\nABc|", tune("D", "^/c d|"), tune("D", '"unclosed A|'),
                                  tune("D", "+CEG+ A|"), tune("C#", "^^^c|")])
def test_tunes_it_will_not_transpose(text):
    assert transpose_tune(text, 3) is None


def test_zero_returns_the_text_itself():
    text = tunes_of("oneills1850/0001-0050.abc")[3]
    assert transpose_tune(text, 0) is text
    assert transpose_tune(tune("HP", "ABc|"), 0) == tune("HP", "ABc|")


@pytest.mark.parametrize("symbol, semitones, new", [
    ("Am", 2, "Bm"), ("Bb/F", 2, "C/G"), ("F#m7", 1, "Gm7"), ("G/B", 2, "A/C#"), ("D7", 1, "Eb7"),
    ("F#m7b5", 1, "Gm7b5"), ("Em", -2, "Dm"), ("(Em)", 2, "(F#m)"), ("C", 6, "Gb"), ("Bbmaj7", -1, "Amaj7"),
    ("G/b", 2, "A/c#"), ("^fine", 2, "^fine"), ("_D.C.", 2, "_D.C."), ("<left", 1, "<left"), ("@1,2 x", 1, "@1,2 x"),
    ("Allegro", 2, "Allegro"), ("Dm(maj7)", 2, "Dm(maj7)"),
])
def test_chord_symbols_move_annotations_stay(symbol, semitones, new):
    text = transpose_exact(tune("C", f'"{symbol}"C2|'), semitones)
    assert body(text).split("\n", 1)[1].split('"')[1] == new


@pytest.mark.parametrize("key, music, semitones, expected", [
    ("C", "b2 B,|", 2, "c'2 C|"),  # up a second from B: the next octave's C
    ("C", "C,2 c|", -1, "B,,2 B|"),  # down from C: the octave below's B
    ("C", "b'2 c|", 1, "c''2 d|"),  # C major + 1 = Db major: B to C, C to D(b)
    ("D", "A,B,C|", 5, "DEF|"),
    ("G", "g'a'b'|", 5, "c''d''e''|"),
])
def test_octaves_cross_at_b_and_c(key, music, semitones, expected):
    text = tune(key, music)
    moved = transpose_exact(text, semitones)
    assert body(moved).split("\n", 1)[1] == expected
    assert sounding(moved) == shifted(sounding(text), semitones)


def test_explicit_accidentals_are_respelled_and_carry_through_the_bar():
    text = tune("G", "^c c =f f | c f _b b|")
    moved = transpose_exact(text, 2)  # G -> A: C# -> D#, F natural -> G natural, Bb -> C natural
    assert key_of(moved) == "A"
    assert body(moved).split("\n", 1)[1] == "^d d =g g | d g =c' c'|"
    assert sounding(moved) == shifted(sounding(text), 2)
    down = transpose_exact(text, -1)  # G -> F# (a minor second down): C# -> B#, F natural -> E natural
    assert key_of(down) == "F#" and body(down).split("\n", 1)[1] == "^B B =e e | B e =a a|"
    assert sounding(down) == shifted(sounding(text), -1)


def test_a_double_accidental_is_written_again_where_it_carries():
    # music21 carries ^^ through the bar as ^, so the note it governs says ^^ itself (what ABC 2.1 means)
    text = tune("Gm", "^F F G F | F2|")
    moved = transpose_exact(text, 1)  # G minor -> G# minor, an augmented unison: F# -> F##
    assert key_of(moved) == "G#m" and body(moved).split("\n", 1)[1] == "^^F ^^F G ^^F | F2|"
    assert sounding(moved) == shifted(sounding(text), 1)


def test_grace_notes_chords_and_inline_keys_move():
    text = tune("D", '{ag}[DFA]2 "A7"[^ce]d | [K:Ador] {/^g}a2 [CE]G |\nw: la la\nK:Bm\n!trill!f2 (3Bcd|]')
    moved = transpose_exact(text, 2)
    assert body(moved).split("\n", 1)[1] == ('{ba}[EGB]2 "B7"[^df]e | [K:Bdor] {/^a}b2 [DF]A |\nw: la la\nK:C#m\n'
                                              "!trill!g2 (3cde|]")
    assert sounding(moved) == shifted(sounding(text), 2)


def test_text_other_than_music_stays():
    text = ("X:7\nT:The Kesh (D major)\nC:Trad. A B C\nM:6/8\nL:1/8\nR:jig\nK:G % a comment with c d e\n"
            "|:GAG \"^ABC\" GAB|!fermata!d2 B +trill+A3 % a b c\n% whole-line comment A B c\nw: A-B-C d e\nT:Part B\n"
            "P:A\nB2 z x>A Z2|]")
    moved = transpose_exact(text, 2)
    old, new = text.split("\n"), moved.split("\n")
    assert new[6] == "K:A % a comment with c d e"
    assert new[7] == '|:ABA "^ABC" ABc|!fermata!e2 c +trill+B3 % a b c'
    assert new[-1] == "c2 z x>B Z2|]"
    assert [a for a, b in zip(old, new) if a != b] == [old[6], old[7], old[-1]]


real_tunes = st.sampled_from(tunes_of("oneills1850/0001-0050.abc")[:30])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=real_tunes, semitones=st.integers(-11, 11).filter(bool))
def test_there_and_back_gives_the_same_notes(text, semitones):
    there = transpose_tune(text, semitones)
    assume(there is not None)  # refused with a reason: a later key of the tune would need over 7 sharps or flats
    back = transpose_exact(there, -semitones)
    assert sounding(back) == sounding(text)
    assert key_signature(key_of(back)) in (key_signature(key_of(text)), key_signature(key_of(text)) - 12,
                                           key_signature(key_of(text)) + 12)


@given(text=real_tunes, semitones=st.integers(-11, 11))
def test_transposition_keeps_the_text_outside_notes(text, semitones):
    moved = transpose_tune(text, semitones)
    assume(moved is not None)  # refused (as for O'Neill's 8 down a semitone: its K:Dm part would be Dbm)
    assert moved.count("\n") == text.count("\n") and moved.count("|") == text.count("|")
    assert moved.count('"') == text.count('"') and moved.count("!") == text.count("!")


def test_key_copies_are_distinct_and_the_same_every_time():
    text = tunes_of("oneills1850/0001-0050.abc")[0]
    order = augment_intervals(text)
    assert sorted(order) == sorted(AUGMENT_INTERVALS) and order == augment_intervals(text)
    copies = key_copies(text, 3)
    assert copies == key_copies(text, 3) and len(set(copies)) == 3 and text not in copies
    assert copies == [transpose_exact(text, s) for s in order[:3]]
    assert key_copies(tune("HP", "ABc|"), 3) == [] and key_copies(text, 0) == []
    assert len(key_copies(text, 11)) == 11
