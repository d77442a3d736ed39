"""`musicrnn inspect`: the bits of every character as JSON (evaluate's figure), the cells, one-line errors."""
import json
import subprocess
import sys

import pytest

from musicrnn.cli import main
from tests.helpers.music_data import oneills


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def two_tunes(tmp_path):
    path = tmp_path / "two.abc"
    path.write_text(oneills(0) + "\n" + oneills(11))
    return path


def test_json_gives_every_character_its_bits_and_agrees_with_evaluate(capsys, two_tunes):
    code, out, err = run(capsys, "inspect", str(two_tunes), "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["checkpoint"].endswith("model.pt") and len(res["tunes"]) == 2
    for i, t in enumerate(res["tunes"]):
        assert t["index"] == i and t["abc"].startswith("X:1\n")
        assert len(t["chars"]) == len(t["bits"]) == len(t["offsets"]) + 1 and t["chars"][-1] == "<eos>"
        assert "".join(t["chars"][:-1]) == t["abc"]  # every character known: the cleaned text, in order
        assert t["total_bits"] == pytest.approx(sum(t["bits"]), abs=1e-4)
        assert t["mean_bits"] == pytest.approx(t["total_bits"] / len(t["bits"]))
        assert t["skipped_chars"] == 0
    code, out, _ = run(capsys, "evaluate", "--data", str(two_tunes), "--json")
    evaluated = json.loads(out)
    assert code == 0 and evaluated["chars"] == res["chars"]
    assert res["bpc"] == pytest.approx(evaluated["bpc"], abs=1e-4)


def test_text_output_names_the_most_surprising_characters(capsys, two_tunes):
    code, out, _ = run(capsys, "inspect", str(two_tunes))
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("tune 1: ") and "bits per character" in lines[0]
    assert lines[1].startswith("  most surprising: ") and " bits)" in lines[1]
    assert lines[-1].startswith(f"2 tunes of {two_tunes}: ")


def test_cells_json_lists_the_strongest_units_per_feature(capsys, two_tunes):
    code, out, err = run(capsys, "inspect", str(two_tunes), "--cells", "--top", "3", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["tunes"] == 2 and res["chars"] > 300
    assert list(res["features"]) == ["bar_position", "in_quotes", "in_repeat", "second_part", "pitch", "column"]
    bar = res["features"]["bar_position"]
    assert bar["varies"] and len(bar["units"]) == 3 and bar["description"]
    assert {"layer", "kind", "unit", "r"} == set(bar["units"][0]) and bar["units"][0]["kind"] in ("h", "c")
    assert abs(bar["units"][0]["r"]) >= abs(bar["units"][-1]["r"])
    code, out, _ = run(capsys, "inspect", str(two_tunes), "--cells", "--top", "3", "--json")
    assert json.loads(out)["cached"] is True
    code, out, _ = run(capsys, "inspect", str(two_tunes), "--cells")
    assert code == 0 and out.splitlines()[1].startswith("bar_position  layer ")


@pytest.mark.parametrize("argv,needle", [
    (["inspect", "/no/such/tunes.abc"], "/no/such/tunes.abc: no such file"),
    (["inspect"], "give a FILE.abc to read, or --cells"),
    (["inspect", "{empty}"], "no tunes to read"),
    (["inspect", "{empty}", "--checkpoint", "/no/model.pt"], "/no/model.pt: no such checkpoint"),
    (["inspect", "--cells", "--top", "0"], "--top 0: must be 1 to 100"),
])
def test_bad_input_is_one_clear_line(tmp_path, argv, needle):
    empty = tmp_path / "empty.abc"
    empty.write_text("% nothing here\n")
    argv = [a.replace("{empty}", str(empty)) for a in argv]
    r = subprocess.run([sys.executable, "-m", "musicrnn", *argv], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
