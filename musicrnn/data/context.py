"""Where the text stands at each character: the key in force and the bar of the part. The model's context
inputs (`ModelConfig.key_context`, `ModelConfig.bar_context`).

A recurrent network has to carry a tune's `K:` line in its state for hundreds of characters, and count its
bars, to end a part on the key's final where the part ends; told both at every step, it need not. Both are read
from the text itself, causally (from the characters up to and including this one), so training, scoring and
sampling derive them the same way and a user never gives them:

- the key: a `K:` field line takes effect at the newline that ends it, an inline `[K:…]` at its `]`;
- the bar: a count that starts at 0 where the body starts (after the first `K:` line) and after a part's bar
  line (`|:`, `:|`, `||`, `|]`, `::`), and goes up by one at every other bar line (so an eight-bar part with a
  pickup ends in bar 8 of the count, one without in bar 7);
- `<eos>` clears both.

Each position gets three codes: the tonic (0 unknown, else 1 + pitch class), the signature (0 unknown, else
8 + sharps, flats negative), both read by `notation.keys.key_parts`, and the bar (0 outside a body, else 1 + the
count, at most BARS - 1).
"""
from __future__ import annotations

import re

import numpy as np

from musicrnn.notation.keys import key_parts

TONICS = 13  # unknown + 12 pitch classes
SIGNATURES = 16  # unknown + 7 flats ... 7 sharps (8 + sharps)
BARS = 18  # outside a body + bars 0 ... 16 of a part (a longer part stays at 16)
UNKNOWN = (0, 0)
EOS_CHAR = "\x1e"
_FIELD = re.compile(r"(?:^|(?<=\x1e))K:([^\n\x1e]*)\n", re.M)
_INLINE = re.compile(r"\[K:([^\]\n\x1e]*)\]")
_INLINE_END = re.compile(r"\[K:([^\]\n\x1e]*)\]$")


def key_codes(value: str) -> tuple[int, int]:
    """(tonic code, signature code) of a `K:` value; UNKNOWN for one `key_parts` cannot read."""
    parts = key_parts(value)
    if parts is None or not -7 <= parts[1] <= 7:
        return UNKNOWN
    return 1 + parts[0], 8 + parts[1]


def bar_code(in_body: bool, count: int) -> int:
    return 1 + min(count, BARS - 2) if in_body else 0


def _bar_chars(text: np.ndarray) -> np.ndarray:
    """Which characters belong to a bar line: `|`, `:`, and a `]` right after a `|`."""
    prev = np.concatenate([[""], text[:-1]])
    return (text == "|") | (text == ":") | ((text == "]") & (prev == "|"))


class ContextReader:
    """Reads the context codes from id arrays of one vocabulary (`tokens`, `<eos>` first)."""

    def __init__(self, tokens: list[str]):
        # <eos> reads as a record separator (numpy would drop a NUL), a longer token as a unit separator.
        self.chars = np.array([EOS_CHAR] + [t if len(t) == 1 else "\x1f" for t in tokens[1:]])

    def text(self, ids) -> str:
        return "".join(self.chars[np.asarray(ids, dtype=np.int64)])

    def stream(self, ids: np.ndarray) -> np.ndarray:
        """(len(ids), 3) int64: the codes in force after reading each id of a stream (joined tunes)."""
        ids = np.asarray(ids, dtype=np.int64)
        n = len(ids)
        out = np.zeros((n, 3), dtype=np.int64)
        if not n:
            return out
        chars = self.chars[ids]
        text = "".join(chars)
        eos = np.flatnonzero(ids == 0)
        fields = [(m.end() - 1, m.group(1)) for m in _FIELD.finditer(text)]
        events = [(p, key_codes(v)) for p, v in fields]
        events += [(m.end() - 1, key_codes(m.group(1))) for m in _INLINE.finditer(text)]
        events += [(int(p), UNKNOWN) for p in eos]
        events.sort()
        codes = np.zeros((len(events) + 1, 2), dtype=np.int64)  # row 0: before any event
        where = np.zeros(n, dtype=np.int64)
        for k, (pos, code) in enumerate(events, start=1):
            codes[k] = code
            where[pos] = k
        out[:, :2] = codes[np.maximum.accumulate(where)]

        # The body of each tune starts at the newline of its first K: line.
        at = np.array([p for p, _ in fields], dtype=np.int64)
        starts = at[np.unique(np.searchsorted(eos, at), return_index=True)[1]] if len(at) else at
        arange = np.arange(n)
        last_start = np.maximum.accumulate(np.where(np.isin(arange, starts), arange, -1))
        last_eos = np.maximum.accumulate(np.where(ids == 0, arange, -1))
        in_body = last_start > last_eos
        bar = _bar_chars(chars)
        prev_bar = np.concatenate([[False], bar[:-1]])
        plus = (chars == "|") & ~prev_bar  # a bar line begins
        reset = (bar & prev_bar) | np.isin(arange, starts) | (ids == 0)  # a part's bar line, a body's start, <eos>
        total = np.cumsum(plus)
        last_reset = np.maximum.accumulate(np.where(reset, arange, -1))
        count = total - np.where(last_reset >= 0, total[np.maximum(last_reset, 0)], 0)
        out[:, 2] = np.where(in_body, 1 + np.minimum(count, BARS - 2), 0)
        return out

    def rows(self, x: np.ndarray) -> np.ndarray:
        """(batch, time, 3) codes for rows of ids each read from its start (a fresh state), as `pad_tunes`
        builds them: the context of one row never leaks into the next."""
        x = np.asarray(x, dtype=np.int64)
        framed = np.concatenate([np.zeros((x.shape[0], 1), dtype=np.int64), x], axis=1)
        return self.stream(framed.reshape(-1)).reshape(x.shape[0], x.shape[1] + 1, 3)[:, 1:]

    def tracker(self) -> ContextTracker:
        return ContextTracker(self)


class ContextTracker:
    """The same reading, one character at a time, for sampling (the text is not known in advance)."""

    def __init__(self, reader: ContextReader):
        self.chars = reader.chars.tolist()
        self.line, self.key, self.prev, self.in_body, self.count = "", UNKNOWN, "", False, 0

    def feed(self, token_id: int) -> tuple[int, int, int]:
        """The codes in force after reading `token_id`."""
        ch = self.chars[token_id]
        if ch == EOS_CHAR:
            self.line, self.key, self.prev, self.in_body, self.count = "", UNKNOWN, "", False, 0
            return 0, 0, 0
        prev_bar = self.prev in ("|", ":") or (self.prev == "]" and self.line[-2:-1] == "|")
        if ch == "\n":
            if self.line.startswith("K:"):
                self.key = key_codes(self.line[2:])
                if not self.in_body:
                    self.in_body, self.count = True, 0
            self.line = ""
        else:
            self.line += ch
            if ch == "]":
                m = _INLINE_END.search(self.line)
                if m:
                    self.key = key_codes(m.group(1))
        is_bar = ch in ("|", ":") or (ch == "]" and self.prev == "|")
        if is_bar and prev_bar:
            self.count = 0
        elif ch == "|":
            self.count += 1
        self.prev = ch
        return (*self.key, bar_code(self.in_body, self.count))
