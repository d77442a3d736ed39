"""The surprise strip: at each validation the trainer writes the bits of every character of one fixed validation
tune (`surprise.jsonl`), read back through a validating reader; a damaged line is skipped, never a crash."""
from __future__ import annotations

import json

import numpy as np

from musicrnn.inspection import read_tune
from musicrnn.model.checkpoint import LAST, load_model
from musicrnn.training import run_folder
from musicrnn.training.loop import STRIP_CHARS


def test_each_validation_writes_the_bits_of_one_fixed_validation_tune(tiny_run):
    strips = run_folder.read_surprise(tiny_run)
    assert [s["step"] for s in strips] == list(range(4, 41, 4))  # a tenth of the run
    text = strips[0]["text"]
    assert all(s["text"] == text for s in strips) and text.startswith("X:") and 0 < len(text) <= STRIP_CHARS
    assert all(len(s["bits"]) == len(text) + 1 for s in strips)  # every character, then the end token
    # the bits are the inspection's own reading of the tune by the model of that step (last.pt is step 40)
    model, vocab, _ = load_model(tiny_run / LAST, "cpu")
    assert np.allclose(strips[-1]["bits"], read_tune(model, vocab, text, distributions=False).bits, atol=2e-3)
    assert np.mean(strips[-1]["bits"]) < np.mean(strips[0]["bits"])  # it learns


def test_a_damaged_surprise_file_is_skipped_line_by_line(tmp_path):
    good = {"step": 10, "text": "X:1\n", "bits": [1.0, 2.0, 3.0, 4.0, 0.5]}
    lines = [json.dumps(good), "{not json", json.dumps({"step": 20, "text": "ab", "bits": [1.0]}),
             json.dumps({"step": 30, "text": "ab", "bits": [1, "x", 2]}), json.dumps([1, 2]),
             json.dumps({"step": -1, "text": "a", "bits": [1, 2]}), json.dumps({**good, "step": 40}), '{"step": 5']
    (tmp_path / run_folder.SURPRISE).write_text("\n".join(lines))  # the last line cut by a crash
    assert [s["step"] for s in run_folder.read_surprise(tmp_path)] == [10, 40]
    assert run_folder.skipped_lines(tmp_path) == 5
    assert run_folder.read_surprise(tmp_path / "no-such-run") == []


def test_the_schema_names_the_item_at_fault():
    from musicrnn.records import problems

    assert problems({"step": 1, "text": "a", "bits": [1, None]}, run_folder.SURPRISE_SCHEMA) == [
        "field 'bits' item 1 is missing, expected a number"]
    assert run_folder.strip_problem({"text": "ab", "bits": [1, 2]}) == "2 bits for 2 characters and the end"
