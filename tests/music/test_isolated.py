"""The worker pool: crashes, time-outs and size limits become RenderError/ABCError naming the
tune, the dead worker is replaced, and the next call works."""

from __future__ import annotations

import ctypes
import os
import threading
import time

import pytest

from musicrnn import music as isolate
from musicrnn import music as render
from musicrnn.errors import ABCError, MusicRNNError, RenderError, WorkerCrashError, WorkerTimeoutError
from musicrnn.music.midi import abc_to_midi_local
from musicrnn.music.structure import MAX_ABC_CHARS
from tests.helpers.music_data import midi_notes, oneills, verovio_abc_import

TUNE = "X:7\nT:Crash Test Reel\nL:1/4\nM:4/4\nK:C\nCDEF|GABc|]\n"


def still_works() -> None:
    notes = midi_notes(render.abc_to_midi(TUNE))
    assert [p for _, _, p in notes] == [60, 62, 64, 65, 67, 69, 71, 72]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("target,args,signal_name", [
    (os.abort, (), "SIGABRT"),
    (ctypes.string_at, (0,), "SIGSEGV"),  # reads address 0
], ids=["os.abort", "ctypes.string_at"])
def test_crash_is_a_render_error_naming_the_tune_and_the_next_call_works(target, args,
                                                                        signal_name):
    still_works()
    before = set(isolate.get_pool().pids())
    with pytest.raises(WorkerCrashError) as err:
        isolate.call(target, *args, label=TUNE)
    msg = str(err.value)
    assert '"Crash Test Reel" (X:7)' in msg and signal_name in msg and "replaced" in msg
    still_works()
    assert set(isolate.get_pool().pids()) != before  # one worker is new


def test_a_real_native_abort_in_verovio_is_contained():
    # verovio's own ABC import aborts on a line ending with '!' (the reason the renderer
    # never uses it); run it in a worker on purpose.
    bad = "X:1\nT:Bang\nM:4/4\nL:1/8\nK:C\nCDEF GABc!\ncdef gabc|\n"
    with pytest.raises(WorkerCrashError) as err:
        isolate.call(verovio_abc_import, bad, label=bad)
    # the message names the tune, the signal, and quotes the library's last words
    assert '"Bang" (X:1) crashed' in str(err.value) and "SIGABRT" in str(err.value)
    assert "basic_string::at" in str(err.value)
    still_works()
    assert render.count_svg_notes(render.abc_to_svg(bad)) == 16  # our path engraves it


def test_time_limit_stops_the_call_and_the_next_call_works():
    t0 = time.perf_counter()
    with pytest.raises(WorkerTimeoutError, match=r'"Crash Test Reel" \(X:7\) took more than 1 s'):
        isolate.call(time.sleep, 30, label=TUNE, timeout=1)
    assert time.perf_counter() - t0 < 5
    still_works()


def test_oversized_abc_is_refused_before_any_work():
    huge = TUNE + "C" * MAX_ABC_CHARS
    t0 = time.perf_counter()
    for fn in (render.abc_to_midi, render.abc_to_svg, isolate.check):
        with pytest.raises(ABCError, match="more than the"):
            fn(huge)
    with pytest.raises(ABCError):
        isolate.render_all(huge)
    assert time.perf_counter() - t0 < 1


def test_oversized_binary_input_is_refused():
    with pytest.raises(RenderError, match="bytes is more than"):
        render.midi_to_wav(b"\0" * (isolate.MAX_INPUT_BYTES + 1))


def test_errors_raised_in_the_worker_keep_their_class():
    with pytest.raises(ABCError):
        render.abc_to_midi("X:1\nL:1/4\nM:4/4\nK:C\nA/0 B|\n")
    with pytest.raises(RenderError, match="not a readable MIDI file"):
        render.midi_to_wav(b"not midi at all")
    with pytest.raises(WorkerTimeoutError, match="^midi to wav for MIDI took"):
        isolate.call(time.sleep, 5, label="MIDI", what="midi to wav", timeout=0.5)
    with pytest.raises(RenderError, match="ValueError"):  # other errors become RenderError
        isolate.call(int, "x", label=TUNE)
    still_works()


def test_check_and_repair_run_in_workers():
    rep = isolate.check(oneills(0))
    assert rep.parses and [b.line for b in rep.bad_bars] == [14]
    fixed = isolate.repair(TUNE.replace("|]", "").replace("GABc", "|:GABc|cB"))
    assert fixed.changed and ":|" in fixed.text


def test_concurrent_calls_share_the_pool():
    results: list[object] = []

    def work(k: int) -> None:
        try:
            results.append(len(midi_notes(render.abc_to_midi(oneills(k)))))
        except MusicRNNError as e:  # pragma: no cover - reported below
            results.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 6 and all(isinstance(r, int) and r > 20 for r in results)


def test_private_pool_closes_its_workers():
    with isolate.WorkerPool(size=1, timeout=10) as pool:
        pool.warm_up()
        (pid,) = pool.pids()
        midi = pool.call(abc_to_midi_local, TUNE, label="x")
        assert len(midi_notes(midi)) == 8
    deadline = time.time() + 5
    while alive(pid) and time.time() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    with pytest.raises(RenderError, match="closed"):
        pool.call(len, "abc")


def test_worker_output_does_not_reach_our_stdout(capfd):
    isolate.call(print, "noise from a worker", label=TUNE)
    os.write(1, b"")  # flush point
    assert "noise from a worker" not in capfd.readouterr().out
