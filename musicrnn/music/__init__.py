"""The music side: ABC structure and play order, checks and repair, MIDI, audio, the engraved score, and the
worker processes that run them. Nothing here imports torch or the model.

    structure      one tune's header, voices, bars, bar lines, repeats and endings (no music21)
    play_order     the order in which bars sound
    music21_text   text written for music21 (repeats expanded, or bar lines it reads correctly)
    check, repair  is a tune playable as written; an opt-in fix, shown as a diff
    performance    the notes as they sound;  midi, audio, score, svg: the formats
    render_parts   every format of one tune in one worker round trip
    workers        the pool of worker processes;  warmup: what a worker loads before its first call
    isolated       the public calls, each in a worker with a time limit (what the app and the CLI use)
"""
from musicrnn.music.audio import wav_seconds
from musicrnn.music.check import BarIssue, CheckReport, check_tune
from musicrnn.music.isolated import (
                                     abc_to_midi,
                                     abc_to_musicxml,
                                     abc_to_svg,
                                     call,
                                     check,
                                     get_pool,
                                     midi_to_opus,
                                     midi_to_wav,
                                     render_all,
                                     repair,
                                     shutdown,
)
from musicrnn.music.midi import DEFAULT_TEMPO, INSTRUMENTS, midi_seconds, resolve_instrument
from musicrnn.music.render_parts import EXTENSIONS, FORMATS
from musicrnn.music.repair import RepairResult, repair_tune
from musicrnn.music.structure import MAX_ABC_CHARS, parse_tune
from musicrnn.music.svg import count_svg_notes, sanitize_svg
from musicrnn.music.workers import DEFAULT_TIMEOUT, MAX_INPUT_BYTES, WorkerPool

__all__ = ["BarIssue", "CheckReport", "check_tune", "RepairResult", "repair_tune", "parse_tune",
           "abc_to_midi", "abc_to_musicxml", "abc_to_svg", "midi_to_opus", "midi_to_wav", "render_all",
           "check", "repair", "call", "get_pool", "shutdown", "WorkerPool", "DEFAULT_TIMEOUT",
           "MAX_INPUT_BYTES", "MAX_ABC_CHARS", "DEFAULT_TEMPO", "INSTRUMENTS", "FORMATS", "EXTENSIONS",
           "resolve_instrument", "midi_seconds", "wav_seconds", "count_svg_notes", "sanitize_svg"]
