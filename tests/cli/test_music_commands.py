"""`check` and `render` subcommands, through a small argparse harness like musicrnn.cli.main's."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap

import pytest

from musicrnn import music as render
from musicrnn.cli import music_commands as cli_music
from tests.helpers.music_data import CORPUS, midi_notes, oneills

BROKEN = "X:99\nT:Broken\nL:1/4\nM:4/4\nK:C\n|:CDEF|GABcd|A/0|\n"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="musicrnn")
    cli_music.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture()
def two_tunes(tmp_path):
    path = tmp_path / "two.abc"
    path.write_text(oneills(1) + "\n" + BROKEN)
    return path


def test_check_json_reports_each_tune(two_tunes, capsys):
    code = run(["check", str(two_tunes), "--json"])
    out = capsys.readouterr().out
    doc = json.loads(out)  # exactly one JSON document on stdout
    assert out.count("\n") == 1
    assert code == 1  # one tune has problems
    assert doc["summary"] == {"tunes": 2, "ok": 1, "problems": 1}
    good, bad = doc["tunes"]
    assert good["title"] == "Fare You Well" and good["ok"] and good["report"]["bars"] == 26
    assert bad["x"] == "99" and not bad["ok"]
    assert not bad["report"]["parses"]
    assert bad["report"]["error_line"] == 6 and bad["report"]["open_repeats"] == [6]


def test_check_text_output_and_exit_code_for_a_clean_file(tmp_path, capsys):
    path = tmp_path / "clean.abc"
    path.write_text(oneills(1))
    assert run(["check", str(path)]) == 0
    captured = capsys.readouterr()
    assert "Fare You Well: ok; 26 bars; ended" in captured.out
    assert "1/1 tunes without problems" in captured.err


def test_check_a_bundled_collection(capsys):
    path = os.path.join(CORPUS, "oneills1850", "0001-0050.abc")
    assert run(["check", path, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["tunes"] == 50
    first = doc["tunes"][0]["report"]
    assert [b["line"] for b in first["bad_bars"]] == [14]  # the real error in tune 1


def test_render_writes_one_file_per_tune_and_format(two_tunes, tmp_path, capsys):
    out = tmp_path / "out"
    code = run(["render", str(two_tunes), "--to", "midi,wav,svg,musicxml", "--out", str(out),
                "--tempo", "100", "--instrument", "fiddle", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["summary"] == {"tunes": 2, "ok": 1, "failed": 1}
    good, bad = doc["tunes"]
    assert set(good["files"]) == {"midi", "wav", "svg", "musicxml"} and good["errors"] == {}
    for path in good["files"].values():
        assert os.path.getsize(path) > 0
    midi = open(good["files"]["midi"], "rb").read()
    notes = midi_notes(midi)
    assert render.wav_seconds(open(good["files"]["wav"], "rb").read()) == pytest.approx(
        notes[-1][1], abs=0.05)
    assert open(good["files"]["svg"]).read().startswith("<svg")
    assert good["files"]["midi"].endswith("two-0001-fare-you-well.mid")
    assert bad["files"] == {} and "ZeroDivisionError" in bad["errors"]["midi"]


def test_render_plays_a_tune_at_its_types_pace_unless_told_or_its_q_says(tmp_path, capsys):
    src = tmp_path / "types.abc"  # quavers: a jig at 168 quarters a minute, a reel at 200, a Q: as it says
    src.write_text("X:1\nT:Jig\nR:Double Jig\nM:6/8\nL:1/8\nK:D\nABc def|\n\n"
                   "X:2\nT:Reel\nR:reel\nM:4/4\nL:1/8\nK:D\nABcd efga|\n\n"
                   "X:3\nT:Paced\nR:reel\nQ:1/4=90\nM:4/4\nL:1/8\nK:D\nABcd efga|\n\n"
                   "X:4\nT:Plain\nM:4/4\nL:1/8\nK:D\nABcd efga|\n")

    def quaver_seconds(*extra):
        assert run(["render", str(src), "--to", "midi", "--out", str(tmp_path / "o"), "--json", *extra]) == 0
        docs = json.loads(capsys.readouterr().out)["tunes"]
        return [round(midi_notes(open(t["files"]["midi"], "rb").read())[1][0], 3) for t in docs]

    assert quaver_seconds() == [round(30 / 168, 3), round(30 / 200, 3), round(30 / 90, 3), 0.25]
    assert quaver_seconds("--tempo", "60") == [0.5] * 4  # --tempo decides for every tune


def render_one(tmp_path, capsys, tune: str, formats: str, *options: str) -> dict[str, str]:
    """The files `render --json` writes for a file holding `tune`, by format."""
    src = tmp_path / "tune.abc"
    src.write_text(tune)
    assert run(["render", str(src), "--to", formats, "--out", str(tmp_path / "o"), *options, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["tunes"][0]["files"]


def test_render_transpose_changes_the_pitches(tmp_path, capsys):
    files = render_one(tmp_path, capsys, "X:1\nT:Scale\nL:1/4\nM:4/4\nK:C\nCDEF|\n", "mid", "--transpose", "-12")
    assert [p for _, _, p in midi_notes(open(files["midi"], "rb").read())] == [48, 50, 52, 53]


def test_render_writes_the_tune_out_in_the_key_it_is_transposed_to(tmp_path, capsys):
    files = render_one(tmp_path, capsys, 'X:1\nT:Scale\nL:1/8\nM:4/4\nK:D\n"D"DEF^G ABcd|\n', "abc,musicxml",
                       "--transpose", "1")
    assert open(files["abc"]).read() == 'X:1\nT:Scale\nL:1/8\nM:4/4\nK:Eb\n"Eb"EFG=A Bcde|\n'  # Eb, not D#
    assert "<fifths>-3</fifths>" in open(files["musicxml"]).read()


def test_render_writes_a_transposing_instruments_part_above_the_sound(tmp_path, capsys):
    files = render_one(tmp_path, capsys, "X:1\nT:Scale\nL:1/4\nM:4/4\nK:D\nDEFG|\n", "abc,midi",
                       "--written-above", "2")
    assert "K:E\nEFGA|" in open(files["abc"]).read()  # a B♭ clarinet's part, a tone above
    assert [p for _, _, p in midi_notes(open(files["midi"], "rb").read())] == [62, 64, 66, 67]  # sounding in D


def test_render_click_adds_a_metronome(tmp_path, capsys):
    files = render_one(tmp_path, capsys, "X:1\nT:Scale\nL:1/4\nM:4/4\nK:D\nDEFG|\n", "midi", "--click",
                       "--tempo", "60")
    midi = open(files["midi"], "rb").read()
    assert sorted((round(s, 3), p) for s, _, p in midi_notes(midi)) == [  # a wood block on each beat, with the notes
        (0.0, 62), (0.0, 76), (1.0, 64), (1.0, 77), (2.0, 66), (2.0, 77), (3.0, 67), (3.0, 77)]


@pytest.mark.parametrize("argv,message", [
    (["--to", "midi,mp4"], "unknown format"),
    (["--instrument", "kazoo-ish"], "unknown instrument"),
    (["--tempo", "0"], "tempo"),
])
def test_render_bad_options_exit_2_with_a_message(two_tunes, tmp_path, capsys, argv, message):
    code = run(["render", str(two_tunes), "--out", str(tmp_path / "o")] + argv)
    captured = capsys.readouterr()
    assert code == 2 and message in captured.err and captured.out == ""


def test_missing_file_exits_2(tmp_path, capsys):
    assert run(["check", str(tmp_path / "nope.abc"), "--json"]) == 2
    captured = capsys.readouterr()
    assert "cannot read" in captured.err and captured.out == ""


def test_json_stdout_stays_clean_in_a_real_process(two_tunes, tmp_path):
    # Workers write music21/verovio warnings; none may reach the JSON on stdout.
    script = tmp_path / "harness.py"
    script.write_text(textwrap.dedent(f"""
        import argparse, sys
        sys.path.insert(0, {os.getcwd()!r})
        from musicrnn.cli import music_commands as cli_music

        def main():
            parser = argparse.ArgumentParser(prog="musicrnn")
            cli_music.add_commands(parser.add_subparsers(dest="command", required=True))
            args = parser.parse_args()
            return args.func(args)

        if __name__ == "__main__":
            sys.exit(main())
    """))
    proc = subprocess.run([sys.executable, str(script), "render", str(two_tunes), "--to",
                           "midi,svg", "--out", str(tmp_path / "o"), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["summary"]["ok"] == 1
