"""The validation tunes a checkpoint was trained beside, and the note when its corpus has changed since; the
source a cached corpus is described by."""
from __future__ import annotations

import shutil

import torch

from musicrnn.cli import main
from musicrnn.data.stream import prepare
from musicrnn.inspection import validation_split
from musicrnn.inspection.tune_sets import split_changes
from tests.helpers.music_data import tunes_of


def test_split_changes_names_what_differs_and_ignores_what_was_not_recorded():
    then = {"source": "x.abc", "fingerprint": "aa", "val_tunes": 20, "train_tunes": 380}
    assert split_changes(then, dict(then, cleaning={"other": 1})) is None
    said = split_changes(then, {**then, "fingerprint": "bb", "val_tunes": 21})
    assert "fingerprint aa then, bb now" in said and "val_tunes 20 then, 21 now" in said
    assert "train_tunes" not in said and said.startswith("x.abc has changed since this model was trained")
    assert split_changes({"source": "x.abc"}, {"fingerprint": "bb"}) is None  # an old checkpoint records nothing


def test_a_corpus_that_changed_after_training_is_said(tmp_path, small_abc_corpus):
    corpus = tmp_path / "abc"
    shutil.copytree(small_abc_corpus, corpus)
    assert prepare(str(small_abc_corpus)).description["source"] == str(small_abc_corpus)  # cached from there
    ckpt = {"data": prepare(str(corpus)).description, "train_config": {}}
    assert ckpt["data"]["source"] == str(corpus)  # not the folder the cache of the same tunes was made from
    same = validation_split(ckpt)
    assert same.changed is None and len(same.tunes) > 5
    (corpus / "more.abc").write_text("\n".join(tunes_of("oneills1850/1801-1850.abc")[:40]))
    changed = validation_split(ckpt)
    assert "fingerprint" in changed.changed and "train_tunes" in changed.changed
    assert len(changed.tunes) > len(same.tunes)


def test_inspect_warns_when_the_checkpoints_corpus_has_changed(tmp_path, tiny_run, capsys):
    ckpt = torch.load(tiny_run / "best.pt", weights_only=True)
    ckpt["data"]["fingerprint"] = "0" * 16
    torch.save(ckpt, tmp_path / "moved.pt")
    argv = ["inspect", "--cells", "--top", "2", "--tunes", "3", "--json", "--checkpoint"]
    assert main([*argv, str(tmp_path / "moved.pt")]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("warning: ") and "fingerprint 0000000000000000 then" in err
    assert out.count("\n") == 1  # the JSON document is still the only thing on stdout
    assert main([*argv, str(tiny_run / "best.pt")]) == 0
    assert "warning" not in capsys.readouterr().err
