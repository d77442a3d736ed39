"""See inside the network: where a tune surprises the model, what it expects next, which cells track the bars.

    surprise     `read_tune(s)`: bits of every character from a fresh state, as `evaluate` reads a tune;
                 the distributions and the states of every layer from the same pass; `note_bits`
    next_char    `next_chars`: the most likely next characters and the distribution sampling draws from
    walk         the tune's body token by token (bars, notes, chord symbols); `note_spans`
    features     per-character features of the notation (bar position, quotes, repeats, parts, pitch, column)
    cells        every unit correlated with every feature; `unit_activation`
    cell_cache   `cell_statistics`: the same, cached on disk by model and tune set
    states       the network run layer by layer, every layer's hidden (and cell) state at every character
    tune_sets    a source's tunes as `evaluate` reads them; a checkpoint's validation tunes
"""
from musicrnn.inspection.cell_cache import cell_statistics
from musicrnn.inspection.cells import CellStats, Unit, correlate, unit_activation
from musicrnn.inspection.features import DESCRIPTIONS, FEATURES, tune_features
from musicrnn.inspection.next_char import TOP, NextChar, distributions, next_chars
from musicrnn.inspection.surprise import END, Reading, note_bits, read_tune, read_tunes
from musicrnn.inspection.tune_sets import source_tunes, validation_split, validation_tunes
from musicrnn.inspection.walk import NoteSpan, note_spans

__all__ = [
    "DESCRIPTIONS", "END", "FEATURES", "TOP", "CellStats", "NextChar", "NoteSpan", "Reading", "Unit",
    "cell_statistics", "correlate", "distributions", "next_chars", "note_bits", "note_spans", "read_tune",
    "read_tunes", "source_tunes", "tune_features", "unit_activation", "validation_split", "validation_tunes",
]
