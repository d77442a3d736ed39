"""The context at each character (`data/context.py`): the key in force (codes of a `K:` value) and the bar of
the part, read over a whole stream, row by row with no leak, and by the incremental tracker the sampler uses,
on hand-written and real tunes."""
from __future__ import annotations

import re

import numpy as np
import pytest

from musicrnn.data.clean import clean_tunes
from musicrnn.data.context import BARS, UNKNOWN, ContextReader, key_codes
from musicrnn.data.vocab import Vocab
from musicrnn.notation.keys import key_parts, key_signature
from tests.helpers.music_data import CORPUS, corpus_files, tunes_of

# Two tunes and a third that starts straight on its K: line, joined by <eos> as in the training stream.
TUNE_1 = "X:1\nN:not a key K:E\nK:D\nABc|[K:Ador]def|\nK:Bbmix\nGAB|\n"
TUNE_2 = "X:2\nK:G\nGAB|\nK:none\nCDE|\n"
TUNE_3 = "K:F#m\nFGA|\n"
TUNES = [TUNE_1, TUNE_2, TUNE_3]


def encode_stream(vocab: Vocab, tunes) -> np.ndarray:
    return np.array([i for t in tunes for i in vocab.encode(t) + [0]], dtype=np.int64)


def tracked(reader: ContextReader, ids) -> np.ndarray:
    tr = reader.tracker()
    return np.array([tr.feed(int(i)) for i in ids], dtype=np.int64).reshape(-1, 3)


def keys_of(reader: ContextReader, ids) -> np.ndarray:
    """The key columns (tonic, signature) of the stream's codes."""
    return reader.stream(ids)[:, :2]


def changes(codes: np.ndarray) -> list[int]:
    """Positions whose key code differs from the one before (position 0 against UNKNOWN)."""
    before = np.vstack([np.array([UNKNOWN]), codes[:-1]])
    return np.flatnonzero((codes != before).any(axis=1)).tolist()


@pytest.fixture(scope="module")
def hand():
    vocab = Vocab.from_texts(TUNES)
    ids = encode_stream(vocab, TUNES)
    return vocab, ContextReader(vocab.tokens), ids


def test_key_parts_reads_tonic_and_signature():
    assert key_parts("D") == (2, 2)
    assert key_parts("Ador") == (9, 1)
    assert key_parts("Bbmix") == (10, -3)
    assert key_parts("F#m") == (6, 3)
    assert key_parts(" E minor") == (4, 1)
    assert key_parts("Gmaj") == (7, 1) and key_parts("Dmajor") == (2, 2)
    for value in ("none", "HP", "Hp", "", "Dxyz"):
        assert key_parts(value) is None, value
    assert key_signature("Ador") == (9, {"F": 1})
    assert key_signature("Bbmix") == (10, {"B": -1, "E": -1, "A": -1})


def test_key_codes_values():
    assert key_codes("D") == (3, 10)  # 1 + pitch class 2, 8 + two sharps
    assert key_codes("Ador") == (10, 9)
    assert key_codes("Bbmix") == (11, 5)
    assert key_codes("C") == (1, 8)
    assert key_codes("C#") == (2, 15)  # seven sharps: the top of the range
    assert key_codes("Cb") == (12, 1)  # seven flats: the bottom
    assert key_codes("Gm") == (8, 6)
    # unknown: no key, a mode it does not know, or a signature beyond seven sharps or flats
    for value in ("none", "HP", "", "Dxyz", "Aqq"):
        assert key_codes(value) == UNKNOWN, value
    assert key_parts("G#") == (8, 8) and key_codes("G#") == UNKNOWN
    assert key_parts("Fbm") == (4, -11) and key_codes("Fbm") == UNKNOWN


def test_stream_changes_exactly_where_a_key_takes_effect(hand):
    vocab, reader, ids = hand
    codes = keys_of(reader, ids)
    assert reader.stream(ids).shape == (len(ids), 3) and codes.dtype == np.int64
    text = "\x1e".join(TUNES) + "\x1e"  # one character per id
    assert len(text) == len(ids)
    t2 = len(TUNE_1) + 1
    t3 = t2 + len(TUNE_2) + 1
    d_end = text.index("K:D\n") + 3  # the newline ending the header
    ador_end = text.index("[K:Ador]") + 7  # its "]"
    bbmix_end = text.index("K:Bbmix\n") + 7
    eos_1 = len(TUNE_1)
    g_end = text.index("K:G\n", t2) + 3
    none_end = text.index("K:none\n", t2) + 6
    fsm_end = t3 + 5
    eos_3 = len(text) - 1
    assert changes(codes) == [d_end, ador_end, bbmix_end, eos_1, g_end, none_end, fsm_end, eos_3]
    assert (codes[:d_end] == 0).all()  # "N:... K:E" is not a key line
    assert codes[d_end].tolist() == [3, 10] and codes[ador_end - 1].tolist() == [3, 10]
    assert codes[ador_end].tolist() == [10, 9]
    assert codes[bbmix_end - 1].tolist() == [10, 9] and codes[bbmix_end].tolist() == [11, 5]
    assert codes[eos_1 - 1].tolist() == [11, 5] and codes[eos_1].tolist() == list(UNKNOWN)
    assert codes[g_end].tolist() == [8, 9]
    assert codes[none_end].tolist() == list(UNKNOWN)
    assert codes[fsm_end].tolist() == [7, 11]  # F#m: pitch class 6, three sharps
    assert codes[eos_3].tolist() == list(UNKNOWN)


