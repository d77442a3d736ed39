"""Out-of-range options are one clear line and exit 2, before anything is loaded or allocated; the limits are
in `--help`."""
from __future__ import annotations

import pytest

from musicrnn.cli import main
from musicrnn.errors import OptionError
from musicrnn.generation.options import MAX_BATCH_CHARS, MAX_TUNES, check_sampling


@pytest.mark.parametrize("args,message", [
    (["--temperature", "nan"], "temperature nan: must be a finite number"),
    (["--temperature", "inf"], "temperature inf: must be a finite number"),
    (["--temperature", "0"], "temperature 0.0: must be above 0"),
    (["--max-chars", "-5"], "max-chars -5: must be 1 to 20,000"),
    (["-n", "100000"], "number of tunes 100000: must be 1 to 1,024"),
    (["-n", "1000", "--max-chars", "20000"], "more than the 4,000,000 characters sampled in one batch"),
    (["--top-p", "2"], "top-p 2.0: must be above 0 and at most 1"),
    (["--top-p", "-1"], "top-p -1.0: must be above 0 and at most 1"),
    (["--top-k", "-3"], "top-k -3: must be 0 (off) or more"),
    (["--seed", "-1"], "seed -1: must be 0 to 2**63 - 1"),
])
def test_generate_refuses_an_option_out_of_range_in_one_line(capsys, args, message):
    # checked before the model loads: this checkpoint does not exist
    assert main(["generate", "--checkpoint", "/no/such/model.pt", *args, "--json"]) == 2
    err = capsys.readouterr()
    assert message in err.err and err.err.count("\n") == 1 and err.out == ""


def test_an_option_that_is_not_a_number_is_one_line_too(capsys):
    with pytest.raises(SystemExit) as e:
        main(["generate", "--temperature", "hot"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "argument --temperature: invalid float value: 'hot'" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("args,message", [
    (["--lr", "nan"], "lr nan: must be a number above 0"),
    (["--batch-size", "0"], "batch_size 0: must be a whole number of at least 1"),
    (["--epochs", "-1"], "epochs -1.0: must be a number above 0"),
])
def test_train_refuses_an_option_out_of_range_in_one_line(capsys, tmp_path, args, message):
    assert main(["train", "--out", str(tmp_path / "run"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_the_limits_are_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"1 to {MAX_TUNES:,}" in text and f"{MAX_BATCH_CHARS:,}" in text and "1 to 20,000" in text


def test_the_library_and_the_app_share_the_boundary():
    check_sampling(n=16, temperature=0.8, top_k=0, top_p=1.0, max_chars=1500)
    for bad in (dict(temperature=float("nan")), dict(top_p=0), dict(n=0), dict(max_chars=10**9),
                dict(top_k=True), dict(temperature="1")):
        with pytest.raises(OptionError):
            check_sampling(**bad)


def test_generate_asks_for_a_type_the_model_knows(capsys, tmp_path):
    import json
    import shutil

    from musicrnn.data.sources import music21_corpus_dir
    from tests.helpers.app import train_tiny

    src = tmp_path / "jigs"
    src.mkdir()
    shutil.copy(music21_corpus_dir() / "oneills1850" / "0900-0950.abc", src)
    run = train_tiny(src, tmp_path / "run", 3)
    assert main(["generate", "--checkpoint", str(run), "--type", "jig", "--key", "G", "-n", "2",
                 "--max-chars", "20", "--seed", "1", "--json"]) == 0
    tunes = json.loads(capsys.readouterr().out)
    assert all(t["abc"].startswith("X:1\nL:1/8\nM:6/8\nR:jig\nK:G\n") for t in tunes)
    assert main(["generate", "--checkpoint", str(run), "--type", "jig", "--meter", "12/8", "--max-chars", "5",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["prime"] == "X:1\nL:1/8\nM:12/8\nR:jig\n"
    assert main(["generate", "--checkpoint", str(run), "--type", "reel"]) == 2
    err = capsys.readouterr().err
    assert err == "error: tune type 'reel': this model knows jig\n"
