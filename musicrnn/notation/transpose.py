"""Tunes transposed into other keys, exactly, as a musician would write them: the player's transposition and
the training data's key augmentation (`data/key_augment.py`) both use it.

The interval is chosen as a number of fifths `f` on the line of fifths (`semitones ≡ 7f mod 12`), the one that
gives the new key signature the fewest sharps or flats (at most 6); at a tie (6 either way) the plainer interval
(E+2 is a major second up, F#, not a diminished third, Gb), and then flats (C+6 → Gb). From it follow the diatonic
step count and the exact interval: D major +1 is a minor second up (Eb, not D#), A dorian +2 a major second up
(B dorian), G minor +1 an augmented unison (G# minor, as Ab minor would need 7 flats).

Every note moves by that interval, degree by degree: its letter by the step count (octave marks and case follow
when the letter crosses B-C), its sounding pitch by exactly `semitones`. A note without an accidental keeps none
(the key signature moves with it); an explicit accidental (`^ ^^ _ __ =`) is re-spelled for the new letter,
which may need `^^` or `__`. Since the same interval maps each letter and octave to one letter and octave, the
rule that an accidental lasts to the bar's end holds for the transposed tune whichever way a reader applies it
(ABC 2.1 or 1.3). One addition: music21 (10.5) carries a double accidental through the bar as a single one, so a
note that a `^^` or `__` of its letter and octave earlier in the bar governs gets it written again (what ABC 2.1
means anyway). `K:` lines and `[K:]` fields, grace notes and chords transpose; quoted chord symbols (`"Am"`,
`"Bb/F"`) transpose root and bass with the same spelling; text fields, annotations, decorations, comments and
lengths stay as they are.

A tune that cannot be transposed safely (no key, `K:HP`, `K:none`, explicit accidentals in `K:`, an unknown
mode, microtonal accidentals, a note that would need a triple accidental...) is refused: `transpose_tune` returns
None and `transpose_exact` raises `Untransposable` with the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LETTERS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)  # semitones of C D E F G A B above C
FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}  # each letter's place on the line of fifths
#: Sharps (+) or flats (-) a mode's key signature has beyond its tonic's major key (A dorian: A major - 2 = 1 #).
MODE_FIFTHS = {"": 0, "maj": 0, "ion": 0, "m": -3, "min": -3, "aeo": -3, "dor": -2, "mix": -1, "lyd": 1,
               "phr": -4, "loc": -5}
ACCIDENTALS = {"": None, "=": 0, "^": 1, "^^": 2, "_": -1, "__": -2}
SPELL = {0: "=", 1: "^", 2: "^^", -1: "_", -2: "__"}

# K: value: tonic, its accidental, the mode word (not a `clef=`-style setting) and the rest of the line.
_KEY = re.compile(r"^(\s*)([A-G])([#b]?)(\s*)([A-Za-z]*)(.*)$", re.S)
_KEY_ACCIDENTAL = re.compile(r"^[_^=]+[A-Ga-g]$")
_NOTE = re.compile(r"([_^=]*)([A-Ga-g])([,']*)")
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
# A body line that is a field: not a music line starting with a note or rest (`a:|`, `z:|`, `x:|`).
_BODY_FIELD = re.compile(r"^\s*([H-Zh-wy+]):(.*)$")
_ANY_FIELD = re.compile(r"^\s*([A-Za-z+]):(.*)$")
_CHORD_SYMBOL = re.compile(
    r"^(\(?)([A-G])([#b]?)((?:m|min|maj|M|dim|aug|sus|add|\+|o|ø)?\d*(?:(?:sus|add|maj|b|#)\d+)*)"
    r"(?:/([A-Ga-g])([#b]?))?(\)?)$")
# `+...+` holding only notes is an ABC 1.x chord, not a decoration: refused rather than guessed.
_PLUS_NOTES = re.compile(r"^[_^=A-Ga-g,'0-9/ ]+$")


class Untransposable(ValueError):
    """A tune `transpose_exact` will not transpose; the message says why."""


def transpose_tune(abc: str, semitones: int) -> str | None:
    """`abc` transposed by `semitones` (the same text for 0), or None when it cannot be transposed safely."""
    try:
        return transpose_exact(abc, semitones)
    except Untransposable:
        return None


def transpose_exact(abc: str, semitones: int) -> str:
    """`abc` transposed by `semitones`; raises `Untransposable` with the reason when it cannot be done safely."""
    if not isinstance(semitones, int) or isinstance(semitones, bool):
        raise TypeError(f"semitones must be a whole number, not {semitones!r}")
    if semitones == 0:
        return abc
    lines = abc.split("\n")
    first_key = next((i for i, line in enumerate(lines) if _ANY_FIELD.match(line)
                      and _ANY_FIELD.match(line).group(1) == "K"), None)
    if first_key is None:
        raise Untransposable("the tune has no K: line")
    for line in lines[:first_key]:
        if line.strip() and not line.lstrip().startswith("%") and not _ANY_FIELD.match(line):
            raise Untransposable("a line before the K: line that is not a field")  # music21 reads it as music
    signature = key_signature(lines[first_key].split(":", 1)[1])
    t = Interval.for_key(signature, semitones)
    out = lines[:first_key]
    for line in lines[first_key:]:
        m = _BODY_FIELD.match(line)
        if m:
            letter, value = m.group(1), m.group(2)
            out.append(line[: m.start(2)] + t.key(value) if letter == "K" else line)
        elif line.lstrip().startswith("%"):
            out.append(line)
        else:
            out.append(t.music_line(line))
    return "\n".join(out)


@dataclass(frozen=True)
class Written:
    """A tune as a player transposing it reads it: `text` in the key it sounds in, moved exactly where it can be,
    else as given, with `left` semitones still to move (the engraver moves the notes it draws) and `why` it was
    not written out."""

    text: str
    left: int = 0
    why: str | None = None


def written_for(abc: str, semitones: int) -> Written:
    """`abc` as written for a player `semitones` away: transposed exactly, or as it is when that cannot be done."""
    try:
        return Written(transpose_exact(abc, int(semitones)))
    except Untransposable as e:
        return Written(abc, int(semitones), str(e))


def key_signature(value: str) -> int:
    """The sharps (+) or flats (-) of a `K:` value (`Ador` → 1, `Bb` → -2); raises `Untransposable`."""
    tonic, acc, mode, _rest = _parse_key(value)
    return FIFTHS[tonic] + 7 * (1 if acc == "#" else -1 if acc == "b" else 0) + MODE_FIFTHS[mode]


def _parse_key(value: str) -> tuple[str, str, str, str]:
    """(tonic, accidental, mode key in MODE_FIFTHS, rest) of a `K:` value; refuses what it cannot transpose."""
    low = value.strip().lower()
    if low.startswith("hp"):
        raise Untransposable("a bagpipe key (K:HP) has no transposition")
    if low.startswith("none"):
        raise Untransposable("K:none has no key signature to transpose")
    m = _KEY.match(value.split("%", 1)[0])
    if not m:
        raise Untransposable(f"K:{value.strip()} names no tonic")
    word, rest = m.group(5), m.group(6)
    if rest.startswith("="):  # `K:G clef=bass`: the word is a setting, not a mode
        word = ""
    mode = word.lower()
    if mode not in ("", "m"):
        mode = mode[:3]
    if mode not in MODE_FIFTHS:
        raise Untransposable(f"K:{value.strip()}: mode {word!r} is not one this transposes")
    settings = (rest if word else m.group(4) + rest).split()
    if any(_KEY_ACCIDENTAL.match(s) or s.lower() == "exp" for s in settings):
        raise Untransposable(f"K:{value.strip()}: explicit accidentals in the key")
    return m.group(2), m.group(3), mode, rest


def spell(fifths: int) -> tuple[str, int]:
    """The letter and alteration at a place on the line of fifths (`2` → (D, 0), `-2` → (B, -1))."""
    base = (fifths + 1) % 7 - 1
    letter = next(k for k, v in FIFTHS.items() if v == base)
    return letter, (fifths - base) // 7


class Interval:
    """An exact interval: `fifths` on the line of fifths, `steps` diatonic steps, `semitones` semitones."""

    def __init__(self, fifths: int, semitones: int):
        octaves, r = divmod(7 * fifths - semitones, 12)
        if r:
            raise ValueError(f"{fifths} fifths are not {semitones} semitones in any octave")
        self.fifths, self.semitones, self.steps = fifths, semitones, 4 * fifths - 7 * octaves
        self.bar: dict[int, tuple[int, int]] = {}  # letter -> (octave, alteration) of its last accidental

    @classmethod
    def for_key(cls, signature: int, semitones: int) -> Interval:
        """The interval of `semitones` that gives a key of `signature` the fewest sharps or flats (≤ 6)."""
        f0 = 7 * semitones % 12
        best = min((f0 + 12 * k for k in range(-2, 2)),
                   key=lambda f: (abs(signature + f), abs(f), signature + f > 0))
        if abs(signature + best) > 6:
            raise Untransposable(f"no key of at most 6 sharps or flats for signature {signature} + {semitones}")
        return cls(best, semitones)

    def key(self, value: str) -> str:
        """A `K:` value transposed (`Ador` +2 → `Bdor`; the mode word and `clef=`-style settings kept)."""
        tonic, acc, mode, _rest = _parse_key(value)
        if abs(key_signature(value) + self.fifths) > 7:
            raise Untransposable(f"K:{value.strip()} would need more than 7 sharps or flats")
        new, alt = self.pitch_name(tonic, acc)
        m = _KEY.match(value)
        return m.group(1) + new + alt + value[m.end(3):]

    def pitch_name(self, letter: str, acc: str) -> tuple[str, str]:
        """A chord root or key tonic (`B`, `b`) moved by the interval: (`C`, ``), spelled with `#` or `b`."""
        x = FIFTHS[letter] + 7 * (1 if acc == "#" else -1 if acc == "b" else 0) + self.fifths
        new, alt = spell(x)
        if abs(alt) > 1:
            raise Untransposable(f"{letter}{acc} would need a double accidental")
        return new, "#" if alt == 1 else "b" if alt == -1 else ""

    def note(self, acc: str, letter: str, marks: str, in_chord: bool = False) -> str:
        """One note moved by the interval: its letter and octave by the steps, an explicit accidental re-spelled
        so that the note sounds exactly `semitones` away. Accidentals outside chords are remembered to the bar's
        end (music21 does not carry those inside chords)."""
        if acc not in ACCIDENTALS:
            raise Untransposable(f"accidental {acc!r} on {letter}")
        octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
        degree = 7 * octave + LETTERS.index(letter.upper())
        new = degree + self.steps
        octave, index = divmod(new, 7)
        name = LETTERS[index].lower() if octave >= 5 else LETTERS[index]
        name += "'" * (octave - 5) if octave >= 5 else "," * (4 - octave)
        alter = ACCIDENTALS[acc]
        if alter is None:
            carried = self.bar.get(index)
            double = carried is not None and carried[0] == octave and abs(carried[1]) == 2
            return SPELL[carried[1]] + name if double else name
        pitch = 12 * (degree // 7) + NATURAL[degree % 7] + alter + self.semitones
        alter = pitch - (12 * octave + NATURAL[index])
        if alter not in SPELL:
            raise Untransposable(f"{acc}{letter}{marks} would need more than a double accidental")
        if not in_chord:
            self.bar[index] = (octave, alter)
        return SPELL[alter] + name

    def chord_symbol(self, text: str) -> str:
        """A quoted string's inside: a chord symbol with its root and bass moved, anything else as it was."""
        inner = text.strip()
        m = _CHORD_SYMBOL.match(inner)
        if not m:
            return text
        root = "".join(self.pitch_name(m.group(2), m.group(3)))
        bass = ""
        if m.group(5):
            b, alt = self.pitch_name(m.group(5).upper(), m.group(6))
            bass = "/" + (b.lower() if m.group(5).islower() else b) + alt
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        return lead + m.group(1) + root + m.group(4) + bass + m.group(7) + trail

    def music_line(self, line: str) -> str:
        """A line of music with its notes, chord symbols and `[K:]` fields transposed, the rest as it was."""
        out: list[str] = []
        i, n = 0, len(line)
        in_chord = False
        while i < n:
            c = line[i]
            if c == "%":
                out.append(line[i:])
                break
            if c == '"':
                j = line.find('"', i + 1)
                if j < 0:
                    raise Untransposable("a quote that does not close on its line")
                out.append('"' + self.chord_symbol(line[i + 1:j]) + '"')
                i = j + 1
            elif c in "!+":
                j = line.find(c, i + 1)
                inside = line[i + 1:j] if j > 0 else ""
                if j < 0 or not inside or any(ch.isspace() or ch == "|" for ch in inside):
                    out.append(c)  # a lone `!` (an old line break) or `+`
                    i += 1
                    continue
                if c == "+" and _PLUS_NOTES.match(inside):
                    raise Untransposable(f"+{inside}+ may be an ABC 1.x chord")
                out.append(line[i:j + 1])
                i = j + 1
            elif c == "[" and (f := _INLINE_FIELD.match(line, i)):
                value = self.key(f.group(2)) if f.group(1) == "K" else f.group(2)
                out.append(f"[{f.group(1)}:{value}]")
                i = f.end()
            elif c in "_^=" or c in "ABCDEFGabcdefg":
                m = _NOTE.match(line, i)
                if not m:
                    raise Untransposable(f"an accidental that is not on a note at {line[i:i + 8]!r}")
                out.append(self.note(*m.groups(), in_chord=in_chord))
                i = m.end()
            else:
                if c == "|":
                    self.bar.clear()
                if c in "|[]":  # `[CEG]` is a chord, `[|` and `[2` are bar lines and endings
                    in_chord = c == "[" and line[i + 1:i + 2] not in ("|", *"0123456789")
                out.append(c)
                i += 1
        return "".join(out)