def test_tracker_equals_stream_on_the_hand_written_stream(hand):
    _, reader, ids = hand
    assert np.array_equal(tracked(reader, ids), reader.stream(ids))
    assert len(changes(keys_of(reader, ids))) == 8


def real_tunes() -> list[str]:
    """Real tunes with inline [K:] changes (O'Neill's 51-100), key changes on K: lines in the body (Ryan's
    Mammoth) and plain headers (O'Neill's 1-50, Aird's Airs book 1)."""
    tunes = list(tunes_of("oneills1850/0001-0050.abc")) + list(tunes_of("oneills1850/0051-0100.abc"))
    tunes += list(tunes_of("airdsAirs/book1.abc"))
    for f in corpus_files("ryansMammoth/*.abc"):
        tunes += tunes_of(f[len(CORPUS) + 1 :])
    return tunes


def test_tracker_equals_stream_on_real_tunes():
    tunes = real_tunes()
    assert len(tunes) >= 300
    vocab = Vocab.from_texts(tunes)
    reader = ContextReader(vocab.tokens)
    ids = encode_stream(vocab, tunes)
    assert np.array_equal(tracked(reader, ids), reader.stream(ids))
    codes = keys_of(reader, ids)
    # the stream is not trivial: nearly every tune ends in a known key, and keys change inside tunes
    ends = np.flatnonzero(ids == 0)
    assert len(ends) == len(tunes) and (codes[ends - 1, 0] > 0).mean() > 0.95
    inside = [p for p in changes(codes) if p > 0 and codes[p - 1, 0] > 0 and codes[p, 0] > 0]
    assert len(inside) >= 20
    # and agrees with what the text says: the inline change of O'Neill's 67, Neumedia's last K: line
    k = next(i for i, t in enumerate(tunes) if "[K:C]" in t)
    start = 0 if k == 0 else ends[k - 1] + 1
    at = start + tunes[k].index("[K:C]") + 4
    assert codes[at - 1].tolist() == list(key_codes("G")) and codes[at].tolist() == list(key_codes("C"))
    k = next(i for i, t in enumerate(tunes) if "T:NEUMEDIA" in t)
    assert tunes[k].rstrip().split("\nK:")[-1].startswith("Bb")
    assert codes[ends[k] - 1].tolist() == list(key_codes("Bb")) == [11, 6]


def test_rows_never_leak_a_key_into_the_next_row(hand):
    vocab, reader, _ = hand
    enc = vocab.encode
    # row 0 ends in the middle of a K: line and of an inline field; the row after starts by closing them
    rows = ["X:1\nK:D\nAB|[K:G", "]ABc|ABc|AB\nK:G", "\nABcdefGAB|ABcd", "K:Bbmix\nGABcdef"]
    assert len({len(r) for r in rows}) == 1  # no padding (<eos>) between them
    x = np.array([enc(r) for r in rows], dtype=np.int64)
    width = x.shape[1]
    keys = reader.rows(x)[..., :2]
    assert reader.rows(x).shape == (len(rows), width, 3)
    assert keys[0, 7].tolist() == [3, 10]  # row 0 does know its own header
    assert (keys[1] == 0).all()  # not the D of row 0, nor its unfinished [K:G
    assert (keys[2] == 0).all()  # the K:G row 1 ends with is not finished by row 2's newline
    assert keys[3, 7].tolist() == [11, 5]
    for r in range(len(rows)):  # each row reads as a stream of its own
        assert np.array_equal(reader.rows(x)[r], reader.stream(x[r]))
    # read as one stream, without the rows' fresh starts, the keys would leak
    assert (keys_of(reader, x[:2].reshape(-1))[width:] != 0).any()


