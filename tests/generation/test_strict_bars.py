"""Sampling that keeps the meter (`sample(strict_bars=True)`): a character that would make the open bar longer
than its meter is masked out; real tunes written within their meter are never stopped."""
import re

import pytest

from musicrnn.data.clean import clean_tunes
from musicrnn.errors import OptionError
from musicrnn.generation.meter_guard import MeterGuard, MeterMasks, shape
from musicrnn.generation.sampler import sample
from musicrnn.notation.durations import scan_body
from tests.helpers.music_data import tunes_of

REEL = "X:1\nL:1/8\nM:2/2\nR:reel\n"
JIG = "X:1\nL:1/8\nM:6/8\nR:jig\n"


def guard_after(vocab, text: str) -> MeterGuard:
    g = MeterGuard(MeterMasks(vocab.tokens))
    for ch in text:
        g.feed(ch)
    return g


def banned_chars(vocab, text: str) -> set[str]:
    return {vocab.tokens[i] for i in guard_after(vocab, text).banned()}


def first_ban(vocab, tune: str) -> int | None:
    """Where the guard would first have stopped the tune's own next character, or None."""
    g = MeterGuard(MeterMasks(vocab.tokens))
    for k, ch in enumerate(tune):
        if ch in vocab.index and vocab.index[ch] in g.banned():
            return k
        g.feed(ch)
    return None


def bars_too_long(tune: str) -> int:
    bars = scan_body(tune.split("\n"))[1].closed
    return sum(b.length is not None and b.meter is not None and b.length > b.meter for b in bars)


def test_a_full_bar_takes_a_bar_line_but_no_note(shipped):
    _, vocab = shipped
    full = REEL + "K:D\nABcd efga "
    banned = banned_chars(vocab, full)
    assert {"A", "g", "z", "^", "~", ">"} <= banned  # a note, a rest, what must come before a note, `>`
    # what takes no time but stands before a note: a model unaware that its bar is full would fill it with notes
    assert {"{", '"', "!", "(", "k", "2"} <= banned
    assert not {"|", ":", "[", " ", "\n", ")", "-", "/", ","} & banned  # what ends a bar stays


def test_a_grace_note_chord_symbol_or_slur_needs_room_for_its_note(shipped):
    _, vocab = shipped
    seven = REEL + "K:D\nABcd efg "
    for opener in ("{", '"', "(", "!"):
        assert opener not in banned_chars(vocab, seven), opener
    assert "}" not in banned_chars(vocab, seven + "{a")
    assert "b" not in banned_chars(vocab, seven + '"Em"')
    assert "2" in banned_chars(vocab, JIG + "K:G\nGAB c2[F")  # a chord's own length counts
    full = seven + "a "
    assert "[" not in banned_chars(vocab, full)  # `[1`, `[|` end a bar ...
    assert {"a", "^", "]", "("} <= banned_chars(vocab, full + "[")  # ... but a chord has no room
    assert not {"1", "|"} & banned_chars(vocab, full + "[")
    assert {"V", "K", ":"} <= banned_chars(vocab, full + "[")  # nor a field hiding the bar's end


def test_a_note_is_banned_only_by_the_length_it_would_take(shipped):
    _, vocab = shipped
    seven = REEL + "K:D\nABcd efg"  # 7 quavers, the `g` still being written
    assert not {"2", " ", "a", "/"} & banned_chars(vocab, seven[:-1])  # before `g`: a crotchet still fits
    assert "3" in banned_chars(vocab, seven) and "2" not in banned_chars(vocab, seven)  # `g2` fills the bar
    half = REEL + "K:D\nABcd efg3/2"  # 7.5 quavers: only a semiquaver fits
    assert "a" not in banned_chars(vocab, half)  # `a` may still become `a/`
    assert {" ", "|", "b", "2"} <= banned_chars(vocab, half + "a")  # but not stay a whole quaver
    assert "/" not in banned_chars(vocab, half + "a")


@pytest.mark.parametrize("bar,fits", [
    ("(3ABc d2 efga", True),        # a triplet of quavers takes two
    ("A>B c<d efga", True),         # broken rhythm keeps the pair's length
    ("[CEG]2 cd efga", True),       # a chord lasts as its first note
    ('{g}A2 "Em"cd !trill!e2 fg', True),  # grace notes, chord symbols, decorations take nothing
    ("A4 B4", True),
    ("A4 B3", False),
])
def test_the_bar_is_read_the_way_the_scanner_reads_it(shipped, bar, fits):
    _, vocab = shipped
    assert ("c" in banned_chars(vocab, REEL + "K:D\n" + bar + " ")) is fits


def test_inline_and_body_meter_changes_are_followed(shipped):
    _, vocab = shipped
    assert "A" in banned_chars(vocab, REEL + "K:D\n[M:3/4] ABc def ")
    assert "A" not in banned_chars(vocab, REEL + "K:D\nABcd efga|\nM:9/8\nABc def ")
    assert "A" in banned_chars(vocab, REEL + "K:D\nABcd efga|\nM:9/8\nABc def gab ")


def test_nothing_is_banned_in_the_header_or_in_a_bar_already_too_long(shipped):
    _, vocab = shipped
    assert banned_chars(vocab, REEL) == set() and banned_chars(vocab, REEL + "K:") == set()
    assert banned_chars(vocab, REEL + "K:D\nABcd efga b ") == set()  # the prime broke it: let the tune go on
    assert banned_chars(vocab, REEL + "K:D\nABcd efga{g") == set()  # a grace with no room for its note


def test_bar_states_that_differ_only_in_pitch_share_a_mask():
    assert shape("^f2") == shape("=A2") == "^C2"
    assert shape('"Am') == '"Am'  # text stays text


def test_real_tunes_within_their_meter_are_never_stopped(shipped):
    _, vocab = shipped
    tunes, _ = clean_tunes(list(tunes_of("oneills1850/0001-0050.abc")))
    checked = 0
    for tune in tunes:
        at = first_ban(vocab, tune)
        # lengths like `3/4` are read as `3` until the `/` comes
        if bars_too_long(tune) == 0 and not re.search(r"\d/", tune[tune.index("\nK:"):]):
            checked += 1
            assert at is None, f"stopped at {tune[max(0, at - 30):at + 1]!r}"
    assert checked >= 15


def test_strict_bars_keeps_sampled_bars_within_the_meter(shipped):
    model, vocab = shipped
    plain = sample(model, vocab, 32, prime=JIG, seed=3, max_chars=800)
    strict = sample(model, vocab, 32, prime=JIG, seed=3, max_chars=800, strict_bars=True)
    assert sum(map(bars_too_long, (s.text for s in plain))) > 0, "the test proves nothing on this seed"
    assert sum(map(bars_too_long, (s.text for s in strict))) == 0
    assert all(s.bar_breaks == 0 for s in plain)
    assert sum(s.bar_breaks for s in strict) > 0  # how often the model's draw would have broken a bar


def test_strict_bars_works_with_redraws_and_filters(shipped):
    model, vocab = shipped
    tunes = sample(model, vocab, 16, prime=REEL, seed=5, max_chars=800, strict_bars=True, final_redraws=16,
                   final_keep=0.2, top_k=8, temperature=1.2)
    assert sum(s.redrawn for s in tunes) > 0
    assert sum(map(bars_too_long, (s.text for s in tunes))) == 0


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_the_option_is_checked(shipped, bad):
    model, vocab = shipped
    with pytest.raises(OptionError, match="strict bars"):
        sample(model, vocab, 1, prime=JIG, max_chars=20, strict_bars=bad)
