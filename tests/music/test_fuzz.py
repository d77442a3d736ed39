"""Fuzz the music layer: random and mutated ABC (truncated, shuffled lines, stray bytes, huge
numbers, deep nesting, 1 MB) and mutated MIDI through check, MIDI, audio and score.

Every call must return a result or raise a MusicRNNError subclass within its time limit,
and the worker pool must keep working afterwards.
"""

from __future__ import annotations

import io
import time
import wave

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musicrnn import music as isolate
from musicrnn import music as render
from musicrnn.errors import MusicRNNError
from tests.helpers.music_data import midi_notes, tunes_of

LIMIT = 8.0  # seconds per worker call in these tests
SLACK = 4.0  # process and pipe overhead on a busy 2-core machine
FUZZ = settings(max_examples=40, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

REAL = list(tunes_of("oneills1850/0001-0050.abc")[:25]) + [
    tunes_of("ryansMammoth/AllTheRageReel.abc")[0],
    tunes_of("ryansMammoth/AndrewCareysSlipjig.abc")[0],
]
SANE = "X:1\nT:Still Alive\nL:1/4\nM:4/4\nK:C\nCDEF|GABc|]\n"

HUGE = ["A99999", "A/99999", "z99999", "(99999abc", "[99999", "|99999", "c''''''''''''",
        "C,,,,,,,,,,,,", "A3/99999", "(3:99999:2abc", "[K:Zz#b]", "[L:1/99999]", "[M:99999/1]",
        "^^^^^^A", "{" * 40 + "g", "!" * 40, "\"" * 41]


def nest(kind: str, depth: int) -> str:
    opening, closing = {"(": ("(", ")"), "[": ("[", "]"), "{": ("{", "}"),
                        "!": ("!", "!"), '"': ('"', '"')}[kind]
    return opening * depth + "abc" + closing * depth


@st.composite
def mutated_tunes(draw) -> str:
    tune = draw(st.sampled_from(REAL))
    lines = tune.split("\n")
    kind = draw(st.sampled_from(["truncate", "shuffle", "stray", "huge", "nest", "mix"]))
    if kind in ("truncate", "mix"):
        tune = tune[: draw(st.integers(0, len(tune)))]
    if kind in ("shuffle", "mix"):
        lines = tune.split("\n")
        tune = "\n".join(draw(st.permutations(lines)))
    if kind in ("stray", "mix"):
        junk = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
        at = draw(st.integers(0, len(tune)))
        tune = tune[:at] + junk + tune[at:]
    if kind == "huge":
        at = draw(st.integers(0, len(tune)))
        tune = tune[:at] + draw(st.sampled_from(HUGE)) + tune[at:]
    if kind == "nest":
        at = draw(st.integers(0, len(tune)))
        tune = tune[:at] + nest(draw(st.sampled_from("([{!\"")), draw(st.integers(1, 200))) + \
            tune[at:]
    return tune


ABC_CHARS = "ABCDEFGabcdefgzxZ|:[]()^_=,'/<>-0123456789 \n\"!{}.~HTuvKLMQX%\\+&"
random_abc = st.builds(
    lambda head, body: head + body,
    st.sampled_from(["", "X:1\nK:C\n", "X:1\nL:1/8\nM:6/8\nK:D\n", "X:1\nM:none\nK:Bb\n"]),
    st.text(st.sampled_from(ABC_CHARS), max_size=300),
)


def still_works() -> None:
    assert [p for _, _, p in midi_notes(render.abc_to_midi(SANE))] == [60, 62, 64, 65, 67, 69,
                                                                        71, 72]


def exercise(text: str) -> None:
    """check, then MIDI + audio + score in one round trip; results valid or clear errors."""
    t0 = time.perf_counter()
    try:
        rep = isolate.check(text, timeout=LIMIT)
        assert 0.0 <= rep.score <= 1.0
        assert rep.to_dict()["ok"] in (True, False)
    except MusicRNNError:
        pass
    assert time.perf_counter() - t0 < LIMIT + SLACK

    t0 = time.perf_counter()
    try:
        res = isolate.render_all(text, ("midi", "wav", "svg"), check=False, timeout=LIMIT)
    except MusicRNNError:
        res = None
    # one limit per format; a time-out stops the rest; a crash is retried (3 trips at most)
    assert time.perf_counter() - t0 < 4 * LIMIT + SLACK
    if res is not None:
        assert set(res["data"]) | set(res["errors"]) == {"midi", "wav", "svg"}
        assert all(isinstance(m, str) and m for m in res["errors"].values())
        if "midi" in res["data"]:
            assert render.midi_seconds(res["data"]["midi"]) >= 0
        if "wav" in res["data"]:
            with wave.open(io.BytesIO(res["data"]["wav"])) as w:
                assert w.getframerate() > 0
        if "svg" in res["data"]:
            assert "<script" not in res["data"]["svg"].lower()
    still_works()


@FUZZ
@given(mutated_tunes())
def test_mutated_real_tunes(text):
    exercise(text)


@FUZZ
@given(random_abc)
def test_random_abc(text):
    exercise(text)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_midi_through_the_synthesizer(data):
    midi = bytearray(render.abc_to_midi(data.draw(st.sampled_from(REAL[:5]))))
    for _ in range(data.draw(st.integers(1, 20))):
        midi[data.draw(st.integers(0, len(midi) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        midi = midi[: data.draw(st.integers(0, len(midi)))]
    t0 = time.perf_counter()
    try:
        wav = render.midi_to_wav(bytes(midi))
        assert wav[:4] == b"RIFF"
    except MusicRNNError:
        pass
    assert time.perf_counter() - t0 < isolate.DEFAULT_TIMEOUT + SLACK
    still_works()


@pytest.mark.parametrize("text", [
    "X:1\nT:Megabyte\nL:1/8\nM:4/4\nK:C\n" + "CDEF GABc|" * 100_000,  # 1 MB
    "\0" * 1_000_000,
], ids=["1MB of tune", "1MB of NUL"])
def test_one_megabyte_of_abc_is_refused_quickly(text):
    t0 = time.perf_counter()
    for call in (isolate.check, render.abc_to_midi, render.abc_to_svg,
                 lambda t: isolate.render_all(t, ("midi", "wav", "svg"))):
        with pytest.raises(MusicRNNError, match="more than the"):
            call(text)
    assert time.perf_counter() - t0 < 2
    still_works()


def test_one_megabyte_of_midi_bytes():
    t0 = time.perf_counter()
    with pytest.raises(MusicRNNError):
        render.midi_to_wav(b"MThd" + bytes(range(256)) * 4096)
    assert time.perf_counter() - t0 < isolate.DEFAULT_TIMEOUT + SLACK
    still_works()


def test_deep_nesting_hits_the_time_limit_not_the_process():
    # 5,000 nested slurs: music21's MusicXML export takes minutes; the score times out,
    # MIDI and audio are still made.
    text = REAL[3] + nest("(", 5000) + "|\n"
    t0 = time.perf_counter()
    res = isolate.render_all(text, ("midi", "wav", "svg"), check=False, timeout=LIMIT)
    assert time.perf_counter() - t0 < 3 * LIMIT + SLACK
    assert {"midi", "wav"} <= set(res["data"])  # about 2 s each, well inside the limit
    assert f"took more than {LIMIT:g} s" in res["errors"]["svg"]
    still_works()
