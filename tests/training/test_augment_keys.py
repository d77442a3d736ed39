"""A run trained with `--augment-keys`: it completes and says so in its run folder."""
import json

from musicrnn.cli import main


def test_train_cli_with_augmented_keys(capsys, tmp_path, small_abc_corpus):
    code = main(["train", "--data", str(small_abc_corpus), "--preset", "tiny", "--augment-keys", "1",
                 "--max-steps", "6", "--eval-every", "6", "--out", str(tmp_path / "aug"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["step"] == 6 and (tmp_path / "aug" / "best.pt").exists()
    run = json.loads((tmp_path / "aug" / "run.json").read_text())
    assert run["config"]["augment_keys"] == 1 and run["data"]["augment_keys"] == 1
    assert run["data"]["augment_copies"] > 0.9 * run["data"]["train_tunes"]


def test_augment_keys_out_of_range_is_an_option_error(capsys, tmp_path):
    assert main(["train", "--augment-keys", "12", "--out", str(tmp_path / "r")]) == 2
    assert "augment_keys" in capsys.readouterr().err
