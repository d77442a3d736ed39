"""The benchmark scripts themselves: the seed pipeline's padding accounting, and the scripts' one-line JSON output \
(no timings checked)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import seed_pipeline as seed  # noqa: E402


def test_seed_pads_with_spaces_and_counts_only_real_targets():
    tunes = ["abc", "abcdefghijkl", "a"]
    assert seed.pad_or_truncate("abc", 6) == "abc   "
    assert seed.pad_or_truncate("abcdefghijkl", 6) == "abcdef"
    char2idx = {c: i for i, c in enumerate(" abcdefghijkl")}
    rows = seed.encode_rows(tunes, char2idx, 6)
    assert rows.dtype == torch.int64 and rows.shape == (3, 6)
    x, y = seed.MusicDataset(rows)[0]
    assert x.tolist() == [1, 2, 3, 0, 0] and y.tolist() == [2, 3, 0, 0, 0]  # row[:-1], row[1:]
    # Real targets: "abc" -> "b", "c" (2); the cut tune fills its row (5); "a" has none; the rest is padding.
    assert seed.real_targets(tunes, 6).tolist() == [2, 5, 0]
    assert seed.CountedDataset(rows, seed.real_targets(tunes, 6))[1][2] == 5


def test_seed_training_reports_padding_it_pays_for():
    from musicrnn.model.network import ModelConfig

    tunes = ["X:1\nK:D\nabc|", "X:2\nK:G\n" + "d" * 40]
    char2idx = {c: i for i, c in enumerate(sorted(set("".join(tunes)) | {" "}))}
    cfg = ModelConfig(vocab_size=len(char2idx), embedding_dim=4, hidden_size=8, layers=1, dropout=0.0)
    res = seed.measure_train(cfg, tunes, char2idx, batch_size=2, steps=3, warmup=1, max_length=30)
    # every row has 29 target positions; the real ones are 12-1 and 30-1 (the second tune is cut at 30)
    useful, positions = (12 - 1) + (30 - 1), 2 * 29
    assert res["padding_fraction"] == round(1 - useful / positions, 4)
    assert res["useful_chars_per_s"] < res["positions_per_s"]


def _one_json_line(args: list[str]) -> dict:
    # One torch thread: tiny models gain nothing from more, and the test suite shares the machine.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, str(BENCH / args[0]), *args[1:]], capture_output=True, text=True,
                       timeout=180, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout
    return json.loads(lines[0])


def test_sampling_script_prints_one_json_line(tiny_run):
    res = _one_json_line(["sampling.py", "--checkpoint", str(tiny_run), "--sizes", "1,2", "--chars", "8",
                          "--repeats", "1", "--device", "cpu"])
    assert res["benchmark"] == "sampling" and res["machine"]["device"] == "cpu"
    assert [r["n"] for r in res["rows"]] == [1, 2]
    assert {"musicrnn_tunes_per_s", "seed_tunes_per_s", "speedup"} <= set(res["rows"][0])


def test_inspect_speed_script_prints_one_json_line(tiny_run):
    res = _one_json_line(["inspect_speed.py", "--checkpoint", str(tiny_run), "--tunes", "3", "--chars", "200",
                          "--repeats", "1", "--device", "cpu"])
    assert res["benchmark"] == "inspect_speed" and res["machine"]["device"] == "cpu"
    assert res["cells_tunes"] == 3 and res["cells_cache_hit"] is True
    assert {"tune_s", "tune_range_s", "tune_chars", "cells_s", "cells_cached_s", "bar_position_best"} <= set(res)


def test_train_compare_script_prints_one_json_line_and_report_reads_it(small_abc_corpus, tmp_path):
    res = _one_json_line(["train_compare.py", "--data", str(small_abc_corpus), "--preset", "tiny", "--hidden-size",
                          "16", "--batch-size", "4", "--steps", "2", "--seed-steps", "1", "--device", "cpu"])
    assert res["benchmark"] == "train_compare" and res["hidden_size"] == 16 and res["batch_size"] == 4
    assert {"musicrnn_useful_chars_per_s", "seed_useful_chars_per_s", "seed_padding_fraction", "speedup",
            "machine"} <= set(res)
    assert 0 < res["seed_padding_fraction"] < 1
    import run_all

    md = run_all.report([res])
    assert "Training throughput" in md and f"**{res['speedup']}×**" in md


def test_the_studio_benchmarks_edit_changes_one_body_note_and_keeps_its_length():
    from music21 import converter
    from studio_latency import one_note_changed

    abc = 'X:1\nT:Edit\nM:4/4\nL:1/8\nK:G\n"Am"!trill!G2AB c2d2|ef g2 g4|]\n'
    edited = one_note_changed(abc)
    assert edited == abc.replace("G2AB", "A2AB")  # neither the chord symbol nor the decoration is touched
    lengths = [converter.parseData(t, format="abc").flatten().notes.stream().highestTime for t in (abc, edited)]
    assert lengths[0] == lengths[1] == 8.0


def test_music_quality_over_seeds_gives_each_seed_and_every_figures_spread(tiny_run, small_abc_corpus):
    from music_quality import seed_list

    assert seed_list("1-3,7") == [1, 2, 3, 7] and seed_list("5") == [5]
    res = _one_json_line(["music_quality.py", "--checkpoint", str(tiny_run), "--data", str(small_abc_corpus),
                          "--seeds", "1-2", "-n", "2", "--max-chars", "200"])
    assert res["seeds"] == [1, 2] and [r["seed"] for r in res["per_seed"]] == [1, 2]
    for name in ("reel", "jig"):  # a model without tune types: the two meters
        rates = [r[name]["parse_rate"] for r in res["per_seed"]]
        spread = res["over_seeds"][name]["parse_rate"]
        assert spread == {"mean": round(sum(rates) / 2, 4), "min": min(rates), "max": max(rates)}
        assert set(res["over_seeds"][name]) >= {"bar_ok_rate", "ended_rate", "two_part"}  # others may be None
