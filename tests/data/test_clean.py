import json
from pathlib import Path

import pytest

from musicrnn.data.clean import CleanReport, clean_tune, clean_tunes, normalize_key
from musicrnn.data.sources import read_source
from musicrnn.data.split import is_validation, load_corpus
from musicrnn.errors import CorpusError

RAW = """%abc-2.1
X: 17
T: The Test Reel
C: Trad.
R: reel
M: C
L: 1/8
N: a note in English
Q: 1/4=120
K:D Major % the key
"D"d2fd "^slowly"A2FA|d2fd "Em"e2dc!
w: la la la
% a comment line
dBAF ~A3B|:AFDF E2D2:|
"""


def test_clean_tune_keeps_music_and_drops_language():
    report = CleanReport()
    out = clean_tune(RAW, report)
    assert out == 'X:1\nL:1/8\nM:4/4\nR:reel\nK:D\n"D"d2fd A2FA|d2fd "Em"e2dc|\ndBAF ~A3B|:AFDF E2D2:|'
    assert report.fields_dropped["T"] == 1 and report.fields_dropped["w"] == 1
    assert report.fields_dropped["N"] == 1 and report.fields_dropped["Q"] == 1
    assert report.changed["bang_linebreaks_dropped"] == 1
    assert report.changed["annotations_dropped"] == 1
    assert report.changed["key_normalized"] == 1 and report.changed["meter_normalized"] == 1


def test_optional_fields_kept_on_request():
    out = clean_tune(RAW, CleanReport(), keep_optional=True)
    assert "\nR:reel\n" in out and "\nQ:1/4=120\n" in out


@pytest.mark.parametrize("raw,want", [
    ("D Major", "D"), ("A Dorian", "Ador"), ("Ador", "Ador"), ("E minor", "Em"), ("Emin", "Em"), ("Bb", "Bb"),
    ("F#m", "F#m"), ("G Mixolydian", "Gmix"), ("G clef=treble", "G"), ("d dor", "Ddor"), ("Amaj", "A"),
])
def test_normalize_key(raw, want):
    assert normalize_key(raw) == want


def test_decorations_and_repeats_survive():
    out = clean_tune("X:1\nM:6/8\nK:G\n!trill!G3 d:|\nd:|\n", CleanReport())
    assert out.endswith("K:G\n!trill!G3 d:|\nd:|")
    assert out.split("\n")[1] == "L:1/8"  # default unit added


def test_empty_and_duplicate_tunes_dropped():
    tunes, report = clean_tunes(["X:1\nT:only a title\n", "X:1\nK:G\nGAB|", "X:2\nK:G\nGAB|"])
    assert tunes == ["X:1\nL:1/8\nK:G\nGAB|"]
    assert report.dropped["no_key_or_body"] == 1 and report.dropped["duplicate"] == 1


def test_music21_default_source_is_large_and_clean():
    c = load_corpus()  # music21's bundled tunes
    assert c.source == "music21"
    assert len(c.train) + len(c.val) > 12000
    assert 0.03 < len(c.val) / (len(c.train) + len(c.val)) < 0.07
    for t in c.train[:200]:
        assert t.startswith("X:1\nL:") and "\nK:" in t and "%" not in t and "\nT:" not in t


def test_music21_dance_part_reads_only_the_dance_collections():
    raw = read_source("music21:dance")
    assert raw.source == "music21:dance" and raw.val is None
    from musicrnn.data.sources import music21_corpus_dir

    folders = {Path(f).relative_to(music21_corpus_dir()).parts[0] for f in raw.files}
    assert folders <= {"ryansMammoth", "oneills1850", "airdsAirs"} and "ryansMammoth" in folders
    assert 3000 < len(raw.train) < 6000  # far fewer than the 12,000+ of the whole corpus


def test_evaluate_scores_the_validation_split_of_a_music21_part():
    from musicrnn.data.vocab import Vocab
    from musicrnn.generation.scoring import evaluate_source
    from musicrnn.model.network import CharRNN, ModelConfig

    c = load_corpus("music21:dance")
    vocab = Vocab.from_texts(c.train + c.val)
    model = CharRNN(ModelConfig(vocab_size=len(vocab), embedding_dim=8, hidden_size=8, layers=1, dropout=0.0))
    res = evaluate_source(model, vocab, "music21:dance")
    assert res["split"] == "val" and res["tunes"] == len(c.val)


def test_abc_file_and_folder(oneills_abc, small_abc_corpus):
    one = read_source(oneills_abc)
    assert len(one.train) == 50 and one.val is None
    many = read_source(small_abc_corpus)
    assert len(many.train) == 400  # files 1-50, 51-100, 101-200, 201-300, 301-350, 351-400


def test_latin1_fallback(tmp_path):
    p = tmp_path / "old.abc"
    p.write_bytes("X:1\nT:Caf\xe9\nK:G\nGAB|\n".encode("latin-1"))
    assert read_source(p).train[0].startswith("X:1\nT:Café")


def _irishman(folder, train, val):
    folder.mkdir(exist_ok=True)
    (folder / "train.json").write_text(json.dumps([{"control code": "S:2", "abc notation": t} for t in train]))
    (folder / "validation.json").write_text(json.dumps([{"abc notation": t} for t in val]))
    return folder


def test_irishman_folder_keeps_its_split(tmp_path):
    folder = _irishman(tmp_path / "irishman", ["X:1\nL:1/8\nM:6/8\nK:D\nABc|", "X:1\nL:1/8\nM:4/4\nK:G\nGABc|"],
                       ["X:1\nL:1/8\nM:3/4\nK:A\nA2B2c2|"])
    c = load_corpus(folder)
    assert c.split == "source" and len(c.train) == 2 and c.val == ["X:1\nL:1/8\nM:3/4\nK:A\nA2B2c2|"]
    single = load_corpus(folder / "train.json")
    assert single.split.startswith("hash") and len(single.train) + len(single.val) == 2


def test_missing_source_names_path(tmp_path):
    with pytest.raises(CorpusError, match="nothere.abc"):
        load_corpus(tmp_path / "nothere.abc")


def test_malformed_json_names_file_and_line(tmp_path):
    p = tmp_path / "train.json"
    p.write_text('[{"abc notation": "X:1"},\n {oops}]')
    with pytest.raises(CorpusError, match=r"train\.json: malformed JSON at line 2"):
        load_corpus(p)


def test_record_without_abc_names_record(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps([{"abc notation": "X:1\nK:G\nG|"}, {"control code": "x"}]))
    with pytest.raises(CorpusError, match=r't\.json: record 1 has no "abc notation"'):
        load_corpus(p)


def test_empty_corpus_is_an_error(tmp_path):
    p = tmp_path / "empty.abc"
    p.write_text("% nothing here\n")
    with pytest.raises(CorpusError, match="no tunes"):
        load_corpus(p)


def test_split_is_deterministic_and_order_free():
    tunes = [f"X:1\nL:1/8\nK:G\n{'GABc' * (i % 7 + 1)}d{i}|" for i in range(400)]
    a = [t for t in tunes if is_validation(t, 0.1)]
    b = [t for t in reversed(tunes) if is_validation(t, 0.1)]
    assert sorted(a) == sorted(b) and 15 < len(a) < 70
