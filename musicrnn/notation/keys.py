"""What a `K:` value says: the tonic (the modal final: A for `Ador`, D for `Dmix`) and the key signature.

One reading for the style figures (does a tune end on its final?) and for the model's key input, so that the
key a model is told and the final a tune is measured against are the same.
"""
from __future__ import annotations

import re

PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
FIFTH = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}  # a letter's place on the line of fifths
MODE_SHIFT = {"": 0, "maj": 0, "ion": 0, "m": -3, "min": -3, "aeo": -3, "dor": -2, "phr": -4, "lyd": 1,
              "mix": -1, "loc": -5}
KEY_VALUE = re.compile(r"^\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)")


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
