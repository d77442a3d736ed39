"""What a `K:` value says: the tonic (the modal final: A for `Ador`, D for `Dmix`) and the key signature.

One reading for the style figures (does a tune end on its final?) and for the model's key input, so that the
key a model is told and the final a tune is measured against are the same.
"""
from __future__ import annotations

import re

from musicrnn.notation.durations import scan_body

PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
FIFTH = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}  # a letter's place on the line of fifths
MODE_SHIFT = {"": 0, "maj": 0, "ion": 0, "m": -3, "min": -3, "aeo": -3, "dor": -2, "phr": -4, "lyd": 1,
              "mix": -1, "loc": -5}
KEY_VALUE = re.compile(r"^\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)")
NOTE = re.compile(r"^(\^\^|\^|__|_|=)?([A-Ga-g])")
ACCIDENTAL = {"^^": 2, "^": 1, "__": -2, "_": -1, "=": 0}


def key_parts(key: str) -> tuple[int, int] | None:
    """(tonic pitch class, sharps (+) or flats (-) of the signature) of a `K:` value (`D` → (2, 2), `Ador` →
    (9, 1), `Bbmix` → (10, -3)); None for a key it does not know (`none`, `Hp`, an unknown mode)."""
    m = KEY_VALUE.match(key or "")
    if not m:
        return None
    letter, acc, mode = m.group(1).upper(), m.group(2), m.group(3).lower()[:3]
    if mode not in MODE_SHIFT:
        return None
    step = {"#": 1, "b": -1}.get(acc, 0)
    return (PITCH_CLASS[letter] + step) % 12, FIFTH[letter] + 7 * step + MODE_SHIFT[mode]


def key_signature(key: str) -> tuple[int, dict[str, int]] | None:
    """(tonic pitch class, accidental of each letter) of a `K:` value (`D`, `Ador`, `F#m`, `Bbmix`); None for
    a key it does not know (`none`, `Hp`)."""
    parts = key_parts(key)
    if parts is None:
        return None
    tonic, fifths = parts
    order = "FCGDAEB" if fifths > 0 else "BEADGCF"
    return tonic, {c: (1 if fifths > 0 else -1) for c in order[: min(7, abs(fifths))]}


def pitch_class(note: str, accidentals: dict[str, int]) -> int | None:
    """Pitch class of a note's text (`^f'`, `=B,`, `d`) under a key signature (an accidental earlier in its bar
    is not carried: it rarely touches a tune's last note)."""
    m = NOTE.match(note)
    if not m:
        return None
    letter, explicit = m.group(2).upper(), m.group(1)
    shift = ACCIDENTAL[explicit] if explicit else accidentals.get(letter, 0)
    return (PITCH_CLASS[letter] + shift) % 12


def is_final(key: str, note: str | None) -> bool | None:
    """Whether a note's text (`BarScanner.last_note`) is the tonic of the `K:` value `key`; None without a key
    it knows or a note."""
    sig = key_signature(key)
    if sig is None or note is None:
        return None
    pc = pitch_class(note, sig[1])
    return pc is not None and pc == sig[0]


def ends_on_final(abc: str) -> bool | None:
    """Whether a tune's last note is the tonic of its `K:` (the modal final); None without a key it knows or a
    note. The style figure *ends on the final*, and what the sampler's `final_redraws` asks for."""
    lines = abc.replace("\r\n", "\n").split("\n")
    scanned = scan_body(lines)
    if scanned is None:
        return None
    k, scan = scanned
    return is_final(lines[k][2:], scan.last_note)
