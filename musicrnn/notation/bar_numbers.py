"""Bars as a musician numbers them, read from the ABC alone: the bars that hold music count from 1, and a short
first bar is the pickup, bar 0 (as the engraved score numbers them, `music/score.py`); and a tune cut after one of
them, so that a part can be kept while a model writes the rest."""
from __future__ import annotations

from dataclasses import dataclass

from musicrnn.errors import OptionError
from musicrnn.notation.durations import TOKEN, body_field, body_start

_MUSIC = frozenset(("note", "chord", "multirest"))


@dataclass(frozen=True)
class NumberedBar:
    """One bar: its number, the index in the tune's text just after the bar line that closes it, and that bar
    line (None and "" for a last bar written without one)."""

    number: int
    end: int | None
    bar_line: str = ""


def numbered_bars(abc: str) -> list[NumberedBar]:
    """The bars of a tune that hold music (notes, chords or rests), in order; [] without a `K:` line."""
    lines = abc.split("\n")
    start = body_start(lines)
    if start is None:
        return []
    k, scan = start
    offset = sum(len(line) + 1 for line in lines[: k + 1])
    bars: list[NumberedBar] = []
    music = False  # the open bar holds music
    pickup: bool | None = None  # whether the first bar is short, once it is closed
    for line in lines[k + 1:]:
        f = body_field(line)
        if f:
            scan.field(f.group(1), f.group(2))
        else:
            for m in TOKEN.finditer(line):
                if m.lastgroup == "bar" and music:
                    short = scan.known and scan.meter is not None and scan.acc < scan.meter
                    if pickup is None:
                        pickup = short
                    bars.append(NumberedBar(len(bars) + (0 if pickup else 1), offset + m.end(), m.group(0)))
                    music = False
                music = music or m.lastgroup in _MUSIC
                scan.apply(m)
        offset += len(line) + 1
    if music:
        bars.append(NumberedBar(len(bars) + (0 if pickup else 1), None))
    return bars


def first_part_end(bars: list[NumberedBar]) -> int | None:
    """The number of the first part's last bar among a tune's `numbered_bars`, where a musician would keep it to
    write a new second part: the first bar closed by a repeat sign or a double bar line, else the eighth bar;
    None when no bar would be left after it."""
    bars = bars[:-1]
    closing = [b for b in bars if ":" in b.bar_line or "||" in b.bar_line or "]" in b.bar_line]
    if closing:
        return closing[0].number
    eighth = [b for b in bars if b.number == 8]
    return eighth[0].number if eighth else (bars[-1].number if bars else None)


def keep_bars(abc: str, last: int) -> str:
    """The tune's header and its bars up to bar `last` (closing bar line included, and the line end when the
    bar ends a line), for a model to continue. OptionError when the tune has no such bar, or no bar after it."""
    bars = numbered_bars(abc)
    kept = [b for b in bars[:-1] if b.number == last]
    if not kept:
        if len(bars) < 2:
            raise OptionError("the tune has no bars to keep and go on from" if not bars else
                              "the tune has one bar: there is nothing after it to write again")
        raise OptionError(f"keep bars up to {last}: the tune's bars are numbered {bars[0].number} to "
                          f"{bars[-1].number}; keep up to bar {bars[-2].number} at most, so that there is a bar "
                          "left to write")
    end = kept[0].end
    rest = abc[end:]
    after = rest.lstrip(" ")
    if after.startswith("\n"):
        end += len(rest) - len(after) + 1
    return abc[:end]
