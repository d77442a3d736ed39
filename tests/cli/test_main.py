import json
import subprocess
import sys

import pytest

from musicrnn.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_json(capsys, oneills_abc):
    code, out, err = run(capsys, "stats", "--data", str(oneills_abc), "--json", "--max-len", "300")
    assert code == 0
    s = json.loads(out)
    assert s["tunes"] == 50 and s["padding"]["max_len"] == 300
    assert set(s["length"]) == {"min", "median", "mean", "p95", "max"}
    assert s["meters"] and s["keys"] and s["unit_lengths"]["1/16"] > 0


def test_generate_json_is_reproducible(capsys, tiny_run):
    args = ("generate", "--checkpoint", str(tiny_run / "best.pt"), "-n", "3", "--seed", "7", "--meter", "6/8",
            "--unit", "1/8", "--key", "D", "--max-chars", "80", "--json")
    code, out1, _ = run(capsys, *args)
    code2, out2, _ = run(capsys, *args)
    assert code == code2 == 0 and out1 == out2
    tunes = json.loads(out1)
    assert len(tunes) == 3 and all(t["abc"].startswith("X:1\nL:1/8\nM:6/8\nK:D\n") for t in tunes)
    assert {t["seed"] for t in tunes} == {7}


def test_generate_keeps_bars_to_the_meter_unless_told_not_to(capsys):
    from musicrnn.generation.options import DEFAULT_STRICT_BARS
    from musicrnn.notation.durations import scan_body

    args = ("generate", "--type", "jig", "-n", "8", "--seed", "3", "--max-chars", "400", "--json")
    tunes = {}
    for flag in ("--strict-bars", "--no-strict-bars", None):
        code, out, _ = run(capsys, *args, *([flag] if flag else []))
        assert code == 0
        tunes[flag] = json.loads(out)
    assert [t["strict_bars"] for t in tunes[None]] == [DEFAULT_STRICT_BARS] * 8
    assert all(t["strict_bars"] and t["bar_breaks"] >= 0 for t in tunes["--strict-bars"])
    assert all(not t["strict_bars"] and t["bar_breaks"] == 0 for t in tunes["--no-strict-bars"])
    for t in tunes["--strict-bars"]:
        bars = scan_body(t["abc"].split("\n"))[1].closed
        assert not [b for b in bars if b.length is not None and b.meter is not None and b.length > b.meter]


JIG = ("X:3\nT:A jig\nM:6/8\nL:1/8\nR:Jig\nK:D\nA|\"D\"ded dcd|ece efg|ded fgf|edc d2A:|\n"
       "|:fed fed|fga agf|ded fgf|edc d2|]\n")


def test_generate_keeps_a_first_part_and_writes_a_new_second(capsys, tmp_path):
    from musicrnn.generation.endings import ending_options
    from musicrnn.generation.prime import kept_prime
    from musicrnn.model.checkpoint import load_checkpoint
    from musicrnn.notation.bar_numbers import numbered_bars

    tune = tmp_path / "jig.abc"
    tune.write_text(JIG)
    code, out, _ = run(capsys, "generate", "--prime-file", str(tune), "--keep-bars", "4", "-n", "4", "--seed", "5",
                       "--max-chars", "300", "--json")
    assert code == 0
    kept = kept_prime(JIG, 4)
    tunes = json.loads(out)
    for t in tunes:
        assert t["prime"] == kept and t["abc"].startswith(kept)
        assert len(numbered_bars(t["abc"])) > 5  # it wrote on past the kept part
    # the kept tune is a jig: it ends as the shipped model's jigs do
    wanted = ending_options(load_checkpoint("checkpoints/default"), "jig")
    assert tunes[0]["final_keep"] == wanted["final_keep"] and tunes[0]["form_keep"] == wanted["form_keep"]
    assert len({t["abc"] for t in tunes}) == 4


@pytest.mark.parametrize("argv, needle", [
    (["--prime", "ABcd|", "--keep-bars", "1"], "needs a whole tune"),
    (["--prime-file", "{tune}", "--keep-bars", "8"], "keep up to bar 7 at most"),
    (["--prime-file", "{tune}", "--prime", "X:1"], "give one of them"),
    (["--prime-file", "{tmp}/none.abc"], "none.abc: cannot read: no such file"),
])
def test_keeping_bars_says_what_is_wrong(capsys, tmp_path, argv, needle):
    (tmp_path / "jig.abc").write_text(JIG)
    argv = [a.replace("{tune}", str(tmp_path / "jig.abc")).replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run(capsys, "generate", *argv)
    assert code == 2 and out == "" and needle in err


def test_generate_unknown_prime_char(capsys, tiny_run):
    code, out, err = run(capsys, "generate", "--checkpoint", str(tiny_run), "--prime", "G€A", "--json")
    assert code == 2 and out == "" and "'€'" in err and "Traceback" not in err


def test_evaluate_json(capsys, tiny_run, small_abc_corpus):
    code, out, _ = run(capsys, "evaluate", "--checkpoint", str(tiny_run), "--data", str(small_abc_corpus), "--json",
                       "--split", "val")
    res = json.loads(out)
    assert code == 0 and {"bpc", "loss", "accuracy", "chars", "tunes", "skipped_chars"} <= set(res)
    assert res["tunes"] > 5 and res["bpc"] == pytest.approx(res["loss"] / 0.6931471805599453)


@pytest.mark.parametrize("argv,needle", [
    (["stats", "--data", "/no/such/dir"], "/no/such/dir: no such file"),
    (["generate", "--checkpoint", "/no/model.pt"], "/no/model.pt: no such checkpoint"),
    (["train", "--data", "music21", "--preset", "tiny", "--out", "{tmp}/r", "--resume"], "nothing to resume"),
])
def test_errors_are_one_clear_line(tmp_path, argv, needle):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    r = subprocess.run([sys.executable, "-m", "musicrnn", *argv], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def test_train_cli_writes_checkpoint(tmp_path, small_abc_corpus):
    r = subprocess.run([sys.executable, "-m", "musicrnn", "train", "--data", str(small_abc_corpus), "--preset", "tiny",
                        "--max-steps", "10", "--eval-every", "10", "--out", str(tmp_path / "cli"), "--json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["step"] == 10 and (tmp_path / "cli" / "best.pt").exists()


def test_train_cli_whole_tune_windows(capsys, tmp_path, small_abc_corpus):
    code, out, err = run(capsys, "train", "--data", str(small_abc_corpus), "--preset", "tiny", "--windows", "tunes",
                         "--max-steps", "6", "--eval-every", "6", "--out", str(tmp_path / "w"), "--json")
    assert code == 0, err
    assert json.loads(out)["step"] == 6
    assert json.loads((tmp_path / "w" / "run.json").read_text())["config"]["windows"] == "tunes"