def test_multi_character_and_unknown_tokens_do_not_crash():
    tokens = ["<eos>", "\n", ":", "K", "D", "A", "]", "[", "<pad>", "é", "m", "K:"]
    reader = ContextReader(tokens)
    ix = {t: i for i, t in enumerate(tokens)}
    ids = np.array([ix[t] for t in ["K", ":", "D", "<pad>", "\n",  # 0-4
                                    "A", "é", "[", "K", ":", "A", "m", "é", "]",  # 5-13
                                    "A", "\n",  # 14-15
                                    "K:", "A", "\n",  # 16-18
                                    "A", "[", "K:", "D", "]",  # 19-23
                                    "\n", "<eos>"]])  # 24-25
    assert np.array_equal(tracked(reader, ids), reader.stream(ids))
    codes = keys_of(reader, ids)
    assert codes[4].tolist() == [3, 10]  # "K:D<pad>" takes effect at its newline
    assert codes[12].tolist() == [3, 10] and codes[13].tolist() == [10, 8]  # [K:Amé]: A minor, at its "]"
    assert codes[18].tolist() == [10, 8]  # a "K:" token is not the letters K and colon...
    assert codes[23].tolist() == [10, 8]  # ... nor inside [ ]
    assert codes[-1].tolist() == list(UNKNOWN)
    assert reader.rows(ids[None, :]).shape == (1, len(ids), 3)
    assert reader.stream(np.array([], dtype=np.int64)).shape == (0, 3)


def bars_of(text: str) -> list[int]:
    vocab = Vocab.from_texts([text])
    return ContextReader(vocab.tokens).stream(np.array(vocab.encode(text) + [0]))[:-1, 2].tolist()


def test_bar_counts_restart_at_each_part():
    text = "X:1\nM:6/8\nK:G\nD|GAB c2d|:e3 d3|[K:D]f2 [FA]2|]g|1a:|2b||\nc|d:|"
    bars = bars_of(text)
    body = text.index("K:G\n") + 3
    assert bars[:body] == [0] * body  # the header is outside the body
    at = {ch_pos: bars[ch_pos] for ch_pos in range(len(text))}

    def code_at(fragment: str, offset: int = 0) -> int:
        return at[text.index(fragment) + offset]

    assert bars[body] == 1 and code_at("D|") == 1  # the body's first bar (here a pickup) has count 0
    assert code_at("D|", 1) == 2 and code_at("GAB") == 2  # a plain bar line adds one
    assert code_at("c2d|:", 3) == 3 and code_at("c2d|:", 4) == 1  # "|:" starts a part: the count is 0 again
    assert code_at("e3 d3|") == 1 and code_at("[K:D]") == 2  # the inline field's ":" is not a bar line
    assert code_at("[FA]2|]", 5) == 3 and code_at("[FA]2|]", 6) == 1  # "|]" ends a part; a chord's "]" does not
    assert code_at("|1a") == 2 and code_at("a:|2b") == 2 and code_at(":|2b", 1) == 1  # ":|" restarts it
    assert code_at("b||", 1) == 2 and code_at("b||", 2) == 1 and code_at("\nc|d") == 1
    assert code_at("d:|") == 2


def test_bar_counts_stop_at_the_top_code_and_clear_at_eos():
    text = "X:1\nK:C\n" + "C|" * 30
    bars = bars_of(text)
    assert max(bars) == BARS - 1 and bars[-1] == BARS - 1
    vocab = Vocab.from_texts([text])
    reader = ContextReader(vocab.tokens)
    ids = np.array(vocab.encode(text) + [0] + vocab.encode("C|C|"))
    codes = reader.stream(ids)
    assert codes[len(text), 2] == 0 and (codes[len(text) + 1 :, 2] == 0).all()  # no K: line yet: no body
    assert np.array_equal(tracked(reader, ids), codes)


def test_bar_counts_of_real_tunes_reach_the_end_of_eight_bar_parts():
    tunes, _ = clean_tunes(list(tunes_of("oneills1850/0001-0050.abc")) + list(tunes_of("oneills1850/0051-0100.abc")))
    vocab = Vocab.from_texts(tunes)
    reader = ContextReader(vocab.tokens)
    ids = encode_stream(vocab, tunes)
    codes = reader.stream(ids)
    assert np.array_equal(tracked(reader, ids[:20_000]), codes[:20_000])
    text = reader.text(ids)
    closing = [int(codes[m.start() - 1, 2]) - 1 for m in re.finditer(r"(?<![|:])(:\||\|\||\|\])", text)]
    # the bar a part's closing bar line ends is mostly the eighth of its part: count 7, or 8 or 9 after a pickup
    assert len(closing) > 100 and sum(c in (7, 8, 9) for c in closing) / len(closing) > 0.45
